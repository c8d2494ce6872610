"""Numerics: one mpmath confirmation ladder, certified point evaluation, float64 findings."""

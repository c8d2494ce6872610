"""Hypothesis strategies for the domain of preference losses (public, reusable).

Every strategy generates only valid inputs (bounded floats, no ``assume`` filters).
Near-ties and tiny probabilities are given as exact rationals, since float64 cannot
hold x2*(1 + 1e-30): decide properties on them with mpmath, not with floats.
"""
from __future__ import annotations

import math

import sympy as sp
from hypothesis import strategies as st

from ..loss.loss import Loss

__all__ = ["probabilities", "tiny_probabilities", "log_probabilities", "betas",
           "near_ties", "exact_probabilities", "points", "parameter_values"]


def probabilities(min_value: float = 1e-300, max_value: float = 1.0) -> st.SearchStrategy[float]:
    """Floats in [min_value, max_value] within (0, 1], boundary 1 included."""
    if not 0 < min_value <= max_value <= 1:
        raise ValueError(f"need 0 < min_value <= max_value <= 1, got {min_value}, {max_value}")
    return st.floats(min_value=min_value, max_value=max_value, allow_nan=False,
                     allow_infinity=False)


def tiny_probabilities(max_exponent: int = 300) -> st.SearchStrategy[sp.Rational]:
    """Exact 10**-k * m for k up to ``max_exponent``: below what float64 can resolve."""
    return st.builds(lambda k, m: sp.Rational(m, 10) / sp.Integer(10) ** k,
                     st.integers(min_value=1, max_value=max_exponent),
                     st.integers(min_value=1, max_value=10))


def log_probabilities(min_value: float = -700.0) -> st.SearchStrategy[float]:
    """Sequence log-probabilities in [min_value, 0] (what training code passes around)."""
    return st.floats(min_value=min_value, max_value=0.0, allow_nan=False)


def betas(min_value: float = 1e-4, max_value: float = 1e3) -> st.SearchStrategy[float]:
    """beta > 0, drawn log-uniformly so that 1e-4 and 1e3 are as likely as 0.1."""
    if not 0 < min_value <= max_value:
        raise ValueError(f"need 0 < min_value <= max_value, got {min_value}, {max_value}")
    return st.floats(min_value=math.log10(min_value), max_value=math.log10(max_value)).map(
        lambda e: min(max(10.0 ** e, min_value), max_value))


def exact_probabilities() -> st.SearchStrategy[sp.Rational]:
    """Exact rationals in (0, 1]: floats, tiny values and values within 1e-40 of 1."""
    return st.one_of(
        probabilities().map(sp.Rational),
        tiny_probabilities(),
        st.integers(min_value=20, max_value=40).map(lambda k: 1 - sp.Rational(1, 10**k)),
        st.just(sp.Integer(1)))


def near_ties(min_digits: int = 10, max_digits: int = 60) -> st.SearchStrategy[tuple]:
    """Exact (x1, x2) with x1/x2 = 1 +- 10**-k, both in (0, 1]; either may be larger."""

    def build(x: sp.Rational, k: int, up: bool) -> tuple:
        other = x * (1 - sp.Rational(1, 10**k))
        return (x, other) if up else (other, x)

    return st.builds(build, probabilities(min_value=1e-300).map(sp.Rational),
                     st.integers(min_value=min_digits, max_value=max_digits), st.booleans())


def parameter_values(loss: Loss) -> st.SearchStrategy[dict]:
    """A value for every parameter of ``loss`` inside its domain, extremes included."""
    fields = {}
    for p in loss.parameters:
        lo, hi = p.domain.inf, p.domain.sup
        if p.name == "beta":
            fields[p.name] = betas()
        elif p.integer:
            fields[p.name] = st.integers(min_value=max(int(lo), 1),
                                         max_value=int(min(hi, 10**4)))
        else:
            low = float(lo) if lo.is_finite else -1e3
            high = float(hi) if hi.is_finite else 1e3
            fields[p.name] = st.floats(min_value=low, max_value=high, allow_nan=False,
                                       exclude_min=bool(p.domain.left_open),
                                       exclude_max=bool(p.domain.right_open))
    return st.fixed_dictionaries(fields)


def points(loss: Loss, exact: bool = False) -> st.SearchStrategy[dict]:
    """A point {x1, x2, parameters...} of the domain of ``loss``."""
    prob = exact_probabilities() if exact else probabilities()
    return st.builds(lambda a, b, params: {"x1": a, "x2": b, **params},
                     prob, prob, parameter_values(loss))

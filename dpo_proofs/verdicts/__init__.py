"""Stage 3, claims and verdicts: claims as values, the proof kernel, the provers (symbolic,
interval), the counterexample search, and ``check`` which runs them in order."""

"""Stage 2, the field: canonical forms, signs, the gradient field, frames (parametrizations),
the field in a frame, flow closed forms and the class theorem. sympy only: no numerics,
no verdicts, no printing."""

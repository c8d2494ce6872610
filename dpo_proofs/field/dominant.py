"""The dominant part of an expression as x2 -> 0+, for limits too large for sympy.limit.

Every sum S in the expression is written S = D * (1 + sum_j t_j / D), where D collects the
terms of least x2-exponent (field.thresholds reads the exponents; their order must be
decided) and the t_j are the others. Then expr = lead * g, with lead built from the D's
the same way expr is built from the S's, and g a product of factors (1 + sum_j t_j/D)**n.
If every correction t_j / D tends to 0 (each checked by sympy.limit, on an expression far
smaller than the original), g -> 1 and lim expr = lim lead, finite or infinite.

DiscoPOP's dL/dx2 (330 operations for beta < 1) has lead ~ x2**(beta - 1) and nine
corrections, each a few dozen operations.
"""
from __future__ import annotations

import sympy as sp

from ..loss.symbols import x2
from .thresholds import least, order

__all__ = ["dominant"]


def _split(expr: sp.Expr, corrections: list[sp.Expr]) -> sp.Expr | None:
    """The lead of ``expr``; the corrections are appended. None when the least exponent
    of a sum is not decided."""
    if not expr.has(x2) or expr == x2:
        return expr
    if isinstance(expr, sp.Mul):
        parts = [_split(f, corrections) for f in expr.args]
        return None if any(p is None for p in parts) else sp.Mul(*parts)
    if isinstance(expr, sp.Pow) and not expr.exp.has(x2):
        base = _split(expr.base, corrections)
        return None if base is None else base ** expr.exp
    if isinstance(expr, sp.Add):
        orders = [order(t, []) for t in expr.args]
        if any(o is None for o in orders):
            return None
        low = least(orders)
        if low is None:
            return None
        lead = sp.Add(*[t for t, o in zip(expr.args, orders) if o == low])
        if lead == 0:
            return None
        corrections += [t / lead for t, o in zip(expr.args, orders) if o != low]
        return lead
    return expr


def dominant(expr: sp.Expr) -> tuple[sp.Expr, list[sp.Expr]] | None:
    """(lead, corrections) with expr = lead * g and g -> 1 when every correction -> 0 as
    x2 -> 0+ (see the module docstring); None when a least exponent is not decided."""
    num, den = sp.fraction(sp.together(expr))
    corrections: list[sp.Expr] = []
    top = _split(num, corrections)
    bottom = _split(den, corrections)
    if top is None or bottom is None:
        return None
    return top / bottom, corrections

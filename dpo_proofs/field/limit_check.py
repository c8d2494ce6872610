"""A numeric guard on sympy.limit: a derived limit that the quantity visibly contradicts
near x2 = 0 is not reported.

sympy's gruntz algorithm must compare exponents whose sign depends on the constants; on
DiscoPOP's dL/dx2 with beta left symbolic it returned oo, which is false for beta > 1
(the threshold split of field.thresholds avoids the case, this guard catches the next
one). The guard evaluates the quantity at x2 = 1e-30 and 1e-60 in 150-digit arithmetic,
at two points of the case (each constant low and high in its range), and refuses a value
the two evaluations move away from. It can only withdraw a limit, never supply one.
"""
from __future__ import annotations

import mpmath
import sympy as sp

from ..loss.symbols import r_l, r_w, x1, x2

__all__ = ["contradiction", "GUARD_DIGITS", "GUARD_POINTS"]

#: Working precision of the guard, in digits: room for x2 = 1e-60 and for the
#: cancellation of leading terms (log(1 + u) - u in DiscoPOP).
GUARD_DIGITS = 150
#: The two distances from 0 at which the quantity is evaluated.
GUARD_POINTS = (sp.Rational(1, 10**30), sp.Rational(1, 10**60))

_FIXED = {x1: sp.Rational(3, 10), r_w: sp.Rational(1, 2), r_l: sp.Rational(2, 5)}


def _sample(symbol: sp.Symbol, domain, high: bool) -> sp.Expr:
    """A value of a constant inside its domain: low or high in it."""
    if isinstance(domain, sp.Interval):
        lo, hi = domain.inf, domain.sup
        if lo.is_finite and hi.is_finite:
            return lo + (hi - lo) * (sp.Rational(3, 4) if high else sp.Rational(1, 4))
        if lo.is_finite:
            return lo + (3 if high else sp.Rational(1, 2))
        if hi.is_finite:
            return hi - (sp.Rational(1, 2) if high else 3)
    if symbol.is_positive:
        return sp.Integer(3) if high else sp.Rational(1, 2)
    return sp.Integer(2) if high else sp.Rational(-1, 2)


def _number(expr: sp.Expr) -> mpmath.mpf | None:
    try:
        value = sp.N(expr, GUARD_DIGITS)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if value.has(sp.nan, sp.zoo) or not value.is_real or not value.is_finite:
        return None
    return mpmath.mpf(sp.sstr(value, full_prec=True))


def contradiction(expr: sp.Expr, value: sp.Expr, domains: dict) -> str:
    """Why ``value`` cannot be lim_{x2 -> 0+} ``expr`` (constants in ``domains``, dummies
    positive), or "" when neither sample point contradicts it (or it cannot be evaluated)."""
    free = sorted((expr.free_symbols | value.free_symbols) - {x2}, key=lambda s: s.name)
    for high in (False, True):
        at = {s: _FIXED.get(s, _sample(s, domains.get(s), high)) for s in free}
        with mpmath.workdps(GUARD_DIGITS):
            f = [_number(expr.subs(at).subs(x2, t)) for t in GUARD_POINTS]
            if any(v is None for v in f):
                continue
            near, nearer = f
            if value is sp.oo:
                bad = not nearer > near > 0
            elif value is -sp.oo:
                bad = not nearer < near < 0
            else:
                limit = _number(value.subs(at))
                if limit is None:
                    continue
                tolerance = mpmath.mpf(10) ** -40 * (1 + abs(limit))
                bad = abs(nearer - limit) > max(abs(near - limit), tolerance)
        if bad:
            point = ", ".join(f"{s} = {sp.sstr(v)}" for s, v in at.items())
            return (f"sympy.limit gave {sp.sstr(value)}, but at {point} the quantity is "
                    f"{mpmath.nstr(near, 6)} at x2 = 1e-30 and {mpmath.nstr(nearer, 6)} at "
                    "x2 = 1e-60, moving away from it")
    return ""

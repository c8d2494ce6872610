"""Where the behaviour of dL/dx2 as x2 -> 0+ changes: thresholds read off its exponents.

As x2 -> 0+ the term x2**a of a sum dominates x2**b when a < b, and a quotient behaves
like x2**e with e the numerator's least exponent minus the denominator's. So the limit
changes where e changes sign. e is solved for one constant p (beta first); its roots
inside p's domain are the thresholds, and p's domain is cut at them: SimPO's
dL/dx2 ~ x2**(beta/n_l - 1) splits on beta vs n_l, DPO-shift's on beta vs 1/lam, DPO's
(and cDPO's at eps = 0) on beta vs 1, ORPO's on nothing but n_l's own endpoint. Where a
sum's least exponent is not decided, the differences of its exponents are solved instead.

The cut only chooses the cases: every value is still sympy.limit's in its case, the
cases cover p's domain, and neighbouring cases with the same value are merged again, so
a threshold that does not matter costs work, never soundness or rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Callable

import sympy as sp

from ..loss.symbols import beta, r_l, r_w, x1, x2
from .canonical import exp_to_powers
from .signs import active_domains, sign_of

__all__ = ["Case", "MAX_THRESHOLDS", "GROUP_MAX", "least", "order", "thresholds", "cases_along",
           "merged", "open_interval"]

#: At most this many thresholds on the split constant (2*k + 1 cases, each its own
#: sympy.limit); further roots are left out, which is sound (see the module docstring).
MAX_THRESHOLDS = 3
#: A sum with more distinct exponents than this is not ordered (each pair is compared,
#: and an undecided pair is solved for its roots): the work stays bounded by a count.
GROUP_MAX = 16

_VARIABLES = {x1, x2, r_w, r_l}


def _domain(p: sp.Symbol) -> sp.Interval:
    domain = active_domains().get(p)
    if isinstance(domain, sp.Interval):
        return domain
    return sp.Interval.open(0, sp.oo) if p.is_positive else sp.Interval(-sp.oo, sp.oo)


def _inside(s: sp.Expr, domain: sp.Interval) -> bool:
    """s lies in the interior of ``domain`` for every value of the constants in s."""
    if s.free_symbols & _VARIABLES or s.is_real is False:
        return False
    lo, hi = domain.inf, domain.sup
    above = lo is sp.S.NegativeInfinity or sign_of(s - lo) == 1
    below = hi is sp.oo or sign_of(hi - s) == 1
    return above and below


def least(exponents) -> sp.Expr | None:
    """The exponent below every other one (decided for every value of the constants), or
    None when their order is not decided."""
    distinct = sorted(set(exponents), key=sp.default_sort_key)
    for low in distinct:
        if all(o == low or sign_of(sp.expand(o - low)) == 1 for o in distinct):
            return low
    return None


def order(expr: sp.Expr, undecided: list) -> sp.Expr | None:
    """The exponent e with expr ~ c * x2**e (times powers of log x2) as x2 -> 0+, or None;
    a minimum of exponents whose order is not decided adds their difference to
    ``undecided``."""
    if not expr.has(x2):
        return sp.S.Zero
    if expr == x2:
        return sp.S.One
    if isinstance(expr, sp.Add):
        orders = [order(t, undecided) for t in expr.args]
        if any(o is None for o in orders):
            return None
        distinct = sorted(set(orders), key=sp.default_sort_key)
        if len(distinct) > GROUP_MAX:
            return None
        low = least(distinct)
        if low is None:
            undecided += [sp.expand(a - b) for a, b in combinations(distinct, 2)]
        return low
    if isinstance(expr, sp.Mul):
        orders = [order(f, undecided) for f in expr.args]
        return None if any(o is None for o in orders) else sp.expand(sp.Add(*orders))
    if isinstance(expr, sp.Pow) and not expr.exp.has(x2):
        if expr.base == x2:
            return sp.expand(expr.exp)
        inner = order(expr.base, undecided)
        return None if inner is None else sp.expand(expr.exp * inner)
    if isinstance(expr, sp.log):
        # log(1 + u) ~ u when u -> 0; any other log is slowly varying (order 0).
        near_one = order(sp.expand(expr.args[0] - 1), [])
        return near_one if near_one is not None and sign_of(near_one) == 1 else sp.S.Zero
    return None


def _roots(d: sp.Expr, roots: dict) -> None:
    """Add to ``roots`` (p -> values) the roots of d = 0 inside a constant's domain."""
    for p in sorted(d.free_symbols - _VARIABLES, key=lambda s: (s != beta, s.name)):
        try:
            found = sp.solve(d, p)
        except (NotImplementedError, ValueError, TypeError):
            continue
        for s in found:
            s = sp.simplify(s)
            if _inside(s, _domain(p)) and not any(
                    sp.simplify(s - t) == 0 for t in roots.get(p, [])):
                roots.setdefault(p, []).append(s)


def thresholds(expr: sp.Expr) -> tuple[sp.Symbol | None, list[sp.Expr]]:
    """(p, the thresholds of ``expr`` on p in increasing order), or (None, []) when no
    exponent has a root inside a constant's domain or their order is not decided.

    First the leading exponent e of expr (numerator's minus denominator's) is sought; the
    roots of e are then the thresholds. Where the leading term is not decided, every
    difference of two exponents in one sum is a candidate."""
    expr = exp_to_powers(expr)
    roots: dict[sp.Symbol, list[sp.Expr]] = {}
    pieces = [e for e, _ in expr.args] if isinstance(expr, sp.Piecewise) else [expr]
    for piece in pieces:
        undecided: list[sp.Expr] = []
        num, den = sp.fraction(sp.together(piece))
        top, bottom = order(num, undecided), order(den, undecided)
        if top is not None and bottom is not None:
            _roots(sp.expand(top - bottom), roots)
        # Where a sum's least exponent is not decided, its exponents' differences are
        # the candidates (bounded: at most GROUP_MAX exponents per sum).
        for d in undecided:
            _roots(d, roots)
    for p in sorted(roots, key=lambda s: (s != beta, s.name)):
        ordered = _sorted(roots[p][:MAX_THRESHOLDS])
        if ordered is not None:
            return p, ordered
    return None, []


def _sorted(values: list[sp.Expr]) -> list[sp.Expr] | None:
    out: list[sp.Expr] = []
    for v in values:
        at = 0
        while at < len(out) and sign_of(v - out[at]) == 1:
            at += 1
        if at < len(out) and sign_of(out[at] - v) != 1:
            return None
        out.insert(at, v)
    return out


@dataclass(frozen=True)
class Case:
    """p in the interval from ``lo`` to ``hi`` (closed ends as flagged), with the
    substitution that encodes it for sympy (p through a dummy d > 0) and its inverse."""

    parameter: sp.Symbol | None
    lo: sp.Expr
    hi: sp.Expr
    lo_closed: bool
    hi_closed: bool
    subs: dict
    back: dict

    def apply(self, expr: sp.Expr) -> sp.Expr:
        return expr.subs(self.subs) if self.subs else expr

    def text(self) -> str:
        """beta < n_l, beta = n_l, 1 < beta <= 2, ...; "" for p's whole domain."""
        if self.parameter is None:
            return ""
        p, domain = sp.sstr(self.parameter), _domain(self.parameter)
        if self.lo == self.hi:
            return f"{p} = {sp.sstr(self.lo)}"
        low = self.lo == domain.inf and self.lo_closed == (not domain.left_open)
        high = self.hi == domain.sup and self.hi_closed == (not domain.right_open)
        lt = lambda closed: "<=" if closed else "<"  # noqa: E731
        if low and high:
            return ""
        if low:
            return f"{p} {lt(self.hi_closed)} {sp.sstr(self.hi)}"
        if high:
            return f"{p} {'>=' if self.lo_closed else '>'} {sp.sstr(self.lo)}"
        return (f"{sp.sstr(self.lo)} {lt(self.lo_closed)} {p} "
                f"{lt(self.hi_closed)} {sp.sstr(self.hi)}")


def open_interval(p: sp.Symbol, lo: sp.Expr, hi: sp.Expr, d: sp.Symbol) -> tuple[sp.Expr, sp.Expr]:
    """p in the open interval (lo, hi) written through d > 0, and d in terms of p.

    sympy decides signs from assumptions only: eps in (0, 1/2) as (1/2)/(1 + d) lets it
    see eps > 0, and beta > n_l as n_l*(1 + d) makes beta/n_l - 1 = d."""
    if hi is sp.oo:
        if sign_of(lo) == 1:
            return lo * (1 + d), p / lo - 1
        return lo + d, p - lo
    if lo is sp.S.NegativeInfinity:
        return hi - d, hi - p
    return lo + (hi - lo) / (1 + d), (hi - lo) / (p - lo) - 1


def cases_along(expr: sp.Expr, dummy: Callable[[], sp.Symbol]) -> list[Case]:
    """The cases of ``expr``'s thresholds in increasing order of the split constant; one
    case with no substitution when there is no threshold."""
    p, values = thresholds(expr)
    if p is None:
        return [Case(None, sp.S.Zero, sp.S.Zero, False, False, {}, {})]
    domain = _domain(p)
    ends = [domain.inf, *values, domain.sup]
    out = []
    for i in range(len(ends) - 1):
        d = dummy()
        value, inverse = open_interval(p, ends[i], ends[i + 1], d)
        out.append(Case(p, ends[i], ends[i + 1], False, False, {p: value}, {d: inverse}))
        if i < len(values):
            out.append(Case(p, values[i], values[i], True, True, {p: values[i]}, {}))
    return out


def merged(cases: list[Case], same: Callable[[int, int], bool]) -> list[tuple[Case, int]]:
    """Neighbouring cases whose values are the same (``same(i, j)``) joined into one:
    (the joined case, the index of a case it stands for)."""
    out: list[tuple[Case, int]] = []
    for i, case in enumerate(cases):
        if out and same(out[-1][1], i):
            first = out[-1][0]
            out[-1] = (Case(case.parameter, first.lo, case.hi, first.lo_closed,
                            case.hi_closed, {}, {}), out[-1][1])
        else:
            out.append((case, i))
    return out

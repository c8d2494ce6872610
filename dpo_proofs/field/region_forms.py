"""The regions the printers show, each relation in its simplest equivalent form: a
cone x1 > c*x2, a relation in x1/x2, a threshold on a probability.

A region comes out of the sign analysis as relations between large expressions in x1,
x2 and the constants. Many of them depend on x1/x2 alone (the loss is a function of the
margin h = beta*log(x1/r_w) - beta*log(x2/r_l)); a reader wants ``x1 > c*x2``, not a
polynomial in x1**beta and x2**beta. For one relation ``g op 0``:

1. with rho = x1/x2 (x1 = rho*x2, a bijection for fixed x2 > 0), g is rewritten in
   rho and x2 and factored; a sum of logarithms with rational coefficients is
   compared through exp (monotone): sum k_i*log(A_i) > 0 iff prod A_i**k_i > 1;
2. the factors whose sign the assumptions decide are dropped (a positive factor does
   not change ``op``, a negative one flips it); when the one factor left is free of
   x2, the relation is one in rho alone;
3. when that factor is a*u + r with u = rho, rho**k or log(rho) and the sign of a
   decided, u op -r/a, inverted through the monotone u: rho op T, i.e. x1 op T*x2;
   a*u**2 + b*u + c with b**2 - 4ac < 0 has a's sign everywhere;
4. a relation that is not one in rho is solved for x1 the same way, with x2 in the
   coefficients (x1 >= r_w*(x2/r_l)**(n_w/n_l)*exp(...)), when that is no longer.

Each step is an equivalence on the domain (every symbol positive), so the result is
the same set; a relation no step applies to is kept as it was. On the edge frame
the steps run twice: in (x1, x2), then with x2 = 1 - x1 substituted, on x1 itself (a
cone x1 > c*x2 becomes x1 > c/(1 + c)).
"""
from __future__ import annotations

import functools
from collections.abc import Sequence

import sympy as sp

from ..loss.symbols import x1, x2
from .canonical import canonical, factorable
from .frames import Parametrization
from .gradient import GradientField
from .in_frame import restrict_to_frame
from .signs import (RELATION_OPS, SignAnalysis, active_domains, analyze_sign, domains_in_force,
                    relation, sign_of)

__all__ = ["regions_of", "REGIONS", "simplest_region", "simplest_relation"]

#: x1/x2, the variable a margin loss's relations depend on.
RHO = sp.Symbol("_rho", positive=True)

#: Relations larger than this (sympy operations) are kept as they are: factoring them
#: in rho costs more than the reader gains, and keeps a region's derivation bounded.
MAX_OPS = 200

_OPS = RELATION_OPS
#: A region with at most this many relations is also minimised as a boolean formula
#: (sympy's simplify_logic, exponential in the number of relations).
_LOGIC_ATOMS = 6
_FLIP = {">": "<", "<": ">", ">=": "<=", "<=": ">=", "=": "=", "!=": "!="}


#: The regions ``regions_of`` derives: R > 1, R = 1, R < 1, and where x1 is not pushed
#: up / x2 not pushed down.
REGIONS = ("ratio_gt_1", "ratio_eq_1", "ratio_lt_1", "x1_not_pushed_up", "x2_not_pushed_down")


def regions_of(field: GradientField, frame: Parametrization | None = None,
               which: Sequence[str] = REGIONS) -> tuple[tuple[str, sp.Basic], ...]:
    """The exact regions the printers show (those named in ``which``, see REGIONS),
    restricted to the frame's domain, each relation in its simplest equivalent form (a
    cone x1 > c*x2, a relation in x1/x2: see field.region_forms)."""
    region = {
        "ratio_gt_1": lambda: field.region_ratio_gt_1,
        "ratio_eq_1": lambda: field.region_ratio_eq_1,
        "ratio_lt_1": lambda: field.region_ratio_lt_1,
        "x1_not_pushed_up": lambda: sp.Or(field.region_partial(x1, ">"),
                                          field.region_partial(x1, "=")),
        "x2_not_pushed_down": lambda: sp.Or(field.region_partial(x2, "<"),
                                            field.region_partial(x2, "=")),
    }

    def simplest(name: str) -> sp.Basic:
        if frame is None or frame.is_identity:
            return simplest_region(region[name](), field.domains)
        if not isinstance(frame.domain, sp.Equality):
            return simplest_region(restrict_to_frame(region[name](), frame), field.domains)
        # On an edge (x2 = 1 - x1) the relations are first reduced in x1 and x2, where
        # a cone x1 > c*x2 is found, then on the edge, where it becomes x1 > c/(1 + c).
        # Both are equivalences on a set containing the edge.
        edge = simplest_region(restrict_to_frame(
            simplest_region(region[name](), field.domains), frame), field.domains)
        if len(edge.atoms(sp.core.relational.Relational)) <= _LOGIC_ATOMS:
            edge = sp.simplify_logic(edge)  # (a & b) | (a & ~b) is a
        return edge
    return tuple((name, simplest(name)) for name in which)


def simplest_region(region: sp.Basic, domains: dict | None = None) -> sp.Basic:
    """``region`` with each relation replaced by its simplest equivalent form (see the
    module's docstring); ``domains`` (symbol -> interval) are the constants' domains in
    force when the region was derived."""
    if region in (sp.true, sp.false):
        return region
    key = tuple(sorted((domains or {}).items(), key=lambda item: item[0].name))
    replaced = {rel: _simplest(rel, key) for rel in region.atoms(sp.core.relational.Relational)}
    return _merged(region.xreplace({a: b for a, b in replaced.items() if a != b}))


#: The three cases of x1 against a threshold T, and the relation true on a union of them.
_CASES = ("<", "=", ">")
_UNION = {("<",): "<", ("=",): "=", (">",): ">", ("<", "="): "<=", ("=", ">"): ">=",
          ("<", ">"): "!="}
_HOLDS = {"<": {"<"}, "=": {"="}, ">": {">"}, "<=": {"<", "="}, ">=": {"=", ">"},
          "!=": {"<", ">"}}


def _merged(region: sp.Basic) -> sp.Basic:
    """Relations of one gap g (x1 > T, x1 = T, x1 <= T, ...; or g > 0, g = 0 with g
    any expression, -g read as g with the relation flipped) merged: the region is split
    on the three cases g < 0, g = 0, g > 0, and cases whose rest is the same are joined
    into one relation ((g > 0) | (g = 0) is g >= 0). Exact: every relation of g to 0
    has one truth value in each case."""
    if region in (sp.true, sp.false):
        return region
    groups: dict = {}
    for rel in region.atoms(sp.core.relational.Relational):
        op = _OPS.get(type(rel))
        if op is None:
            continue
        gap = rel.lhs - rel.rhs
        if gap.could_extract_minus_sign():
            gap, op = -gap, _FLIP[op]
        groups.setdefault(gap, []).append((rel, op))
    for gap, members in groups.items():
        if len(members) < 2:
            continue
        rests = {case: region.xreplace({rel: sp.true if case in _HOLDS[op] else sp.false
                                        for rel, op in members}) for case in _CASES}
        joined: dict = {}
        for case in _CASES:
            joined.setdefault(rests[case], []).append(case)
        merged = sp.Or(*[sp.And(_relation(gap, _UNION[tuple(cases)]), rest)
                         if len(cases) < 3 else rest
                         for rest, cases in joined.items() if rest is not sp.false])
        # kept only when it says less: splitting on the cases can also spell a region
        # (x1 + x2 < 1) & (A | B) as the longer ((x1 + x2 < 1) & A) | ((x1 + x2 < 1) & B)
        if sp.count_ops(merged) < sp.count_ops(region):
            region = merged
    return region


@functools.lru_cache(maxsize=2048)
def _simplest(rel: sp.Basic, domains: tuple) -> sp.Basic:
    # The regions of one field share most relations (R > 1 and R < 1, both pushes).
    with domains_in_force(dict(domains)):
        return simplest_relation(rel)


def simplest_relation(rel: sp.Basic) -> sp.Basic:
    """One relation in x1 (and x2) in its simplest equivalent form, or ``rel`` itself:
    a relation in rho = x1/x2 when there is one, else x1 against a threshold in x2
    (x1 >= r_w*(x2/r_l)**(n_w/n_l)*exp(...)) when that is shorter."""
    op = _OPS.get(type(rel))
    free = rel.free_symbols
    if op is None or sp.count_ops(rel) > MAX_OPS or not free & {x1, x2}:
        return rel
    gap = rel.lhs - rel.rhs
    if not {x1, x2} <= free:
        (variable,) = free & {x1, x2}
        return _reduced(gap, op, variable, rel)
    in_rho = gap.subs(x1, RHO * x2)
    if not _depends_on_x2(in_rho):
        reduced = _reduced(in_rho, op, RHO, None)
        if reduced is not None:
            return reduced
    if _linear_in(sp.expand(gap), x1) is None:
        return rel  # not a*u(x1) + r: no threshold to solve for (skips the factoring)
    solved = _reduced(gap, op, x1, None, parameter=x2, solved_only=True)
    return solved if solved is not None and sp.count_ops(solved) <= sp.count_ops(rel) else rel


def _reduced(gap: sp.Expr, op: str, variable: sp.Symbol, otherwise, parameter=None,
             solved_only: bool = False):
    """``gap op 0`` reduced in ``variable`` (rho or one probability; ``parameter``, x2,
    may appear in the coefficients), or ``otherwise``."""
    try:
        reduced = _one_variable(gap, op, variable, parameter)
        if reduced is None:
            return otherwise
        factor, op = reduced
        factor = _no_real_root(factor, variable)
        if factor.is_Number:
            return _relation(factor, op)  # decided: true or false
        solved = _solved(factor, op, variable)
    except (sp.PolynomialError, NotImplementedError, ZeroDivisionError):
        return otherwise
    if solved is not None:
        threshold, op = solved
        if variable is RHO:
            return _relation(x1 - threshold * x2, op)
        return _on_unit_interval(variable, op, threshold)
    if solved_only:
        return otherwise
    if variable is RHO:
        return _relation(factor.subs(RHO, sp.Mul(x1, 1 / x2, evaluate=False)), op)
    if otherwise is not None and sp.count_ops(factor) < sp.count_ops(gap):
        return _relation(factor, op)
    return otherwise


def _on_unit_interval(variable: sp.Symbol, op: str, threshold: sp.Expr) -> sp.Basic:
    """``variable op threshold`` for a probability in (0, 1]: decided (true or false)
    when the threshold lies at or beyond an end, e.g. x1 > 1 is false."""
    above_one = _sign(threshold - 1)
    if above_one == 1:  # T > 1 >= v
        return sp.true if op in ("<", "<=", "!=") else sp.false
    if above_one == 0:  # T = 1 >= v
        if op == ">":
            return sp.false
        if op == "<=":
            return sp.true
        return _relation(variable - 1, {">=": "=", "<": "!="}.get(op, op))
    positive = _sign(threshold)
    if positive is not None and positive <= 0:  # T <= 0 < v
        return sp.true if op in (">", ">=", "!=") else sp.false
    return _relation(variable - threshold, op)


def _relation(gap: sp.Expr, op: str) -> sp.Basic:
    """``gap op 0`` as signs.relation writes it (x1 > c*x2), for every op."""
    if gap.is_Number:
        return sp.sympify({">": gap > 0, "<": gap < 0, ">=": gap >= 0, "<=": gap <= 0,
                           "=": gap == 0, "!=": gap != 0}[op])
    if op in (">=", "<="):
        strict = relation(gap, op[0])
        return (sp.GreaterThan if op == ">=" else sp.LessThan)(strict.lhs, strict.rhs,
                                                              evaluate=False)
    return relation(gap, op)


def _sign(expr: sp.Expr) -> int | None:
    """The sign of ``expr`` on the domain, factor by factor (None: not decided)."""
    return analyze_sign(expr).sign


#: Sample points of the gate below: the sign of a gap that reduces to one in x1/x2 is
#: the same at both x2 for each rho.
_RHOS = (sp.Rational(1, 3), sp.Integer(2), sp.Integer(7))
_X2S = (sp.Rational(1, 10), sp.Rational(1, 2))


def _depends_on_x2(gap: sp.Expr) -> bool:
    """Whether the sign of ``gap`` (in rho and x2) visibly changes with x2 at fixed rho,
    the constants at a point of their domains: then no reduction to rho exists and the
    exact work (factoring) is skipped. Only ever skips: a gap it passes still has to be
    reduced exactly."""
    values = {s: _inside(active_domains().get(s)) for s in gap.free_symbols - {RHO, x2}}
    try:
        for rho in _RHOS:
            signs = set()
            for x2_ in _X2S:
                value = sp.N(gap.subs({**values, RHO: rho, x2: x2_}), 30)
                if not value.is_real or not value.is_finite:
                    return False
                if abs(value) > sp.Float(10) ** -20:
                    signs.add(value > 0)
            if len(signs) > 1:
                return True
    except (TypeError, ValueError, ZeroDivisionError):
        return False
    return False


def _inside(domain) -> sp.Expr:
    """A point inside a constant's domain (an interval; positive reals if none)."""
    if not isinstance(domain, sp.Interval):
        return sp.Rational(3, 7)
    lo, hi = domain.inf, domain.sup
    if hi is sp.oo:
        return (lo if lo.is_finite else 0) + sp.Rational(3, 7)
    if lo is sp.S.NegativeInfinity:
        return hi - sp.Rational(3, 7)
    return lo + (hi - lo) * sp.Rational(3, 7)


def _one_variable(gap: sp.Expr, op: str, variable: sp.Symbol, parameter=None):
    """(b, op') with ``gap op 0`` iff ``b op' 0`` and b the one factor of the gap
    whose sign the assumptions leave open, in ``variable`` (and ``parameter``) alone;
    else None."""
    if not factorable(gap):
        return None
    expr = _exponentiated(canonical(gap))
    analysis = analyze_sign(expr)
    if not isinstance(analysis, SignAnalysis) or analysis.decided_sign == 0:
        return None
    if not analysis.undecided:  # the sign is the same on the whole domain
        return sp.Integer(analysis.decided_sign), op
    if len(analysis.undecided) != 1:
        return None
    (factor,) = analysis.undecided
    exponent = factor.exponent
    if factor.base.free_symbols & {x1, x2} - {variable, parameter} or not exponent.is_integer \
            or not exponent.is_odd or (op in ("=", "!=") and exponent.is_negative):
        return None
    # an odd power of b has b's sign (a negative one too: 1/b); b = 0 iff b**k = 0, k > 0
    return factor.base, op if analysis.decided_sign > 0 else _FLIP[op]


def _exponentiated(expr: sp.Expr) -> sp.Expr:
    """sum k_i*log(A_i) (k_i rational, A_i > 0) as prod_{k>0} A**k - prod_{k<0} A**-k,
    which has the same sign (exp is increasing); any other expression as it is."""
    if not expr.is_Add:
        return expr
    up, down = [], []
    for term in expr.args:
        k, rest = term.as_coeff_Mul()
        if not isinstance(rest, sp.log) or sign_of(rest.args[0]) != 1:
            return expr
        (up if k > 0 else down).append(rest.args[0] ** abs(k))
    return canonical(sp.Mul(*up) - sp.Mul(*down))


def _no_real_root(factor: sp.Expr, variable: sp.Symbol) -> sp.Expr:
    """+-1 when the factor is a*u**2 + b*u + c in u = v**k (a, b, c free of v) with
    b**2 - 4*a*c < 0 on the domain: it has a's sign for every v; else the factor."""
    parts: dict = {}
    for term in sp.Add.make_args(sp.expand(factor)):
        coeff, rest = term.as_independent(variable, as_Add=False)
        parts[rest] = parts.get(rest, sp.S.Zero) + coeff
    powers = [r for r in parts if r != 1]
    if len(powers) != 2:
        return factor
    u, square = sorted(powers, key=sp.count_ops)
    if square != u ** 2:
        u, square = square, u
        if square != u ** 2:
            return factor
    a, b, c = parts[square], parts[u], parts.get(sp.S.One, sp.S.Zero)
    lead = _sign(a)
    if lead in (1, -1) and _sign(canonical(b ** 2 - 4 * a * c)) == -1:
        return sp.Integer(lead)
    return factor


def _linear_in(expr: sp.Expr, variable: sp.Symbol):
    """(u, a, r) with expr = a*u + r, a and r free of ``variable`` and u the one
    subexpression in it (read term by term); None if there is no such u."""
    u, a, r = None, sp.S.Zero, sp.S.Zero
    for term in sp.Add.make_args(expr):
        coeff, rest = term.as_independent(variable, as_Add=False)
        if rest == 1:
            r += term
        elif u is None or rest == u:
            u, a = rest, a + coeff
        else:
            return None
    return None if u is None else (u, a, r)


def _solved(factor: sp.Expr, op: str, variable: sp.Symbol):
    """(T, op') with ``factor op 0`` iff ``variable op' T``, when the factor is
    a*u + r with u = v, v**k or log(v), a and r free of v and the signs needed
    decided by the assumptions; else None."""
    linear = _linear_in(sp.expand(factor), variable)
    if linear is None:
        return None
    u, a, r = linear
    s = _sign(a)
    if s not in (1, -1):
        return None
    op = op if s > 0 else _FLIP[op]
    t = -r / a
    if u == variable:
        return canonical(t), op
    if isinstance(u, sp.log) and u.args[0] == variable:
        return canonical(sp.exp(t)), op
    if u.is_Pow and u.base == variable and not u.exp.has(variable):
        k_sign = _sign(u.exp)
        if k_sign not in (1, -1) or _sign(t) != 1:
            return None
        return canonical(t ** (1 / u.exp)), op if k_sign > 0 else _FLIP[op]
    return None

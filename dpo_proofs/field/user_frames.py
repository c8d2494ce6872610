"""User maps "x1 = EXPR, x2 = EXPR": parsed safely, the chart solved by sympy, the image
of a map of one parameter per coordinate derived, and the frame built by ``frames``."""
from __future__ import annotations

import re

import sympy as sp

from .canonical import canonical
from ..errors import InvalidArgument
from ..loss.functions import sigmoid
from ..loss.symbols import x1, x2

__all__ = ["user_map"]

_ASSIGN = re.compile(r"^\s*(x1|x2)\s*=\s*(.+?)\s*$")


def user_map(text: str) -> tuple:
    """The arguments from which ``frames.user_parametrization`` derives the frame: (name,
    description, parameters, the map, its chart, its domain, the steps).

    A map "x1 = EXPR, x2 = EXPR [where REL]" in free parameters (any other names),
    e.g. "x1 = sigmoid(a), x2 = sigmoid(b)". Parsed by the safe parser (no eval). REL
    states the set of (x1, x2) the map reaches, e.g. "where x1 + x2 < 1" for softmax
    over three logits; where each coordinate is a map of its own parameter its image is
    derived (x1 = sigmoid(a) gives x1 < 1), else the default is the whole square.

    The chart theta(x) is solved by sympy for two of the parameters; J J^T must then
    not depend on the others (else the velocity is not a field on (x1, x2)).
    """
    from ..loss.parser import parse_expression

    text, _, where = text.partition(" where ")
    parts = [p for p in re.split(r"[,;]", text) if p.strip()]
    sides: dict[str, str] = {}
    for part in parts:
        m = _ASSIGN.match(part)
        if not m:
            raise InvalidArgument(f"parametrization {text!r}: write it as 'x1 = EXPR, x2 = EXPR'")
        sides[m.group(1)] = m.group(2)
    if set(sides) != {"x1", "x2"}:
        raise InvalidArgument(f"parametrization {text!r}: give both x1 = ... and x2 = ...")
    names = sorted(set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", sides["x1"] + " " + sides["x2"])))
    reserved = {"x1", "x2", "r_w", "r_l", "beta"}
    from ..loss.parser import CONSTANTS, FUNCTIONS

    params = [n for n in names if n not in reserved and n not in FUNCTIONS
              and n not in CONSTANTS]
    if any(n in reserved for n in names):
        raise InvalidArgument(f"parametrization {text!r}: the map may not use "
                              "x1, x2, r_w, r_l or beta; name its parameters otherwise")
    symbols = {n: sp.Symbol(n, real=True) for n in params}
    forward = tuple(parse_expression(sides[k], symbols) for k in ("x1", "x2"))
    coords = tuple(symbols[n] for n in params)
    if len(coords) < 2:
        raise InvalidArgument(f"parametrization {text!r}: needs at least two parameters")
    chart = _solve_chart(text, coords, forward)
    # The image of a map of one parameter per coordinate is derived (sigmoid reaches
    # (0, 1), never x = 1); the image of a joint map the user states ("where x1 + x2 < 1"
    # for three logits), else it is taken to be the whole square.
    domain = _image(forward, coords)
    if where.strip():
        from ..loss.parser import parse_relation

        stated = parse_relation(where, {"x1": x1, "x2": x2})
        if stated.free_symbols - {x1, x2}:
            raise InvalidArgument(f"parametrization domain {where!r} may use only x1 and x2")
        domain = sp.And(domain, stated)
        text = f"{text} where {where.strip()}"
    return (text, f"user map {text}", coords, forward, chart, domain,
                   [f"x1 = {sp.sstr(forward[0])}, x2 = {sp.sstr(forward[1])}",
                    "chart solved by sympy: " + ", ".join(f"{t} = {sp.sstr(e)}"
                                                          for t, e in chart)])


def _image(forward, coords) -> sp.Basic:
    """x1 < 1 (x2 < 1, x >= c > 0) where x_i = f(t_i) of one parameter never reaches the
    square's edge: the image of f over the reals by sympy's ``function_range``."""
    from sympy.calculus.util import function_range

    from ..loss.functions import to_elementary

    out = []
    if [len(f.free_symbols) for f in forward] != [1, 1] or \
            forward[0].free_symbols == forward[1].free_symbols:
        return sp.true
    for x, f in zip((x1, x2), forward):
        try:
            image = function_range(to_elementary(f), next(iter(f.free_symbols)), sp.S.Reals)
        except (NotImplementedError, ValueError, TypeError):
            continue
        if isinstance(image, sp.Interval):
            if image.sup == 1 and image.right_open:
                out.append(sp.StrictLessThan(x, 1))
            if image.inf.is_positive:
                out.append((sp.StrictGreaterThan if image.left_open else sp.GreaterThan)(
                    x, image.inf))
    return sp.And(*out)


#: Outer functions whose inverse is known: x = f(g) gives g = f^{-1}(x). Peeling them
#: first leaves sympy a polynomial system (sigmoid(a + b**3) is solved through logit).
_INVERSES = {sigmoid: lambda x: sp.log(x / (1 - x)), sp.exp: sp.log}


def _peel(f: sp.Expr, x: sp.Symbol) -> tuple[sp.Expr, sp.Expr]:
    """(g, h) with f = x  <=>  g = h, after inverting known outer functions."""
    target = x
    while type(f) in _INVERSES and len(f.args) == 1:
        target = _INVERSES[type(f)](target)
        f = f.args[0]
    return f, target


def _real_odd_roots(expr: sp.Expr) -> sp.Expr:
    """e**(1/k) for odd k as the real root (sympy's principal root is complex for e < 0)."""
    return expr.replace(
        lambda e: e.is_Pow and e.exp.is_Rational and e.exp.q % 2 == 1 and e.exp.p == 1
        and e.exp.q > 1, lambda e: sp.sign(e.base) * sp.Abs(e.base) ** e.exp)


def _solve_chart(text, coords, forward):
    from itertools import combinations

    from ..budget import time_budget

    others = [c for c in coords]
    for pair in combinations(coords, 2):
        rest = {c: 0 for c in others if c not in pair}  # a representative for the others
        peeled = [_peel(f.subs(rest), s) for f, s in zip(forward, (x1, x2))]
        eqs = [sp.Eq(g, h) for g, h in peeled]
        with time_budget(30, f"solving the map {text} for its parameters"):
            solutions = sp.solve(eqs, list(pair), dict=True)
        for sol in solutions:
            chart = [(t, canonical(_real_odd_roots(sol[t]))) for t in pair if t in sol] \
                + list(rest.items())
            if len(chart) != len(coords):
                continue
            if all(_is_real_on_square(e) for _, e in chart):
                return tuple(chart)
    raise InvalidArgument(f"parametrization {text!r}: sympy found no real inverse "
                          "theta(x1, x2) of the map on (0, 1)^2")


def _is_real_on_square(expr: sp.Expr) -> bool:
    for a, b in ((sp.Rational(1, 3), sp.Rational(1, 5)), (sp.Rational(1, 7), sp.Rational(1, 2))):
        value = sp.N(sp.sympify(expr).subs({x1: a, x2: b}), 30)
        if not value.is_real:
            return False
    return True

"""The field a loss induces in a parametrization, its claims and its numerical confirmation.

In a parametrization with metric M = J J^T the field analysed is M grad L = -dx/dt.
Claims keep their meaning there: ``d_x1`` and ``d_x2`` name the components of
M grad L (so ``d_x1 < 0`` still reads "x1 increases") and ``ratio`` is the speed
ratio |dx2/dt| / |dx1/dt|; each claim's domain is intersected with the frame's
(x1 + x2 < 1 for softmax). The confirmation is independent of sympy's calculus:
mpmath differentiates the composite theta -> L(x(theta)) and the map x(theta) itself,
and multiplies J by grad_theta L.
"""
from __future__ import annotations

from collections.abc import Sequence

import mpmath
import sympy as sp

from ..loss.loss import Loss
from .frames import Parametrization
from ..numerics.confirm import (DPS, REQUIRED_DIGITS, Confirmation, Point, agreeing_digits,
                        confirmation_points, mp_callable, show, to_mpf)
from ..loss.symbols import x1, x2
from ..verdicts.values import Claim

__all__ = ["frame_claims", "frame_points", "confirm_velocity", "restrict_to_frame",
           "on_frame"]


def frame_claims(claims: Sequence[Claim], frame: Parametrization) -> tuple[Claim, ...]:
    """The claims with their domains intersected with the frame's."""
    if frame.domain is sp.true:
        return tuple(claims)
    return tuple(Claim(c.name, c.statement, sp.And(c.domain, frame.domain), c.description)
                 for c in claims)


def _edge_gap(relation: sp.Basic) -> sp.Expr | None:
    """lhs - rhs when it is +-(x1 + x2 - 1), with its sign: the simplex edge."""
    gap = sp.expand(relation.lhs - relation.rhs)
    edge = x1 + x2 - 1
    if gap == edge:
        return 1
    if gap == -edge:
        return -1
    return None


def restrict_to_frame(region: sp.Basic, frame: Parametrization) -> sp.Basic:
    """``region`` within the frame's domain, with relations to the simplex edge decided.

    On x1 + x2 < 1 a relation x1 + x2 > 1 is false and x1 + x2 < 1 true; on the edge
    x1 + x2 = 1 every relation is read with x2 = 1 - x1.
    """
    domain = frame.domain
    if domain is sp.true or region in (sp.true, sp.false):
        return region
    if isinstance(domain, sp.Equality):
        return sp.And(domain, region.subs(x2, 1 - x1)).simplify() \
            if region.free_symbols else region
    decided = {}
    for rel in region.atoms(sp.core.relational.Relational):
        side = _edge_gap(rel)
        if side is None:
            continue
        # On the frame x1 + x2 - 1 < 0, so lhs - rhs = side*(x1 + x2 - 1) has sign -side.
        value = sp.Integer(-side)
        truth = {sp.StrictGreaterThan: value > 0, sp.GreaterThan: value >= 0,
                 sp.StrictLessThan: value < 0, sp.LessThan: value <= 0,
                 sp.Equality: False, sp.Unequality: True}[type(rel)]
        decided[rel] = sp.true if truth else sp.false
    return sp.And(domain, region.xreplace(decided))


def on_frame(point: Point, frame: Parametrization) -> Point | None:
    """The point moved onto the frame (x2 = 1 - x1 on the edge), or None if outside."""
    if frame.domain is sp.true:
        return point
    if isinstance(frame.domain, sp.Equality):
        moved = dict(point)
        moved["x2"] = 1 - moved["x1"]
        return moved if 0 < moved["x2"] <= 1 else None
    inside = frame.domain.subs({x1: point["x1"], x2: point["x2"]})
    return point if inside is sp.true else None


def frame_points(loss: Loss, frame: Parametrization) -> list[dict]:
    """The confirmation points of the probability frame that lie on this frame, plus
    points well inside it (simplex frames: x1 + x2 < 1 leaves out half the square)."""
    R = sp.Rational
    extra = [{"x1": R(1, 5), "x2": R(7, 10)}, {"x1": R(1, 2), "x2": R(1, 10**30)},
             {"x1": R(1, 10**6), "x2": R(1, 3)}]
    out = []
    base = confirmation_points(loss)
    for point in base + [{**base[0], **e} for e in extra]:
        moved = on_frame(point, frame)
        if moved is not None and moved not in out:
            out.append(moved)
    return out


def confirm_velocity(loss: Loss, frame: Parametrization, g1: sp.Expr, g2: sp.Expr,
                     points: Sequence[Point] | None = None) -> tuple[Confirmation, ...]:
    """Compare (M grad L)_i with J(theta) grad_theta L(x(theta)) computed by mpmath.diff.

    theta = theta(x) by the chart; J and grad_theta L are numerical derivatives of
    the map and of the composite loss (the definition, not a symbolic derivative).
    """
    params = [p.symbol for p in loss.parameters]
    symbols = [x1, x2, *params]
    theta = list(frame.coordinates)
    chart = dict(frame.chart)
    chart_fns = [mp_callable(chart[t], [x1, x2]) for t in theta]
    forward_fns = [mp_callable(f, theta) for f in frame.forward]
    loss_fn = mp_callable(loss.expr, symbols)
    symbolic_fns = {"d_x1": mp_callable(g1, symbols), "d_x2": mp_callable(g2, symbols)}
    points = frame_points(loss, frame) if points is None else points
    out = []
    for point in points:
        # x1 = 1e-300 on the edge x1 + x2 = 1 makes J's off-diagonal ~1e-300 beside
        # entries ~1: a finite difference of x(theta) needs ~16x the digits to see it.
        for level in (DPS, 4 * DPS, 16 * DPS):
            with mpmath.workdps(level):
                x = [to_mpf(point["x1"]), to_mpf(point["x2"])]
                rest = [to_mpf(point[p.name]) for p in params]
                t0 = [f(*x) for f in chart_fns]

                def composite(*t):
                    return loss_fn(*[f(*t) for f in forward_fns], *rest)

                grad_t = [_partial(composite, t0, j) for j in range(len(theta))]
                jac = [[_partial(f, t0, j) for j in range(len(theta))] for f in forward_fns]
                numerical = [mpmath.fsum(jac[i][j] * grad_t[j] for j in range(len(theta)))
                             for i in range(2)]
                try:
                    symbolic = [symbolic_fns[q](*x, *rest) for q in ("d_x1", "d_x2")]
                    digits = [agreeing_digits(s, n) for s, n in zip(symbolic, numerical)]
                except ZeroDivisionError:
                    # A closed form such as 1/(x2**(1/n) - 1) at x2 = 1 - 1e-300: the
                    # denominator rounds to 0 at this precision; the next level resolves it.
                    symbolic, digits = [mpmath.nan, mpmath.nan], [0.0, 0.0]
            if min(digits) >= REQUIRED_DIGITS:
                break
        with mpmath.workdps(DPS):
            shown = tuple((k, show(v)) for k, v in sorted(point.items()))
            method = "mpmath.diff of L(x(theta)) and of x(theta)" + (
                f" at {level} digits" if level != DPS else "")
            for name, s, n, d in zip(("d_x1", "d_x2"), symbolic, numerical, digits):
                out.append(Confirmation(name, shown, mpmath.nstr(s, 25), mpmath.nstr(n, 25),
                                        round(min(d, DPS), 1), method))
    return tuple(out)


def _partial(fn, at: list, index: int):
    def along(t):
        args = list(at)
        args[index] = t
        return fn(*args)

    return mpmath.diff(along, at[index])

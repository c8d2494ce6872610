"""Numerical confirmation of a frame's velocity, independent of sympy's calculus.

mpmath differentiates the composite theta -> L(x(theta)) and the map x(theta) itself,
and multiplies J by grad_theta L; the symbolic (M grad L)_i must agree to
REQUIRED_DIGITS.
"""
from __future__ import annotations

from collections.abc import Sequence

import mpmath
import sympy as sp

from ..field.frames import Parametrization
from ..field.in_frame import on_frame
from ..loss.loss import Loss
from ..loss.symbols import x1, x2
from .confirm import (DPS, REQUIRED_DIGITS, Confirmation, Point, agreeing_digits,
                      confirmation_points, mp_callable, show, to_mpf)
from .seams import on_a_seam

__all__ = ["frame_points", "confirm_velocity"]


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
        # not on a kink of L (dpop's max(0, log(r_w/x1)) at x1 = r_w = 1/2, where
        # softmax:2 puts its point): no derivative exists there, and a central
        # difference averages the two one-sided ones
        if moved is not None and moved not in out and not on_a_seam(loss.expr, moved):
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
    # a frame with symbols of its own (the Gram frame's A) is checked at its sample map,
    # with the constants it implies (a, b, c from A A^T) in place of the point's
    fixed = dict(frame.sample)
    chart = {t: sp.sympify(e).subs(fixed) for t, e in frame.chart}
    chart_fns = [mp_callable(chart[t], [x1, x2]) for t in theta]
    forward_fns = [mp_callable(f.subs(fixed), theta) for f in frame.forward]
    loss_fn = mp_callable(loss.expr, symbols)
    symbolic_fns = {"d_x1": mp_callable(g1, symbols), "d_x2": mp_callable(g2, symbols)}
    analytic = not any(e.has(sp.Max, sp.Min, sp.Abs, sp.Heaviside, sp.Piecewise, sp.sign)
                       for e in (loss.expr, *frame.forward))
    points = frame_points(loss, frame) if points is None else points
    points = [{**p, **{s.name: v for s, v in fixed.items() if s in params}} for p in points]
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
                how = "mpmath.diff of L(x(theta)) and of x(theta)"
                try:
                    symbolic = [symbolic_fns[q](*x, *rest) for q in ("d_x1", "d_x2")]
                    digits = [agreeing_digits(s, n) for s, n in zip(symbolic, numerical)]
                except ZeroDivisionError:
                    # A closed form such as 1/(x2**(1/n) - 1) at x2 = 1 - 1e-300: the
                    # denominator rounds to 0 at this precision; the next level resolves it.
                    symbolic, digits = [mpmath.nan, mpmath.nan], [0.0, 0.0]
                if min(digits) < REQUIRED_DIGITS and analytic:
                    # A gradient far below the loss's size (cpo at beta = 1000, x2 = 1e-300:
                    # 1e-300076 beside alpha*log x1) is lost to any finite difference; the
                    # complex step of the composite keeps its relative precision.
                    stepped = _stepped(composite, t0, jac)
                    if stepped is not None:
                        better = [agreeing_digits(s, n) for s, n in zip(symbolic, stepped)]
                        if min(better) > min(digits):
                            numerical, digits = stepped, better
                            how = "complex step of L(x(theta)), mpmath.diff of x(theta)"
            if min(digits) >= REQUIRED_DIGITS:
                break
        with mpmath.workdps(DPS):
            shown = tuple((k, show(v)) for k, v in sorted(point.items()))
            method = how + (f" at {level} digits" if level != DPS else "")
            for name, s, n, d in zip(("d_x1", "d_x2"), symbolic, numerical, digits):
                out.append(Confirmation(name, shown, mpmath.nstr(s, 25), mpmath.nstr(n, 25),
                                        round(min(d, DPS), 1), method))
    return tuple(out)


def _stepped(composite, t0: list, jac: list) -> list | None:
    """J times grad_theta L with each partial of L(x(theta)) by the complex step
    Im L(theta + i*h*e_j)/h, h = 10^-(dps/2): no difference of nearby values, so a
    partial far below L's size keeps its relative precision (truncation O(h^2)).
    theta is any real (a log-probability is negative): the step is added, not scaled."""
    h = mpmath.mpf(10) ** (-(mpmath.mp.dps // 2))

    def partial(j: int):
        shifted = list(t0)
        shifted[j] = mpmath.mpc(t0[j], h)
        return mpmath.im(composite(*shifted)) / h
    try:
        grad = [partial(j) for j in range(len(t0))]
    except (ZeroDivisionError, ValueError, TypeError):
        return None   # a map not analytic there
    return [mpmath.fsum(jac[i][j] * grad[j] for j in range(len(t0))) for i in range(2)]


def _partial(fn, at: list, index: int):
    def along(t):
        args = list(at)
        args[index] = t
        return fn(*args)

    return mpmath.diff(along, at[index])

"""The velocity field dx/dt = -M grad L as numpy functions, and its orbits (for figures).

A FieldFunctions value is built from a field the pipeline already derived: the
components of M grad L, the ratio R and the quantity whose sign decides R vs 1 are
turned into numpy code by ``sympy.lambdify`` (nothing is re-typed), with the loss's
constants bound to exact values. In the probability frame M is the identity.

Orbits of the flow are integrated by classical RK4 in arc length: the unit direction
field has the same orbits as dx/dt and no stiffness from |grad L| blowing up as
x2 -> 0. Every start is stepped at once in numpy, for a fixed number of steps at
most, so the result does not depend on the machine's speed.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..field.frames import Parametrization
from ..field.gradient import GradientField
from ..loss.loss import Loss
from ..loss.symbols import x1, x2

__all__ = ["FieldFunctions", "field_functions", "domain_test", "EDGE_TOLERANCE",
           "STEP", "MAX_STEPS"]

#: How far from the edge x1 + x2 = 1 a point may be and still count as on it (rounding).
EDGE_TOLERANCE = 1e-9
#: Arc length of one RK4 step, and the most steps an orbit takes.
STEP = 0.004
MAX_STEPS = 2000

#: numpy function of (x1, x2), broadcasting over arrays
NumpyFunction = Callable[..., object]


@dataclass(frozen=True)
class FieldFunctions:
    """numpy callables (x1, x2) -> array, lambdified from the derived closed forms.

    ``d_x1``, ``d_x2`` are the components of M grad L (= -dx/dt) in ``frame``; ``ratio``
    is the speed ratio |dx2/dt| / |dx1/dt|; ``ratio_excess`` is the field's quantity
    whose sign is the sign of R - 1; ``inside`` tests (0, 1]^2 within the frame's domain.
    ``values`` are the constants' bound values (name, sympy string), those the loss uses.
    """

    loss: Loss
    values: tuple[tuple[str, str], ...]
    d_x1: NumpyFunction
    d_x2: NumpyFunction
    ratio: NumpyFunction
    ratio_excess: NumpyFunction
    frame: Parametrization
    inside: NumpyFunction

    @property
    def on_edge(self) -> bool:
        """The frame's domain is the edge x1 + x2 = 1 (the motion is one-dimensional)."""
        return isinstance(self.frame.domain, sp.Equality)

    def ratio_values(self, a, b) -> np.ndarray:
        """R at the points (a, b), as floats (NaN or inf where it is not finite)."""
        return _evaluate(self.ratio, a, b)

    def excess_values(self, a, b) -> np.ndarray:
        """The quantity whose sign is that of R - 1, at the points (a, b)."""
        return _evaluate(self.ratio_excess, a, b)

    def direction(self, a, b) -> tuple[np.ndarray, np.ndarray]:
        """Unit vector of dx/dt = -M grad L at (a, b) (NaN where the field is not finite
        or zero)."""
        u = -_evaluate(self.d_x1, a, b)
        v = -_evaluate(self.d_x2, a, b)
        with np.errstate(all="ignore"):
            scale = np.maximum(np.abs(u), np.abs(v))  # rescale first: no overflow in hypot
            u, v = u / scale, v / scale
            norm = np.hypot(u, v)
            return u / norm, v / norm

    def trajectory(self, start: tuple[float, float], step: float = STEP,
                   max_steps: int = MAX_STEPS) -> np.ndarray:
        """An orbit of the flow dx/dt = -M grad L from ``start`` (RK4 in arc length).

        It ends where it would leave (0, 1]^2 or the frame's domain, or reaches the set
        where the field vanishes; a start outside the domain gives that single point.
        """
        _, steps, history = self._flow(np.array([start], dtype=float), step, max_steps,
                                       record=True)
        return np.array([h[0] for h in history[:steps[0] + 1]])

    def final_x1(self, starts, step: float = STEP, max_steps: int = MAX_STEPS) -> np.ndarray:
        """x1 where the flow from each start ends (it leaves the domain, stalls where the
        field vanishes, or after ``max_steps``), capped to (0, 1]; NaN for starts outside
        the frame's domain."""
        starts = np.asarray(starts, dtype=float).reshape(-1, 2)
        points, _, _ = self._flow(starts, step, max_steps)
        out = np.clip(points[:, 0], np.finfo(float).tiny, 1.0)
        return np.where(self.inside(starts[:, 0], starts[:, 1]), out, np.nan)

    def _flow(self, starts: np.ndarray, step: float, max_steps: int, record: bool = False
              ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        """RK4 in arc length from every start at once; a start is frozen once it finishes.

        A start finishes where the next step would leave the frame's domain (or be not
        finite), or where the step straddles the set where the field vanishes (there the
        unit direction flips sign, and stepping on would only jitter across that set).
        Returns the final points, the number of steps each took, and (``record``) every
        intermediate array of points.
        """
        points = np.array(starts, dtype=float).reshape(-1, 2)
        steps = np.zeros(len(points), dtype=int)
        active = self.inside(points[:, 0], points[:, 1])
        history = [points.copy()] if record else []

        def d(p):
            u, v = self.direction(p[:, 0], p[:, 1])
            return np.stack([u, v], axis=1)

        for _ in range(max_steps):
            if not active.any():
                break
            p = points[active]
            k1 = d(p)
            k2 = d(p + step / 2 * k1)
            k3 = d(p + step / 2 * k2)
            k4 = d(p + step * k3)
            with np.errstate(invalid="ignore"):
                straddle = np.min([np.sum(k1 * k, axis=1) for k in (k2, k3, k4)], axis=0) < 0
            nxt = p + step / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            moves = ~straddle & np.all(np.isfinite(nxt), axis=1) & \
                self.inside(nxt[:, 0], nxt[:, 1])
            index = np.flatnonzero(active)
            points[index[moves]] = nxt[moves]
            steps[index[moves]] += 1
            active[index[~moves]] = False
            if record:
                history.append(points.copy())
        return points, steps, history


def field_functions(loss: Loss, field: GradientField, frame: Parametrization,
                    params: Mapping[str, object] | None = None) -> FieldFunctions:
    """Lambdify ``field`` (M grad L of ``loss`` in ``frame``, already derived with the
    constants symbolic), its ratio and R-vs-1 quantity, at the given (else default)
    constants; ``params`` are validated against the constants' domains."""
    bound = {p.symbol: p.default for p in loss.parameters}
    bound.update(loss.bind(params or {}))

    def fn(expr: sp.Expr):
        return sp.lambdify((x1, x2), sp.sympify(expr).subs(bound), modules="numpy")

    shown = tuple((s.name, sp.sstr(v)) for s, v in bound.items() if s in loss.expr.free_symbols)
    return FieldFunctions(loss, shown, fn(field.d_x1.closed_form), fn(field.d_x2.closed_form),
                          fn(field.ratio), fn(field.ratio_excess_expr), frame,
                          domain_test(frame.domain))


def domain_test(domain: sp.Basic) -> NumpyFunction:
    """numpy test of (0, 1]^2 intersected with the frame's domain (an edge x1 + x2 = 1 is
    met up to EDGE_TOLERANCE, since a float rarely lies on it exactly)."""
    relations = [] if domain is sp.true else (
        list(domain.args) if isinstance(domain, sp.And) else [domain])
    tests = []
    for relation in relations:
        if isinstance(relation, sp.Equality):
            gap = sp.lambdify((x1, x2), relation.lhs - relation.rhs, modules="numpy")
            tests.append(lambda a, b, gap=gap: np.abs(gap(a, b)) <= EDGE_TOLERANCE)
        else:
            tests.append(sp.lambdify((x1, x2), relation, modules="numpy"))

    def inside(a, b) -> np.ndarray:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        with np.errstate(invalid="ignore"):
            ok = (a > 0) & (a <= 1) & (b > 0) & (b <= 1)
            for test in tests:
                ok = ok & np.asarray(test(a, b), dtype=bool)
        return ok

    return inside


def _evaluate(f: NumpyFunction, a, b) -> np.ndarray:
    """f at the points (a, b), broadcast to their common shape, as floats."""
    with np.errstate(all="ignore"):
        out = np.asarray(f(a, b), dtype=float)
    return np.broadcast_to(out, np.broadcast(a, b).shape).astype(float)

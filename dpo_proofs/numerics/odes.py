"""Numerical checks of the flow's closed forms with mpmath (independent of sympy's calculus).

``orbit_check`` integrates the orbit equation dx2/dx1 = g2/g1 with ``mpmath.odefun``
(Taylor series, ODE_DPS digits) from a start and compares the conserved quantity and
the limit point with it; ``step_checks`` takes exact discrete steps in theta (gradient
by mpmath.diff of L(x(theta)), independent of J) and measures the error of the
first-order prediction against the derived eta^2 term.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import mpmath
import sympy as sp

from ..loss.symbols import X1_0, X2_0
from ..field.frames import Parametrization
from ..field.gradient import GradientField
from ..field.in_frame import on_frame
from ..field.limit_point import LimitPoint
from ..loss.loss import Loss
from ..loss.symbols import x1, x2
from .confirm import agreeing_digits, mp_callable, to_mpf

__all__ = ["ODE_DPS", "CONSERVED_DIGITS", "DEFAULT_STARTS", "OrbitCheck", "StepCheck",
           "orbit_functions", "orbit_check", "step_checks"]

#: Digits of the ODE checks (mpmath.odefun's cost grows fast with precision).
ODE_DPS = 40
#: Digits to which I must stay constant along a solved orbit. Near the corner (1, 0)
#: the orbit equation is singular and the Taylor solver keeps ~30 of its 40 digits.
CONSERVED_DIGITS = 25
#: Starting points of the checks (those outside a frame's domain are skipped or moved).
DEFAULT_STARTS = ((sp.Rational(3, 10), sp.Rational(2, 5)), (sp.Rational(1, 2), sp.Rational(1, 5)),
                  (sp.Rational(1, 5), sp.Rational(3, 5)), (sp.Rational(1, 10), sp.Rational(1, 10)),
                  (sp.Rational(2, 5), sp.Rational(2, 5)), (sp.Rational(7, 10), sp.Rational(9, 10)))
#: Depths x2 = 1e-6, 1e-12 where an orbit running to x2 -> 0+ is compared with its limit.
_DEPTHS = (sp.Rational(1, 10**6), sp.Rational(1, 10**12))


@dataclass(frozen=True)
class OrbitCheck:
    """mpmath.odefun along the orbit from ``start`` compared with the closed forms."""

    start: tuple[str, str]
    variable: str  # the coordinate the orbit is integrated in
    end: str  # its value where the integration stops
    numerical: str  # the other coordinate there, from the ODE solver
    conserved_digits: float | None  # worst agreement of I(end points) with I(start)
    final_formula: str | None  # the limit point's x1 at this start
    final_gaps: tuple[str, ...]  # |x1 - final x1| at x2 = 1e-6 and 1e-12 (or at x1 = 1)
    seconds: float

    @property
    def converges(self) -> bool | None:
        """The gap to the closed-form limit is small and shrinking (None: no formula)."""
        if not self.final_gaps:
            return None
        g = [mpmath.mpf(x) for x in self.final_gaps]
        return g[-1] < mpmath.mpf("1e-4") and (len(g) == 1 or g[-1] <= g[0])


@dataclass(frozen=True)
class StepCheck:
    """One discrete step of size eta: the error of the first-order prediction."""

    eta: str
    error_x1: str
    error_x2: str
    predicted_x1: str  # eta^2/2 * second-order term
    predicted_x2: str
    digits: float  # agreement of error with eta^2/2 * c2 (grows as eta -> 0)


def _mp(value) -> mpmath.mpf:
    return mpmath.mpf(sp.N(value, mpmath.mp.dps + 10).__str__())


def orbit_functions(g, I, values):
    """dx2/dx1, dx1/dx2 and I as mpmath functions, built once for every start.

    The slopes are formed before the constants get numbers, so that x2**beta cancels
    symbolically and the solver sees a rational slope (10x faster)."""
    slopes = [sp.cancel(sp.powsimp(g[1] / g[0])), sp.cancel(sp.powsimp(g[0] / g[1]))]
    dx2_dx1, dx1_dx2 = (sp.lambdify([x1, x2], e.subs(values), "mpmath") for e in slopes)
    fI = None if I is None else mp_callable(I.subs(values), [x1, x2])
    return dx2_dx1, dx1_dx2, fI


def orbit_check(functions, limit: LimitPoint, frame, start, values) -> OrbitCheck:
    """Integrate the orbit from ``start`` with mpmath.odefun (Taylor series, ODE_DPS
    digits) and compare the conserved quantity and the limit point with it."""
    a, b = start
    began = time.monotonic()
    dx2_dx1, dx1_dx2, fI = functions
    with mpmath.workdps(ODE_DPS):
        A, B = to_mpf(a), to_mpf(b)
        target = None
        if limit.final_x1 is not None:
            at = {X1_0: a, X2_0: b, **values}
            fx1 = limit.final_x1.subs(at)
            fx2 = limit.final_x2.subs(at) if limit.final_x2 is not None else None
            if fx1.is_number and (fx2 is None or (fx2.is_number and fx2 is not sp.nan)):
                target = (fx1, fx2)
        # x1 is the variable when the orbit leaves through x1 = 1 (exact end point);
        # otherwise x2, run down towards 0+ and read at two depths to see convergence.
        toward_x1 = target is not None and target[0] == 1 and target[1] not in (None, 0)             and not isinstance(frame.domain, sp.Equality)
        if toward_x1:
            sol = mpmath.odefun(lambda s, y: dx2_dx1(A + s, y), 0, B)
            points = [(mpmath.mpf(1), sol(1 - A))]
        else:
            sol = mpmath.odefun(lambda s, y: -dx1_dx2(y, B - s), 0, A)
            points = [(sol(B - e), e) for e in map(to_mpf, _DEPTHS) if e < B]
        digits = None
        if fI is not None:
            I0 = fI(A, B)
            digits = round(float(min(agreeing_digits(fI(*p), I0) for p in points)), 1)
        gaps = []
        if target is not None:
            for p in points:
                gap = abs(p[0] - _mp(target[0]))
                if target[1] is not None and toward_x1:
                    gap = max(gap, abs(p[1] - _mp(target[1])))
                gaps.append(mpmath.nstr(gap, 5))
        end = points[-1]
        return OrbitCheck((str(a), str(b)), "x1" if toward_x1 else "x2",
                          mpmath.nstr(end[0] if toward_x1 else end[1], 10),
                          mpmath.nstr(end[1] if toward_x1 else end[0], 30), digits,
                          None if target is None else sp.sstr(target[0]), tuple(gaps),
                          round(time.monotonic() - began, 2))


def step_checks(loss: Loss, frame: Parametrization, field: GradientField,
                second: tuple[sp.Expr, sp.Expr] | None, values: dict):
    """The error of the first-order step at one point for eta = 1e-1 .. 1e-4, measured
    with exact steps at 60 digits, against eta^2/2 * ``second``."""
    theta = list(frame.coordinates)
    chart = dict(frame.chart)
    point = on_frame({"x1": sp.Rational(3, 10), "x2": sp.Rational(1, 5)}, frame)
    a, b = point["x1"], point["x2"]
    checks = []
    if second is not None:
        symbols = [x1, x2]
        first_fns = [mp_callable(-field.d_x1.closed_form.subs(values), symbols),
                     mp_callable(-field.d_x2.closed_form.subs(values), symbols)]
        second_fns = [mp_callable(e.subs(values), symbols) for e in second]
        loss_fn = mp_callable(loss.expr.subs(values), symbols)
        chart_fns = [mp_callable(chart[t], symbols) for t in theta]
        forward_fns = [mp_callable(f, theta) for f in frame.forward]
        with mpmath.workdps(60):
            X = [to_mpf(a), to_mpf(b)]
            t0 = [f(*X) for f in chart_fns]

            def composite(*t):
                return loss_fn(*[f(*t) for f in forward_fns])

            # grad_theta L by numerical differentiation of L(x(theta)), independent of J.
            G_num = [mpmath.diff(lambda u, j=j: composite(*[u if k == j else t0[k]
                                                             for k in range(len(t0))]), t0[j])
                     for j in range(len(t0))]
            v = [f(*X) for f in first_fns]
            c2 = [f(*X) for f in second_fns]
            for k in (1, 2, 3, 4):
                eta = mpmath.mpf(10) ** (-k)
                moved = [t - eta * gj for t, gj in zip(t0, G_num)]
                dx = [f(*moved) - x for f, x in zip(forward_fns, X)]
                err = [d - eta * vi for d, vi in zip(dx, v)]
                pred = [eta**2 / 2 * c for c in c2]
                if any(p != 0 for p in pred):
                    digits = min(agreeing_digits(e, p) for e, p in zip(err, pred) if p != 0)
                else:  # no second-order term: the first-order step is exact
                    tiny = all(abs(e) < mpmath.mpf(10) ** -50 for e in err)
                    digits = 60.0 if tiny else 0.0
                checks.append(StepCheck(f"1e-{k}", mpmath.nstr(err[0], 8), mpmath.nstr(err[1], 8),
                                        mpmath.nstr(pred[0], 8), mpmath.nstr(pred[1], 8),
                                        round(float(digits), 1)))
    return (str(a), str(b)), tuple(checks)



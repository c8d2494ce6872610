"""Gradient-flow dynamics in a parametrization: orbits, limit point, discrete steps.

The flow dx/dt = -M grad L moves along level sets of its conserved quantity I (when
the field module derives one). Where the flow is proved monotone (x1 rises and x2
falls everywhere: the frame's verdicts), it converges to the boundary of the domain;
the limit point is the first place the level set I = I(x1_0, x2_0) meets the edge
x2 -> 0+ or x1 = 1 (else the corner (1, 0)), solved by sympy. Every closed form is
checked against mpmath's ODE solver (``mpmath.odefun``, Taylor series) integrating
the orbit equation from several starting points, at 40 digits.

A discrete step theta -> theta - eta grad_theta L moves x by
    -eta M grad L + eta^2/2 H[G, G] + O(eta^3),   G = J^T grad_x L,  H = d^2 x / d theta^2:
the first-order term is the flow's velocity (exact); the second-order term is
derived, and the error of the first-order prediction is measured with mpmath.
"""
from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import mpmath
import sympy as sp

from ..budget import time_budget
from .canonical import canonical
from ..errors import DerivationTimeout, InvalidArgument
from .in_frame import on_frame
from ..loss.loss import Loss
from .frames import Parametrization, get_parametrization
from ..numerics.confirm import agreeing_digits, mp_callable, to_mpf
from ..loss.symbols import x1, x2
from ..loss.catalogue import get_variant

__all__ = ["Dynamics", "LimitPoint", "OrbitCheck", "StepCheck", "dynamics", "X1_0", "X2_0",
           "ODE_DPS", "DEFAULT_STARTS", "CONSERVED_DIGITS"]

#: The starting point (x1_0, x2_0) of a trajectory, e.g. the SFT model's probabilities.
X1_0, X2_0 = sp.symbols("x1_0 x2_0", positive=True)
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
class LimitPoint:
    """Where the flow from (x1_0, x2_0) ends: final x1 (and x2) as formulas, and why."""

    final_x1: sp.Expr | None
    final_x2: sp.Expr | None
    case: str
    argument: str


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


@dataclass(frozen=True)
class Dynamics:
    """Closed forms of the flow in one frame and their numerical checks."""

    variant: str
    frame: str
    values: tuple[tuple[str, str], ...]
    conserved: sp.Expr | None
    conserved_reason: str
    orbit: sp.Expr | None  # x2 as a function of x1 on the orbit through (x1_0, x2_0)
    limit: LimitPoint
    checks: tuple[OrbitCheck, ...]
    first_order: tuple[sp.Expr, sp.Expr]  # dx per unit eta: -M grad L
    second_order: tuple[sp.Expr, sp.Expr] | None  # c2 with dx = eta*first + eta^2/2*c2 + ...
    step_point: tuple[str, str]
    step_checks: tuple[StepCheck, ...]

    @property
    def passed(self) -> bool:
        ok = all((c.conserved_digits is None or c.conserved_digits >= CONSERVED_DIGITS)
                 and c.converges is not False for c in self.checks)
        return ok and all(s.digits >= 3 for s in self.step_checks[-1:])

    def to_json(self) -> dict:
        s = lambda e: None if e is None else sp.sstr(e)  # noqa: E731
        return {
            "variant": self.variant, "parametrization": self.frame, "values": dict(self.values),
            "conserved_quantity": s(self.conserved), "conserved_reason": self.conserved_reason,
            "orbit_x2_of_x1": s(self.orbit),
            "final_x1": s(self.limit.final_x1), "final_x2": s(self.limit.final_x2),
            "limit_case": self.limit.case, "limit_argument": self.limit.argument,
            "ode_checks": [{**c.__dict__, "converges": c.converges} for c in self.checks],
            "step_first_order": [s(e) for e in self.first_order],
            "step_second_order": None if self.second_order is None
            else [s(e) for e in self.second_order],
            "step_point": {"x1": self.step_point[0], "x2": self.step_point[1]},
            "step_checks": [c.__dict__ for c in self.step_checks],
            "passed": self.passed,
        }


def dynamics(variant: str | Loss, parametrization: str | Parametrization = "probability",
             params: Mapping[str, object] | None = None,
             starts: Sequence[tuple[object, object]] = DEFAULT_STARTS,
             budget: float = 20.0, steps: bool = True) -> Dynamics:
    """Derive and check the flow dx/dt = -M grad L of ``variant`` in ``parametrization``.

    ``starts=()`` and ``steps=False`` skip the ODE checks and the discrete-step term
    (the closed forms alone, as the derivation documents use them).

    Closed forms keep the loss's constants symbolic (``params`` fixes some of them);
    the numerical checks evaluate them at the constants' defaults.
    """
    from ..verdicts.engine import cached_field, check
    from .in_frame import frame_claims
    from ..verdicts.values import Status, builtin_claims

    loss = get_variant(variant) if isinstance(variant, str) else variant
    frame = get_parametrization(parametrization)
    points = _starts(starts, frame, starts is not DEFAULT_STARTS)  # bad starts fail first
    fixed = loss.bind(params or {})
    if fixed:
        loss = loss.with_parameters({s.name: v for s, v in fixed.items()})
    # Constants stay symbolic in the derivation: with numbers such as beta = 1/10 the
    # orbit equation keeps powers x1**(11/10) that no longer separate.
    values = {p.symbol: p.default for p in loss.parameters}
    field = cached_field(loss, None if frame.name == "probability" else frame)
    # Monotone: x1 rises and x2 falls on the whole frame. The field's own sign analysis
    # settles it when the signs are fixed on the square; otherwise the verdict engine
    # decides the claims on the frame's domain.
    if field.d_x1.sign.sign == -1 and field.d_x2.sign.sign == 1:
        monotone = True
    else:
        claims = {c.name: c for c in frame_claims(builtin_claims(), frame)}
        monotone = all(check(claims[n], loss, budget=budget, field=field).status
                       is Status.PROVED for n in ("x1_increases", "x2_decreases"))
    I = field.conserved.expr if field.conserved else None
    orbit = None
    if I is None:
        limit = LimitPoint(None, None, "not derived",
                           f"no conserved quantity: {field.conserved_reason}")
    else:
        orbit = _orbit(I, values, budget)
        limit = _limit_point(I, frame, monotone, field, values, budget)
    g = (field.d_x1.closed_form, field.d_x2.closed_form)
    functions = _orbit_functions(g, I, values) if points else None
    checks = tuple(_orbit_check(functions, limit, frame, start, values) for start in points)
    first = (canonical(-g[0]), canonical(-g[1]))
    second, point, step_checks = _step(loss, frame, field, values, budget) if steps else \
        (None, ("-", "-"), ())
    shown = tuple((s.name, sp.sstr(v)) for s, v in {**fixed, **values}.items())
    return Dynamics(loss.name, frame.name, shown, I, field.conserved_reason, orbit, limit,
                    checks, first, second, point, step_checks)


def _starts(starts, frame, given: bool):
    """Exact starting points on the frame (x2 = 1 - x1 on an edge frame). A start the
    user gave that is not a probability pair, or lies outside the frame, is an error;
    default starts outside a simplex frame are left out."""
    out = []
    for pair in starts:
        try:
            a, b = (sp.Rational(str(v).strip()) for v in pair)
        except (TypeError, ValueError, SyntaxError) as error:
            raise InvalidArgument(f"start {pair!r}: expected two numbers x1, x2") from error
        if not (0 < a <= 1 and 0 < b <= 1):
            raise InvalidArgument(f"start ({a}, {b}) is outside the domain (0, 1]^2")
        moved = on_frame({"x1": a, "x2": b}, frame)
        if given and moved is not None and moved["x2"] != b:
            moved = None
        if moved is None:
            if given:
                raise InvalidArgument(f"start ({a}, {b}) is outside the {frame.name} frame's "
                                      f"domain {sp.sstr(frame.domain)}")
            continue
        out.append((moved["x1"], moved["x2"]))
    return out


#: How sympy's solve and limit give up: no closed form here (TypeError: a relational it
#: cannot decide with symbolic exponents, e.g. beta < 2*beta*x2**beta).
_SOLVE_FAILURES = (DerivationTimeout, NotImplementedError, TypeError, ValueError)
_SAMPLE = {X1_0: sp.Rational(3, 10), X2_0: sp.Rational(2, 5)}
_SAMPLES = (_SAMPLE, {X1_0: sp.Rational(9, 10), X2_0: sp.Rational(9, 10)})


def _pick(roots, values, ok):
    """The root that is real and passes ``ok(value, sample)`` at a sample start (and the
    constants' defaults); a second, far sample covers branches the first does not reach."""
    for sample in _SAMPLES:
        for r in roots:
            value = sp.N(r.subs({**sample, **values}), 30)
            if value.is_number and value.is_real and ok(value, sample) is sp.true:
                return r
    return None


def _orbit(I: sp.Expr, values, budget: float) -> sp.Expr | None:
    """x2(x1) on the level set I = I(x1_0, x2_0), if sympy solves it: the branch
    through the start (x2 = x2_0 at x1 = x1_0, checked at a sample start)."""
    try:
        with time_budget(budget, "solving the orbit equation"):
            roots = sp.solve(sp.Eq(I, I.subs({x1: X1_0, x2: X2_0})), x2)
    except _SOLVE_FAILURES:
        return None
    through = [r.subs(x1, X1_0) for r in roots]
    for r, at_start in zip(roots, through):
        value = sp.N(at_start.subs({**_SAMPLE, **values}), 30)
        if value.is_number and value.is_real and abs(value - _SAMPLE[X2_0]) < 1e-25:
            return canonical(r)
    return None


def _solve_edge(expr, target, symbol, ok, values, budget):
    try:
        with time_budget(budget, "solving for the limit point"):
            roots = sp.solve(sp.Eq(expr, target), symbol)
    except _SOLVE_FAILURES:
        return None
    return _pick(roots, values, ok)


def _limit_point(I, frame, monotone, field, values, budget) -> LimitPoint:
    if not monotone:
        return LimitPoint(None, None, "not derived",
                          "x1_increases and x2_decreases are not both proved in this frame: "
                          "the flow need not be monotone, so its limit is not derived")
    if field.vanishing not in (sp.false, False):
        return LimitPoint(None, None, "not derived",
                          f"the field vanishes on {sp.sstr(field.vanishing)}: the flow may stop "
                          "there before reaching the boundary")
    I0 = I.subs({x1: X1_0, x2: X2_0})
    base = ("x1 rises and x2 falls everywhere (both proved), so x1(t), x2(t) are monotone "
            "and bounded and converge; the trajectory stays on the level set "
            f"I = {sp.sstr(I)} = I(x1_0, x2_0)")
    try:
        with time_budget(budget, "the limit of I as x2 -> 0+"):
            edge = sp.limit(I, x2, 0, "+")
    except _SOLVE_FAILURES:
        edge = None
    r1 = None
    finite = edge is not None and not edge.has(sp.oo, -sp.oo, sp.zoo, sp.nan)
    if finite and edge.has(x1):
        r1 = _solve_edge(edge, I0, x1, lambda v, at: sp.Gt(v, at[X1_0]), values, budget)
    square = frame.domain is sp.true
    r2 = None
    if square:
        r2 = _solve_edge(I.subs(x1, 1), I0, x2, lambda v, at: sp.And(v > 0, v < at[X2_0]), values,
                         budget)
        r2 = None if r2 is None else canonical(r2)
    if r1 is not None:
        r1 = canonical(r1)
        if isinstance(frame.domain, sp.Equality):
            r1 = canonical(r1.subs(X2_0, 1 - X1_0))
        if square:
            final = sp.Min(r1, 1)
            x2f = sp.Piecewise((0, r1 <= 1), (r2 if r2 is not None else sp.nan, True))
            why = (f"; as x2 -> 0+ the level set tends to {sp.sstr(edge)} = I0, so x1 -> "
                   f"{sp.sstr(r1)} when that is <= 1; otherwise the orbit reaches x1 = 1 first"
                   + (f", at x2 = {sp.sstr(r2)}" if r2 is not None else ""))
        else:
            final, x2f = r1, sp.S.Zero
            why = f"; as x2 -> 0+ the level set tends to {sp.sstr(edge)} = I0, so x1 -> {sp.sstr(r1)}"
        return LimitPoint(final, x2f, "edge x2 -> 0", base + why)
    if r2 is not None:
        return LimitPoint(sp.S.One, r2, "edge x1 = 1",
                          base + f"; I is not finite and x1-dependent as x2 -> 0+ "
                          f"(limit {sp.sstr(edge)}), and on x1 = 1 the level set has "
                          f"x2 = {sp.sstr(r2)}: the flow leaves the domain there "
                          "(x1 would exceed 1)")
    return LimitPoint(sp.S.One, sp.S.Zero, "corner (1, 0)",
                      base + f"; the level set meets no open edge (as x2 -> 0+ I -> "
                      f"{sp.sstr(edge)}), so the monotone limit is the corner x1 = 1, x2 = 0, "
                      "approached as t -> oo")


def _mp(value) -> mpmath.mpf:
    return mpmath.mpf(sp.N(value, mpmath.mp.dps + 10).__str__())


def _orbit_functions(g, I, values):
    """dx2/dx1, dx1/dx2 and I as mpmath functions, built once for every start.

    The slopes are formed before the constants get numbers, so that x2**beta cancels
    symbolically and the solver sees a rational slope (10x faster)."""
    slopes = [sp.cancel(sp.powsimp(g[1] / g[0])), sp.cancel(sp.powsimp(g[0] / g[1]))]
    dx2_dx1, dx1_dx2 = (sp.lambdify([x1, x2], e.subs(values), "mpmath") for e in slopes)
    fI = None if I is None else mp_callable(I.subs(values), [x1, x2])
    return dx2_dx1, dx1_dx2, fI


def _orbit_check(functions, limit: LimitPoint, frame, start, values) -> OrbitCheck:
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
        toward_x1 = target is not None and target[0] == 1 and target[1] not in (None, 0) \
            and not isinstance(frame.domain, sp.Equality)
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


def _step(loss: Loss, frame: Parametrization, field, values, budget):
    """Second-order term of a discrete step (derived), and the error of the first-order
    prediction measured with mpmath at one point for eta = 1e-1 .. 1e-4."""
    theta = list(frame.coordinates)
    chart = dict(frame.chart)
    base = _loss_gradient(loss)
    grad = sp.Matrix(base)
    J = sp.Matrix([[sp.diff(f, t) for t in theta] for f in frame.forward]).subs(chart)
    G = J.T * grad  # grad_theta L at theta(x)
    second = []
    try:
        with time_budget(budget, "the second-order term of a step"):
            for f in frame.forward:
                H = sp.hessian(f, theta).subs(chart)
                value = (G.T * H * G)[0, 0]
                if isinstance(frame.domain, sp.Equality):
                    value = value.subs(x2, 1 - x1)
                second.append(canonical(value))
    except DerivationTimeout:
        second = None
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
    return (None if second is None else tuple(second)), (str(a), str(b)), tuple(checks)


def _loss_gradient(loss: Loss):
    from ..verdicts.engine import cached_field

    base = cached_field(loss)
    return base.d_x1.closed_form, base.d_x2.closed_form

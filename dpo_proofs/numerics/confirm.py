"""High-precision numerical confirmation with mpmath, independent of sympy's calculus.

The symbolic partials are compared with a numerical derivative of the *loss*
(never of the symbolic partial), taken with ``mpmath.diff`` in logarithmic
coordinates, u = log x, so that the step is relative and x2 = 1e-300 is as easy
as x2 = 0.5: dL/dx = (d/du) L(e^u) / x. Precision is always a scope
(``mp.workdps``), never a global setting.
"""
from __future__ import annotations

import math
import random
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy as sp

from ..loss.loss import Loss
from ..loss.symbols import x1, x2

__all__ = ["Point", "Confirmation", "Float64Finding", "confirmation_points", "mp_callable",
           "float_screen", "to_mpf", "show", "numerical_partial", "agreeing_digits",
           "confirm_partials", "float64_findings", "DPS", "REQUIRED_DIGITS"]

#: Working precision of every confirmation (decimal digits).
DPS = 60
#: Digits the symbolic and numerical values must share.
REQUIRED_DIGITS = 40

#: A point: symbol name -> exact rational value (1 - 1e-20 and ties stay exact).
Point = Mapping[str, sp.Rational]


def _mp_log1p_exp(z):
    # log(1 + e^z) without overflow or cancellation, at the caller's precision.
    # Branch on re(z) so the same code serves complex-step differentiation.
    return z + mpmath.log1p(mpmath.exp(-z)) if mpmath.re(z) > 0 else mpmath.log1p(mpmath.exp(z))


#: Stable mpmath code for the building blocks (evaluated on the *definition*).
_MP_BLOCKS = {
    "sigmoid": lambda z: 1 / (1 + mpmath.exp(-z)) if mpmath.re(z) >= 0
    else mpmath.exp(z) / (1 + mpmath.exp(z)),
    "log_sigmoid": lambda z: -_mp_log1p_exp(-z),
    "softplus": _mp_log1p_exp,
}


#: zoo inside an expression to evaluate: printed as a call that returns mpmath's nan
_NO_NUMBER = sp.Function("no_number")


#: The precisions (multiples of the working one) an mp_callable climbs until two agree.
LADDER = (1, 2, 4, 8)


def mp_callable(expr: sp.Expr, symbols: Sequence[sp.Symbol],
                unsettled: mpmath.mpf | None = None) -> Callable[..., mpmath.mpf]:
    """``expr`` as an mpmath function; evaluated on a precision ladder until stable.

    Each call evaluates at the working precision and at 2x, 4x, 8x it until two
    successive values agree to the working precision, so a cancellation in the
    printed form cannot pass unnoticed as a wrong value. A value that never settles
    (rounding noise about an exact 0 changes with every precision) is returned as the
    last one, or as ``unsettled`` when that is given.
    """
    # zoo (s_w/s_l on a piece where s_l = 0) has no mpmath spelling: it is no number
    # there, as nan is (a comparison with nan is false, so such a point is skipped).
    expr = sp.sympify(expr)
    if expr.has(sp.zoo):
        expr = expr.xreplace({sp.zoo: _NO_NUMBER()})
    # cse: a frame's closed forms repeat their subexpressions (kto_pair's softmax ratio
    # evaluates 8x faster with them shared); each shared value is the same mpf either way.
    raw = sp.lambdify(list(symbols), expr,
                      modules=[_MP_BLOCKS, {"no_number": lambda: mpmath.nan}, "mpmath"],
                      cse=True)

    def evaluate(*args):
        dps = mpmath.mp.dps
        previous = None
        for factor in LADDER:
            with mpmath.workdps(dps * factor):
                value = raw(*args)
            if previous is not None and agreeing_digits(value, previous, dps) >= dps - 3:
                return +value
            previous = value
        return +value if unsettled is None else unsettled

    return evaluate


def _f64_log1p_exp(z: float) -> float:
    return z + math.log1p(math.exp(-z)) if z > 0 else math.log1p(math.exp(z))


#: The building blocks in float64 (the same stable spellings as _MP_BLOCKS).
_F64_BLOCKS = {
    "sigmoid": lambda z: 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z)),
    "log_sigmoid": lambda z: -_f64_log1p_exp(-z),
    "softplus": _f64_log1p_exp,
    "no_number": lambda: math.nan,
}

#: The float screen's nudge: coordinate i is scaled by (1 - (i + 1)*SCREEN_NUDGE).
SCREEN_NUDGE = 1e-9
#: ... and the two values must agree to this relative difference.
SCREEN_AGREEMENT = 1e-4
#: The moderate box the screen works in (|coordinate| and distance of a probability to 1).
SCREEN_LOW, SCREEN_HIGH = 1e-6, 1e3
_PROBABILITY_NAMES = frozenset({"x1", "x2", "r_w", "r_l"})


def float_screen(expr: sp.Expr, symbols: Sequence[sp.Symbol]
                 ) -> Callable[[Sequence[float]], float | None]:
    """``expr`` in float64 where its sign is plain: a function of the point's floats that
    returns the value, or None where float64 is not to be trusted with it.

    Only moderate points are screened: every coordinate in [SCREEN_LOW, SCREEN_HIGH]
    and no probability within SCREEN_LOW of 1. There float64 has no underflow and no
    term of the closed forms outgrows another by the 16 digits an absorption needs
    (x + 1 - x = 0 at x = 1e20, whatever the nudge). The value counts as plain when it
    is a finite nonzero real and a second evaluation, with the coordinates nudged by
    distinct relative amounts of order 1e-9, agrees with it to 1e-4: rounding noise (a
    cancellation, a lost tie, a piecewise form at its seam) moves by about the nudge
    times the terms that cancel, far more than the noise itself. Anything else, or an
    exception, is None and left to mpmath's ladder.

    A screen, never a verdict: a search skips the 30-digit evaluation of a point whose
    claim plainly holds. A wrong "plain" could only hide a violation at that one point;
    it can never produce a refutation, which is certified at the point by intervals.
    """
    expr = sp.sympify(expr)
    if expr.has(sp.zoo):
        expr = expr.xreplace({sp.zoo: _NO_NUMBER()})
    try:
        raw = sp.lambdify(list(symbols), expr, modules=[_F64_BLOCKS, "math"], cse=True)
    except Exception:  # noqa: BLE001 -- no float64 spelling: every point goes to mpmath
        return lambda args: None
    nudges = [1 - (i + 1) * SCREEN_NUDGE for i in range(len(symbols))]
    # the probabilities and the references, which must also stay away from 1
    below_one = [i for i, s in enumerate(symbols) if s.name in _PROBABILITY_NAMES]

    def value(args: Sequence[float]) -> float | None:
        if not all(SCREEN_LOW <= abs(a) <= SCREEN_HIGH for a in args) or \
                any(args[i] > 1 - SCREEN_LOW for i in below_one):
            return None
        try:
            v = raw(*args)
            w = raw(*[a * k for a, k in zip(args, nudges)])
        except Exception:  # noqa: BLE001 -- log(-1), overflow, a complex power: not clear
            return None
        if not (isinstance(v, float) and isinstance(w, float)) or not math.isfinite(v) \
                or not math.isfinite(w) or v == 0 or abs(v - w) > SCREEN_AGREEMENT * abs(v):
            return None
        return v

    return value


def to_mpf(value: sp.Rational) -> mpmath.mpf:
    """An exact rational as an mpf at the working precision."""
    value = sp.Rational(value)
    return mpmath.mpf(int(value.p)) / int(value.q)


def show(value: sp.Rational, digits: int = 35) -> str:
    """A short decimal for display; exact values stay in the Point."""
    with mpmath.workdps(digits + 10):
        return mpmath.nstr(to_mpf(value), digits, strip_zeros=True)


def numerical_partial(loss_fn: Callable, args: list, index: int) -> mpmath.mpf:
    """d loss / d args[index] by mpmath.diff in u = log(args[index])."""
    x = args[index]

    def along(u):
        shifted = list(args)
        shifted[index] = mpmath.exp(u)
        return loss_fn(*shifted)

    return mpmath.diff(along, mpmath.log(x)) / x


def complex_step_partial(loss_fn: Callable, args: list, index: int) -> mpmath.mpf:
    """d loss / d args[index] = Im L(e^(u + i*h)) / (h*x), u = log x, h = 10^-(dps/2).

    No difference of nearby values is taken, so a gradient far below the size of the
    loss (a saturated sigmoid next to an O(1) term) keeps its relative precision;
    the truncation error is O(h^2). Only for losses analytic in x (no Max, Abs).
    """
    x = args[index]
    h = mpmath.mpf(10) ** (-(mpmath.mp.dps // 2))
    shifted = list(args)
    shifted[index] = mpmath.exp(mpmath.mpc(mpmath.log(x), h))
    return mpmath.im(loss_fn(*shifted)) / h / x


def agreeing_digits(a, b, cap: int | None = None) -> float:
    """Leading decimal digits a and b share (relative), capped at the precision."""
    cap = mpmath.mp.dps if cap is None else cap
    if a == b:
        return float(cap)
    scale = max(abs(a), abs(b))
    return float(min(cap, max(0, -mpmath.log10(abs(a - b) / scale))))


@dataclass(frozen=True)
class Confirmation:
    """One comparison of a symbolic value with an independent numerical one."""

    quantity: str
    point: tuple[tuple[str, str], ...]
    symbolic: str
    numerical: str
    digits: float
    method: str = "mpmath.diff"

    @property
    def passed(self) -> bool:
        return self.digits >= REQUIRED_DIGITS


def _shown(point: Point) -> tuple[tuple[str, str], ...]:
    return tuple((name, show(value)) for name, value in sorted(point.items()))


def _symbols_of(loss: Loss) -> list[sp.Symbol]:
    return [x1, x2, *[p.symbol for p in loss.parameters]]


def confirmation_points(loss: Loss, seed: int = 0, random_points: int = 4) -> list[dict[str, sp.Rational]]:
    """Points for confirmation: the extremes the package promises, then seeded random ones.

    Extremes: x2 = 1e-300, x1 = 1 - 1e-20, beta = 1e-4 and 1e3, near-ties
    x1 = x2*(1 + 1e-30) both ways. Other constants take their defaults, or a seeded draw.
    """
    R = sp.Rational
    base = {p.name: sp.Rational(p.default) for p in loss.parameters}
    base.update({"x1": R(3, 5), "x2": R(3, 10)})
    tie = R(3, 10) * (1 + R(1, 10**30))
    extremes = [
        {},
        {"x2": R(1, 10**300)},
        {"x2": R(1, 10**300), "beta": R(1000)},
        {"x1": 1 - R(1, 10**20), "x2": R(1, 2)},
        {"beta": R(1, 10**4)},
        {"beta": R(1000), "x1": R(9, 10), "x2": R(4, 5)},
        {"x1": tie, "x2": R(3, 10)},
        {"x1": R(3, 10), "x2": tie},
        {"x1": R(1, 10**300), "x2": R(1, 10**300)},
    ]
    points = []
    for change in extremes:
        point = dict(base)
        point.update({k: v for k, v in change.items() if k in point})
        if point not in points:
            points.append(point)
    rng = random.Random(seed)

    def draw(low: float, high: float) -> sp.Rational:
        return sp.Rational(repr(rng.uniform(low, high)))

    for _ in range(random_points):
        point = dict(base)
        point["x1"], point["x2"] = draw(1e-6, 1.0), draw(1e-6, 1.0)
        for p in loss.parameters:
            if p.name == "beta":
                point["beta"] = sp.Rational(repr(10 ** rng.uniform(-3, 2)))
            elif p.name in ("r_w", "r_l"):
                point[p.name] = draw(1e-3, 1.0)
        points.append(point)
    return points


def confirm_partials(loss: Loss, d_x1: sp.Expr, d_x2: sp.Expr,
                     points: Sequence[Point] | None = None,
                     dps: int = DPS) -> tuple[Confirmation, ...]:
    """Compare each symbolic partial with mpmath.diff of the loss at every point."""
    symbols = _symbols_of(loss)
    points = confirmation_points(loss) if points is None else points
    # The definition (with its building blocks), not anything sympy differentiated.
    loss_fn = mp_callable(loss.expr, symbols)
    analytic = not loss.expr.has(sp.Max, sp.Min, sp.Abs, sp.Heaviside, sp.Piecewise, sp.sign)
    partial_fns = {"d_x1": (mp_callable(d_x1, symbols), 0),
                   "d_x2": (mp_callable(d_x2, symbols), 1)}
    out = []
    for point in points:
        for name, (fn, index) in partial_fns.items():
            # Escalate precision when the digits do not agree: at x = 1e-300 a margin
            # such as r/x is ~1e300, so a step in x changes the loss by e^(1e300*step)
            # and only a step (and a working precision) of ~1e-300 can resolve it.
            for level in (dps, 4 * dps, 16 * dps):
                with mpmath.workdps(level):
                    args = [to_mpf(point[s.name]) for s in symbols]
                    symbolic, numerical, digits, method = _compare(
                        fn, loss_fn, args, index, analytic)
                if digits >= REQUIRED_DIGITS:
                    break
            if level != dps:
                method += f" at {level} digits"
            with mpmath.workdps(dps):
                out.append(Confirmation(
                    name, _shown(point),
                    mpmath.nstr(symbolic, 25), mpmath.nstr(numerical, 25),
                    round(min(digits, dps), 1), method))
    return tuple(out)


def _compare(fn, loss_fn, args, index, analytic):
    """(symbolic, numerical, agreeing digits, method) at the working precision."""
    symbolic = fn(*args)
    numerical = numerical_partial(loss_fn, args, index)
    digits, method = agreeing_digits(symbolic, numerical), "mpmath.diff"
    if digits < REQUIRED_DIGITS and analytic:
        # A finite difference cannot see a gradient far below the loss's size;
        # the complex step can (see complex_step_partial).
        try:
            stepped = complex_step_partial(loss_fn, args, index)
        except (ZeroDivisionError, ValueError, TypeError):
            stepped = None
        if stepped is not None and agreeing_digits(symbolic, stepped) > digits:
            numerical, method = stepped, "complex step"
            digits = agreeing_digits(symbolic, stepped)
    return symbolic, numerical, digits, method


@dataclass(frozen=True)
class Float64Finding:
    """A point where float64 evaluation of a quantity disagrees with mpmath."""

    quantity: str
    point: tuple[tuple[str, str], ...]
    float64: str
    mpmath: str
    problem: str


def _classify(f64: float, exact) -> str | None:
    if not math.isfinite(f64):
        return f"float64 gives {f64!r}"
    if exact == 0:
        return None if f64 == 0 else "float64 is non-zero where the value is 0"
    if f64 == 0:
        return "float64 gives 0 (underflow or rounding): the sign is lost"
    if (f64 > 0) != (exact > 0):
        return "float64 has the wrong sign"
    rel = abs(mpmath.mpf(f64) - exact) / abs(exact)
    if rel > mpmath.mpf("1e-6"):
        return f"float64 relative error {mpmath.nstr(rel, 3)}"
    return None


def float64_findings(loss: Loss, quantities: Mapping[str, sp.Expr],
                     points: Sequence[Point] | None = None) -> tuple[Float64Finding, ...]:
    """Where float64 evaluation of each quantity (numpy) disagrees with mpmath at DPS."""
    symbols = _symbols_of(loss)
    points = confirmation_points(loss) if points is None else points
    out = []
    for name, expr in quantities.items():
        np_fn = sp.lambdify(symbols, expr, modules="numpy")
        # A value that never settles on the precision ladder is no reference for its
        # digits: noise about an exact 0 (kto_pair's R - 1 at x1 = x2 = 1e-300 gave
        # -9.0e-482, then 0 with its subexpressions shared), or a number such as
        # exp(-5e298) whose exponent needs 300 digits. Only "float64 gives nan" is
        # judged there (the value is finite at every precision), never a sign or digits.
        mp_fn = mp_callable(expr, symbols, unsettled=mpmath.nan)
        rough_fn = mp_callable(expr, symbols)
        for point in points:
            with mpmath.workdps(DPS):
                args = [to_mpf(point[s.name]) for s in symbols]
                try:
                    exact = mp_fn(*args)
                    settled = mpmath.isfinite(exact)
                    if not settled:
                        exact = rough_fn(*args)
                except (ZeroDivisionError, ValueError):
                    continue  # the quantity is undefined at this point
                if not mpmath.isfinite(exact):
                    continue  # undefined there too (R = 0/0 where both partials vanish)
                floats = [float(a) for a in args]
                with np.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    f64 = float(np_fn(*[np.float64(v) for v in floats]))
                problem = _classify(f64, exact)
                if not settled:
                    problem = problem and not math.isfinite(f64) and \
                        f"{problem} (where the value is finite; its digits do not " \
                        f"settle by {LADDER[-1] * DPS} digits)"
            if problem:
                out.append(Float64Finding(name, _shown(point), repr(f64),
                                          mpmath.nstr(exact, 20 if settled else 3), problem))
    return tuple(out)

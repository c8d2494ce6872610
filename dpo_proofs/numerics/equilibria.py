"""Where the gradient vanishes and where gradient flow ends, for losses of x1/x2 alone.

Most DPO-family losses depend on (x1, x2) only through the margin, i.e. through the
ratio rho = x1/x2 (with the references and constants fixed). Exactly then
x1*dL/dx1 + x2*dL/dx2 = 0 (Euler's relation for a function homogeneous of degree 0; the
engine proves it as the built-in claim ``conserves_x1_sq_plus_x2_sq``), and

    G(rho) := x1*dL/dx1 = -x2*dL/dx2     depends on rho alone (take x1 = rho, x2 = 1).

Under the paper's flow dx/dt = -grad L this gives, exactly,

    d(x1^2 + x2^2)/dt = 0,     d(log rho)/dt = -G(rho) * (1/x1^2 + 1/x2^2),

so the flow moves along the circle x1^2 + x2^2 = c, and rho falls where G > 0 (x1 is
pushed down) and rises where G < 0. Hence:

* the stationary set is the union of the rays x1 = rho* x2 over the zeros rho* of G;
  a zero where G goes from - to + (increasing rho) attracts, from + to - repels;
* from a start with ratio rho0, rho moves monotonically to the first zero of G in the
  direction of -G(rho0) (approached as t -> infinity at a simple zero), or without bound;
* the flow from the diagonal (rho0 = 1) ends with x2 > x1 exactly when G(1) > 0: a
  *wrong-way* loss (x1 is pushed down on the diagonal), certified by one sign at rho = 1.

Zeros are found by a scan of G over rho in [1e-12, 1e12] at 30 digits and enclosed by
certified signs (``certify.certified_sign``: outward-rounded intervals, or exact
arithmetic) at the two ends of a bracket of relative width 1e-12; a sign change of a
continuous G (no piecewise part) encloses a zero by the intermediate value theorem. The
scan is sampling: a zero between two scan points with no sign change (a double zero)
can be missed, and the result says so. An independent integration of the 2-D flow
(``trajectories``, RK4 in arc length) checks that the orbit from each start reaches the
enclosed ray.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy as sp

from ..field.gradient import GradientField
from ..field.frames import get_parametrization
from ..loss.loss import Loss
from ..loss.symbols import x1, x2
from .certify import certified_sign, exact_text
from .trajectories import STEP, field_functions

__all__ = ["ratio_function", "stationary_rays", "flow_ends", "ode_check", "equilibria_of",
           "Equilibria", "STARTS", "SCAN", "RHO"]

#: the ratio x1/x2, the variable of G
RHO = sp.Symbol("rho", positive=True)
#: scan points: rho = 10**(k/20), k = -240..240 (24 decades, 20 points per decade)
SCAN = tuple(range(-240, 241))
_RELATIVE = sp.Rational(1, 10**12)


def ratio_function(loss: Loss, field: GradientField, values: Mapping[sp.Symbol, sp.Expr]
                   ) -> sp.Expr:
    """G(rho) = x1*dL/dx1 at x1 = rho, x2 = 1, with the constants bound to ``values``.

    Valid as the loss's whole field only where x1*dL/dx1 + x2*dL/dx2 = 0 is proved.
    """
    return sp.sympify(x1 * field.d_x1.closed_form).subs(values).subs({x1: RHO, x2: 1})


def _rho_at(k: int) -> sp.Rational:
    return sp.Rational(repr(10 ** (k / 20)))


def stationary_rays(G: sp.Expr) -> tuple[list[dict], list[str]]:
    """The zeros of G on the scanned range: each a dict with the certified bracket.

    A dict has ``lo``, ``hi`` (exact rationals, lo < rho* < hi), ``stable`` (True: G
    goes from - to +, the zero attracts), ``kind`` ('zero' for a certified sign change,
    'band' for scan points where G is exactly 0: the gradient vanishes on a region).
    Notes say what the scan cannot see.
    """
    fn = sp.lambdify(RHO, G, modules="mpmath")
    piecewise = G.has(sp.Piecewise, sp.Max, sp.Min, sp.Heaviside)
    signs: list[tuple[sp.Rational, int | None]] = []
    with mpmath.workdps(30):  # the scan only proposes brackets; certify_sign decides
        for k in SCAN:
            rho = _rho_at(k)
            try:
                value = fn(mpmath.mpf(rho.p) / rho.q)
                sign = None if not mpmath.isfinite(value) else \
                    (0 if abs(value) < mpmath.mpf(10) ** -25 else int(mpmath.sign(value)))
            except (ZeroDivisionError, ValueError, OverflowError, TypeError):
                sign = None
            signs.append((rho, sign))
    rays: list[dict] = []
    notes: list[str] = []
    band: list[sp.Rational] = []
    for (a, sa), (b, sb) in zip(signs, signs[1:]):
        if sa == 0:
            cert = certified_sign(G, {RHO: a})
            if cert is not None and cert.sign == 0:
                band.append(a)
        if sa in (1, -1) and sb in (1, -1) and sa != sb:
            ray = _enclose(G, fn, a, b)
            if ray is None:
                notes.append(f"G changes sign between rho = {float(a):.4g} and "
                             f"{float(b):.4g} but the sign change was not certified")
            elif piecewise:
                notes.append(f"G changes sign near rho = {float(ray['lo']):.6g}, but G is "
                             "piecewise: it may jump there rather than vanish")
            else:
                rays.append(ray)
    if band:
        rays.append({"lo": min(band), "hi": max(band), "kind": "band", "stable": None,
                     "points": len(band), "exact": _zero_piece(G)})
    if any(s is None for _, s in signs):
        notes.append("G is not finite at some scanned ratios")
    return rays, notes


def _zero_piece(G: sp.Expr) -> sp.Set | None:
    """The exact set of rho where a piece of a piecewise G is identically 0, if solvable.

    Small conditions only (a count of operations, not a clock, bounds the work).
    """
    pieces = [pw for pw in G.atoms(sp.Piecewise)]
    if len(pieces) != 1:
        return None
    for expr, cond in pieces[0].args:
        if expr == 0 and cond is not sp.true and sp.count_ops(cond) <= 30:
            try:
                found = sp.solveset(cond, RHO, sp.Interval.open(0, sp.oo))
            except (NotImplementedError, ValueError, TypeError):
                return None
            return found if isinstance(found, sp.Interval) else None
    return None


def _enclose(G: sp.Expr, fn, a: sp.Rational, b: sp.Rational) -> dict | None:
    """A bracket [rho*(1 - 1e-12), rho*(1 + 1e-12)] with certified opposite signs."""
    with mpmath.workdps(60):
        try:
            root = mpmath.findroot(fn, (mpmath.mpf(a.p) / a.q, mpmath.mpf(b.p) / b.q),
                                   solver="anderson")
        except (ValueError, ZeroDivisionError):
            return None
        centre = sp.Rational(mpmath.nstr(root, 40, min_fixed=-10**6, max_fixed=10**6))
    lo, hi = centre * (1 - _RELATIVE), centre * (1 + _RELATIVE)
    if not a <= lo < hi <= b:
        return None
    left, right = certified_sign(G, {RHO: lo}), certified_sign(G, {RHO: hi})
    if left is None or right is None or left.sign * right.sign != -1:
        return None
    return {"lo": lo, "hi": hi, "kind": "zero", "stable": left.sign < 0,
            "enclosure": f"[{exact_text(lo) if len(exact_text(lo)) < 30 else _show(lo)}, "
                         f"{_show(hi)}]"}


def _show(value: sp.Rational) -> str:
    return mpmath.nstr(mpmath.mpf(value.p) / value.q, 15)


def flow_ends(G: sp.Expr, rays: Sequence[dict], start: tuple[sp.Rational, sp.Rational]
              ) -> dict:
    """Where the paper's flow from ``start`` goes, from the sign of G (see the module).

    Returns the start, rho0, the certified sign of G(rho0), the zero it moves to (a ray
    dict) or None (rho moves without bound within the scan), the limit point on the
    circle x1^2 + x2^2 = c when it lies in (0, 1]^2, and the largest x1 + x2 along the
    way (the paper's frame may leave the simplex x1 + x2 <= 1).
    """
    a, b = (sp.Rational(s) for s in start)
    rho0, c = a / b, a**2 + b**2
    cert = certified_sign(G, {RHO: rho0})
    sign = None if cert is None else cert.sign
    out: dict = {"start": (a, b), "rho0": rho0, "sign_at_start": sign, "target": None,
                 "c": c}
    if sign in (None, 0):
        return out
    zeros = [r for r in rays if r["kind"] == "zero"]
    if sign < 0:      # rho rises to the first zero above rho0
        ahead = [r for r in zeros if r["lo"] > rho0]
        target = min(ahead, key=lambda r: r["lo"]) if ahead else None
    else:             # rho falls to the last zero below rho0
        ahead = [r for r in zeros if r["hi"] < rho0]
        target = max(ahead, key=lambda r: r["hi"]) if ahead else None
    out["target"] = target
    ends = [rho0] + ([(target["lo"] + target["hi"]) / 2] if target else [])
    if target is not None:
        rho = ends[-1]
        x2_end = sp.sqrt(c / (1 + rho**2))
        out["limit_point"] = (float(rho * x2_end), float(x2_end))
        out["inside"] = bool(rho * x2_end <= 1 and x2_end <= 1)
    # x1 + x2 = sqrt(c)*(rho + 1)/sqrt(1 + rho^2) on the circle: largest at rho = 1
    def total(rho):
        return sp.sqrt(c) * (rho + 1) / sp.sqrt(1 + rho**2)
    passes_diagonal = (target is None and ((sign < 0 and rho0 < 1) or (sign > 0 and rho0 > 1))
                       ) or (target is not None and min(ends) <= 1 <= max(ends))
    candidates = [total(r) for r in ends] + ([total(sp.Integer(1))] if passes_diagonal else [])
    out["max_sum"] = float(max(candidates, key=float))
    return out


def ode_check(loss: Loss, field: GradientField, params: Mapping[str, object],
              start: tuple[sp.Rational, sp.Rational], target: dict | None) -> dict:
    """Integrate the 2-D flow from ``start`` (independently of G) and see where it ends.

    With a target zero rho*, the orbit must end within a few steps of the ray
    x1 = rho* x2 (the integrator stops where the field flips across the set where it
    vanishes). Returns the end point, its ratio and whether it agrees.
    """
    functions = field_functions(loss, field, get_parametrization("probability"), params)
    path = functions.trajectory((float(start[0]), float(start[1])))
    end = path[-1]
    ratio = float(end[0] / end[1])
    out = {"end": (float(end[0]), float(end[1])), "ratio": ratio, "steps": len(path) - 1}
    if target is not None:
        rho = float((target["lo"] + target["hi"]) / 2)
        # one step of arc length s changes log(x1/x2) by at most s*(1/x1 + 1/x2): the
        # integrator resolves the ratio to about that, three steps allowed
        resolution = 3 * STEP * (1 / end[0] + 1 / end[1])
        out["log_ratio_error"] = float(abs(np.log(ratio / rho)))
        out["resolution"] = float(resolution)
        # a resolution of more than half a unit of log-ratio makes the check say nothing
        out["agrees"] = None if resolution > 0.5 else bool(abs(np.log(ratio / rho)) <= resolution)
    return out


#: the starts of the flows reported: the diagonal (decides wrong-way) and Feng et al.'s
#: example of a start where the paper's frame leaves the simplex
STARTS = ((sp.Rational(1, 2), sp.Rational(1, 2)), (sp.Rational(1, 10), sp.Rational(17, 20)))


@dataclass(frozen=True)
class Equilibria:
    """The stationary set of grad L and where the paper's flow ends, at fixed constants.

    ``derived`` is False (with ``reason``) unless L is proved to depend on x1/x2 alone.
    ``G`` is x1*dL/dx1 as a function of rho = x1/x2; ``rays`` its zeros (certified
    brackets) and bands where it is exactly 0; ``flows`` one entry per start (see
    ``flow_ends``, with the ``ode`` check); ``wrong_way`` is True when the flow from the
    diagonal ends with x2 > x1 (G(1) > 0, certified), False when it ends with x1 > x2.
    """

    constants: tuple[tuple[str, str], ...]
    derived: bool
    reason: str
    G: sp.Expr | None = None
    rays: tuple[dict, ...] = ()
    notes: tuple[str, ...] = ()
    flows: tuple[dict, ...] = ()
    wrong_way: bool | None = None

    @property
    def limit_ratio(self) -> dict | None:
        """The zero of G the flow from the diagonal converges to, if any."""
        return self.flows[0]["target"] if self.flows else None


def equilibria_of(loss: Loss, field: GradientField, invariant: bool, why: str,
                  params: Mapping[str, object] | None = None) -> Equilibria:
    """Stationary rays, flow ends and the wrong-way finding (see the module's docstring).

    ``invariant`` says x1*dL/dx1 + x2*dL/dx2 = 0 is proved (``why`` is the proof or
    the reason it is not); only then is the field a function of x1/x2 alone.
    """
    values = {p.symbol: p.default for p in loss.parameters}
    values.update(loss.bind(params or {}))
    shown = tuple((s.name, sp.sstr(v)) for s, v in values.items()
                  if s in loss.expr.free_symbols)
    if not invariant:
        return Equilibria(shown, False, "L is not shown to be a function of x1/x2 alone "
                          f"({why})")
    G = ratio_function(loss, field, values)
    rays, notes = stationary_rays(G)
    flows = []
    for start in STARTS:
        end = flow_ends(G, rays, start)
        end["ode"] = ode_check(loss, field, params or {}, start, end["target"])
        flows.append(end)
    at_diagonal = flows[0]["sign_at_start"]
    wrong_way = None if at_diagonal is None else (None if at_diagonal == 0 else
                                                  at_diagonal > 0)
    return Equilibria(shown, True, "x1*dL/dx1 + x2*dL/dx2 = 0 is proved, so L is a "
                      "function of x1/x2 alone and G(rho) = x1*dL/dx1 decides the flow",
                      G, tuple(rays), tuple(notes), tuple(flows), wrong_way)

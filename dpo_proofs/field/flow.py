"""Closed forms of gradient flow in a frame: orbit, limit point, a step's second order.

The flow dx/dt = -M grad L moves along level sets of its conserved quantity I (when
the field derives one). Where the flow is monotone (x1 rises and x2 falls everywhere,
which the verdict stage decides and the pipeline passes in), it converges to the
boundary of the domain: the limit point is the first place the level set
I = I(x1_0, x2_0) meets the edge x2 -> 0+ or x1 = 1 (else the corner (1, 0)), solved by
sympy. A discrete step theta -> theta - eta grad_theta L moves x by
    -eta M grad L + eta^2/2 G^T H G + O(eta^3),   G = J^T grad_x L,  H = d^2 x / d theta^2,
and ``second_order_term`` derives the eta^2 term. sympy only: the checks of these
closed forms are in ``numerics.odes``.
"""
from __future__ import annotations

import sympy as sp

from ..budget import time_budget
from ..errors import DerivationTimeout
from ..loss.symbols import X1_0, X2_0, x1, x2
from ..phrases import Phrase, join
from .canonical import canonical
from .frames import Parametrization
from .gradient import GradientField
from .limit_point import LimitPoint

__all__ = ["X1_0", "X2_0", "orbit", "limit_point", "second_order_term"]

#: The starting point (x1_0, x2_0) of a trajectory, e.g. the SFT model's probabilities.


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


def orbit(I: sp.Expr, values, budget: float) -> sp.Expr | None:
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


def _solve_edge(expr, target, symbol, ok, values, budget) -> tuple[sp.Expr | None, str]:
    """The root of expr = target in ``symbol`` that passes ``ok`` (see ``_pick``), or
    None; the reason is "" when sympy's solve ran to the end (None then means no root
    fits), else why the equation was not solved (the edge is then undecided)."""
    if expr.has(sp.Piecewise) or target.has(sp.Piecewise):
        # A case split on the constants (e.g. beta = 2 in an integral of x**(1 - beta)):
        # sympy's solve tries every piece under its condition and can run for minutes
        # without a result, so the work is bounded by not attempting it.
        return None, "the level set is piecewise in the constants, and sympy's solve is " \
                     "not attempted on a piecewise equation"
    try:
        with time_budget(budget, "solving for the limit point"):
            roots = sp.solve(sp.Eq(expr, target), symbol)
    except _SOLVE_FAILURES as error:
        return None, f"sympy's solve found no closed form ({type(error).__name__})"
    return _pick(roots, values, ok), ""


def _open_signs(expr: sp.Expr) -> sp.Expr:
    """sympy.limit's sign(f) replaced by its value where f has one sign on the open
    square (sign((1 - x1)**2) is 1 there): x_i = 1/(1 + u_i) with u_i > 0 covers it."""
    u1, u2 = sp.symbols("u1 u2", positive=True)
    inside = {x1: 1 / (1 + u1), x2: 1 / (1 + u2)}

    def fixed(arg: sp.Expr) -> sp.Expr:
        value = sp.sign(sp.factor(arg.subs(inside)))
        return value if value.is_number else sp.sign(arg)
    return expr.replace(sp.sign, fixed) if expr.has(sp.sign) else expr


#: the level I(x1_0, x2_0) of the start, as the limit argument names it
_I0, _I = sp.Symbol("I0"), sp.Symbol("I")


def limit_point(I, frame, monotone, field, values, budget) -> LimitPoint:
    if not monotone:
        return LimitPoint(None, None, "not derived",
                          "x1_increases and x2_decreases are not both proved in this frame: "
                          "the flow need not be monotone, so its limit is not derived")
    if field.vanishing not in (sp.false, False):
        return LimitPoint(None, None, "not derived",
                          Phrase("the field vanishes on ", field.vanishing, ": the flow may "
                                 "stop there before reaching the boundary"))
    I0 = I.subs({x1: X1_0, x2: X2_0})
    base = Phrase("x1 rises and x2 falls everywhere (both proved), so x1(t), x2(t) are "
                  "monotone and bounded and converge; the trajectory stays on the level set ",
                  _I, " = ", I, " = ", sp.Function("I")(X1_0, X2_0))
    try:
        with time_budget(budget, "the limit of I as x2 -> 0+"):
            edge = _open_signs(sp.limit(I, x2, 0, "+"))
    except _SOLVE_FAILURES as error:
        edge, failure = None, type(error).__name__
    r1, why1 = None, ""
    if edge is None:
        why1 = f"sympy's limit of I as x2 -> 0+ found none ({failure})"
    finite = edge is not None and not edge.has(sp.oo, -sp.oo, sp.zoo, sp.nan)
    if finite and edge.has(x1):
        r1, why1 = _solve_edge(edge, I0, x1, lambda v, at: sp.Gt(v, at[X1_0]), values, budget)
    square = frame.domain is sp.true
    r2, why2 = None, ""
    if square:
        r2, why2 = _solve_edge(I.subs(x1, 1), I0, x2,
                               lambda v, at: sp.And(v > 0, v < at[X2_0]), values, budget)
        r2 = None if r2 is None else canonical(r2)
    if r1 is not None:
        r1 = canonical(r1)
        if isinstance(frame.domain, sp.Equality):
            r1 = canonical(r1.subs(X2_0, 1 - X1_0))
        if square:
            final = sp.Min(r1, 1)
            x2f = sp.Piecewise((0, r1 <= 1), (r2 if r2 is not None else sp.nan, True))
            why = Phrase("; as x2 -> 0+ the level set tends to ", edge, " = ", _I0,
                         ", so ", x1, " -> ", r1, " when that is <= 1; otherwise the orbit reaches x1 = 1 first",
                         Phrase(", at ", x2, " = ", r2) if r2 is not None else "")
        else:
            final, x2f = r1, sp.S.Zero
            why = Phrase("; as x2 -> 0+ the level set tends to ", edge, " = ", _I0,
                         ", so ", x1, " -> ", r1)
        return LimitPoint(final, x2f, "edge x2 -> 0", Phrase(base, why))
    if r2 is not None:
        return LimitPoint(sp.S.One, r2, "edge x1 = 1",
                          Phrase(base, "; I is not finite and x1-dependent as x2 -> 0+ "
                                 "(limit ", edge, "), and on x1 = 1 the level set has ", x2,
                                 " = ", r2, ": the flow leaves the domain there (x1 would exceed 1)"))
    undecided = [Phrase(f"on {where}: ", why) for where, why in
                 (("the edge x2 -> 0+", why1), ("the edge x1 = 1", why2)) if why]
    if undecided:
        # Where the level set meets an edge is not known, so neither is where it ends.
        return LimitPoint(None, None, "not derived",
                          Phrase(base, "; where the level set meets the boundary is "
                                 "undecided (", join("; ", undecided), ")"))
    return LimitPoint(sp.S.One, sp.S.Zero, "corner (1, 0)",
                      Phrase(base, "; the level set meets no open edge (as x2 -> 0+ ", _I,
                             " -> ", edge, "), so the monotone limit is the corner x1 = 1, "
                             "x2 = 0, approached as ", sp.Symbol("t"), " -> ", sp.oo))


def second_order_term(base: GradientField, frame: Parametrization,
                      budget: float) -> tuple[sp.Expr, sp.Expr] | None:
    """c2 with dx = eta*(-M grad L) + eta^2/2*c2 + O(eta^3): c2_i = G^T H_i G."""
    theta = list(frame.coordinates)
    chart = dict(frame.chart)
    grad = sp.Matrix([base.d_x1.closed_form, base.d_x2.closed_form])
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
        return None
    return tuple(second)

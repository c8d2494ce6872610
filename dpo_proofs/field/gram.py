"""Any model: the dynamics of log x1 and log x2 through the Gram matrix of their gradients.

Gradient flow in a model's parameters theta moves u = (u_w, u_l) = (log x1, log x2) by

    du/dt = -G grad_u L,   G = [[a, c], [c, b]],   a, b > 0,  c^2 <= a*b,

with a = |grad log pi_w|^2, b = |grad log pi_l|^2, c = <grad log pi_w, grad log pi_l>
(the ``gram`` frame, see ``frames``). Writing the loss's two *incentives*

    s_w = -dL/du_w = -x1 dL/dx1   (how hard the loss pushes the chosen up)
    s_l =  dL/du_l =  x2 dL/dx2   (how hard it pushes the rejected down)

the velocities are linear in G:

    v_w = du_w/dt = a*s_w - c*s_l,   v_l = du_l/dt = c*s_w - b*s_l,
    d(u_w - u_l)/dt = (a - c)*s_w + (b - c)*s_l,

so where s_l != 0 everything is decided by the loss's weight w = s_w/s_l and G:
v_w = s_l*(a*w - c) and v_l = s_l*(c*w - b). For DPO w = 1 and the chosen rises iff
c < a (Yuan et al. 2024); for another loss the thresholds move with w. Everything here
is derived from the loss's partials and checked against the ``gram`` frame's field
(M grad L with M = diag(x) G diag(x)), an independent route.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..cache import cached
from ..loss.loss import Loss
from ..loss.symbols import GRAM_PARAMETERS, x1, x2
from ..phrases import Phrase
from .canonical import canonical
from .frames import get_parametrization
from .in_frame import field_of

__all__ = ["GramDynamics", "gram_dynamics", "CASES", "weight_at",
           "WEIGHT_POINT"]

#: where an x-dependent weight is evaluated for a figure: x1 = 1/2, x2 = 1/4
WEIGHT_POINT = {x1: sp.Rational(1, 2), x2: sp.Rational(1, 4)}

A, B, C = (p.symbol for p in GRAM_PARAMETERS)
#: the four cases of (chosen, rejected) motion, by the signs of (v_w, v_l)
CASES = {"chosen up, rejected down": (1, -1), "both down (likelihood displacement)": (-1, -1),
         "both up": (1, 1), "chosen down, rejected up": (-1, 1)}


@dataclass(frozen=True)
class GramDynamics:
    """du/dt = -G grad_u L for one loss, in closed form (all canonical).

    ``weight`` is w = s_w/s_l (None where s_l vanishes identically); ``checks`` are the
    identities verified exactly (each a sentence).
    """

    loss: str
    s_w: sp.Expr
    s_l: sp.Expr
    weight: sp.Expr | None
    v_w: sp.Expr
    v_l: sp.Expr
    margin_rate: sp.Expr
    checks: tuple[str, ...]
    #: where s_w, s_l > 0: the chosen rises iff c < up = a*w, the rejected falls iff
    #: c < down = b/w (None where w is undefined or piecewise)
    up: sp.Expr | None = None
    down: sp.Expr | None = None
    #: w at the defaults (and at WEIGHT_POINT when it depends on x) when that is one
    #: positive number, with where it was taken: what the Gram figure is drawn at
    sample_weight: tuple[sp.Expr, str] | None = None

    @property
    def constant_weight(self) -> bool:
        """w free of x1, x2: the thresholds are a region of (a, b, c) alone."""
        return self.weight is not None and not self.weight.free_symbols & {x1, x2}

    def band(self) -> tuple[sp.Expr, sp.Expr]:
        """(lo, hi) with "chosen up and rejected down" iff lo < w < hi, for c > 0 and
        s_w, s_l > 0 (for c <= 0 every w > 0 gives it): c/a < w < b/c."""
        return C / A, B / C


def _weight(s_w: sp.Expr, s_l: sp.Expr) -> sp.Expr | None:
    if s_l == 0:
        return None
    if s_w.has(sp.Piecewise) or s_l.has(sp.Piecewise):
        # piece by piece: where s_l vanishes the weight is undefined (nan)
        folded = sp.piecewise_fold(s_w / s_l)
        if isinstance(folded, sp.Piecewise):
            return sp.Piecewise(*[(sp.nan if sp.simplify(sl) == 0 else canonical(e), c)
                                  for (e, c), sl in zip(folded.args, _pieces(s_l, folded))])
    return canonical(s_w / s_l)


def _pieces(s_l: sp.Expr, folded: sp.Piecewise) -> list[sp.Expr]:
    """s_l on each piece of ``folded`` (its own value under that piece's condition)."""
    out = []
    for _, cond in folded.args:
        value = sp.piecewise_fold(s_l)
        if isinstance(value, sp.Piecewise):
            value = next((e for e, c in value.args if c == cond or c is sp.true
                          or (cond is not sp.true and sp.And(cond, c) == cond)), value)
        out.append(value)
    return out


def _identical(a: sp.Expr, b: sp.Expr) -> bool:
    """a == b by canonical form, else with powers of one base combined (q**(k-1)*q =
    q**k: valid wherever the expressions are real, a real power needing q > 0)."""
    return canonical(a - b) == 0 or canonical(sp.powsimp(a, force=True) - b) == 0


def _derive(loss: Loss) -> GramDynamics:
    field = field_of(loss)
    s_w = canonical(-x1 * field.d_x1.closed_form)
    s_l = canonical(x2 * field.d_x2.closed_form)
    v_w, v_l = canonical(A * s_w - C * s_l), canonical(C * s_w - B * s_l)
    margin = canonical(v_w - v_l)
    checks = []
    # The independent route: the gram frame's metric M = J J^T, derived from its map
    # x = exp(A theta) (it should be diag(x) G diag(x)), applied to grad L gives -dx/dt,
    # and d(log x)/dt = -(M grad L)_i/x_i. Only the two components are needed, not the
    # frame's whole field (its signs, ratio and regions): M is applied here.
    M = get_parametrization("gram").metric
    d1, d2 = field.d_x1.closed_form, field.d_x2.closed_form
    for name, mine, theirs in (("v_w", v_w, -(M[0, 0] * d1 + M[0, 1] * d2) / x1),
                               ("v_l", v_l, -(M[1, 0] * d1 + M[1, 1] * d2) / x2)):
        if canonical(sp.piecewise_fold(mine - theirs)) != 0:
            raise AssertionError(f"{loss.name}: {name} disagrees with the gram frame's "
                                 "field")  # pragma: no cover - a derivation bug
        checks.append(Phrase(sp.Symbol(name), " equals -(M grad L)/x of the gram frame "
                             "(M = diag(x) G diag(x))"))
    w = _weight(s_w, s_l)
    if w is not None and not w.has(sp.Piecewise):
        # v_w - s_l*(a*w - c) = a*(s_w - s_l*w): the identities hold iff s_l*w = s_w
        shown = _identical(s_l * w, s_w)
        vw, vl, sw, sl, a, b, c, ww = sp.symbols("v_w v_l s_w s_l a b c w")
        checks.append(Phrase(vw, " = ", sl * (a * ww - c), " and ", vl, " = ",
                             sl * (c * ww - b), " with ", ww, " = ", sw / sl) if shown else
                      Phrase(vw, " = ", sl * (a * ww - c), " is not shown by the canonical "
                             "form"))
    plain = w is not None and not w.has(sp.Piecewise)
    sample = None
    if plain:
        value = w.subs({p.symbol: p.default for p in loss.parameters})
        where = ""
        if value.free_symbols & {x1, x2}:
            value, where = value.subs(WEIGHT_POINT), "at x1 = 1/2, x2 = 1/4"
        if value.is_number and value.is_positive:
            sample = (value, where)
    return GramDynamics(loss.name, s_w, s_l, w, v_w, v_l, margin, tuple(checks),
                        canonical(A * w) if plain else None,
                        canonical(B / w) if plain else None, sample)


def gram_dynamics(loss: Loss) -> GramDynamics | None:
    """The Gram-frame dynamics of ``loss`` (derived once, kept in the disk cache); None
    for a loss with its own constant named a, b or c (the Gram entries' names)."""
    names = {p.name for p in GRAM_PARAMETERS}
    if any(p.name in names and p not in GRAM_PARAMETERS for p in loss.parameters):
        return None
    return cached("gram", (loss,), lambda: _derive(loss))


def weight_at(loss: Loss, values: dict | None = None) -> tuple[sp.Expr, str] | None:
    """w at the loss's defaults (``values`` overriding; by name), and at WEIGHT_POINT
    when w depends on x: (exact number, where it was taken), or None where w is not a
    single expression (piecewise, or s_l = 0)."""
    g = gram_dynamics(loss)
    if g is None or g.up is None:
        return None
    at = {p.symbol: p.default for p in loss.parameters}
    at.update({loss.parameter(k).symbol: loss.parameter(k).validate(v)
               for k, v in (values or {}).items()})
    w = g.weight.subs(at)
    where = ""
    if w.free_symbols & {x1, x2}:
        w, where = w.subs(WEIGHT_POINT), "at x1 = 1/2, x2 = 1/4"
    return w, where

"""Second-order facts: the Hessian of the loss in a frame's own coordinates.

In coordinates theta with x = x(theta) (a frame, see ``frames``) the chain rule gives

    H_theta = J^T H_x J + sum_i (dL/dx_i) * Hess_theta(x_i),   J = dx/dtheta,

with H_x the matrix of second partials of L in (x1, x2). Both terms are derived by sympy
from the loss and the frame's map (nothing typed in) and rewritten in (x1, x2) through
the frame's chart. A 2x2 symmetric matrix is positive semidefinite exactly when its
determinant and its trace are >= 0, and indefinite where the determinant is < 0: so the
sign of ``det`` and ``trace`` says where L is locally convex in that frame.

Softmax frames are shift-invariant (L(z + t*1) = L(z)), so H 1 = 0: for K = 3 every
v = w + v3*1 with w3 = 0 has v^T H v = w^T H w, and H is positive semidefinite exactly
when its block in (z1, z2) is; that block is what is derived. For K = 2 the full 2x2
matrix is kept (its determinant is 0: the shift direction). Frames with more than three
coordinates are not reduced to a 2x2 matrix and say so.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import sympy as sp

from ..cache import cached
from ..loss.functions import to_elementary
from ..loss.loss import Loss
from ..loss.symbols import x1, x2
from .canonical import canonical
from .frames import Parametrization
from .signs import parameter_domains

__all__ = ["Hessian", "hessian_of", "DET_OPS"]

#: det H is put in canonical form (factored) only below this many operations in its
#: entries: factoring h11*h22 - h12**2 of DiscoPOP's 1,200-operation entries takes five
#: minutes. Above it det H is kept as h11*h22 - h12**2 (exact, unfactored), and says so.
DET_OPS = 700


@dataclass(frozen=True)
class Hessian:
    """H = [[h11, h12], [h12, h22]] of L in ``coordinates`` of ``frame``, in (x1, x2).

    ``entries`` is None when the frame has no 2x2 reduction (``reason`` says why).
    """

    frame: str
    coordinates: tuple[str, ...]
    entries: tuple[sp.Expr, sp.Expr, sp.Expr] | None
    reduction: str = ""
    reason: str = ""

    #: det H and trace H, canonical (None with the entries)
    det: sp.Expr | None = None
    trace: sp.Expr | None = None

    def matrix(self) -> sp.ImmutableMatrix | None:
        if self.entries is None:
            return None
        h11, h12, h22 = self.entries
        return sp.ImmutableMatrix([[h11, h12], [h12, h22]])


def _second_partials(expr: sp.Expr) -> sp.Matrix:
    return sp.Matrix([[sp.diff(expr, a, b) for b in (x1, x2)] for a in (x1, x2)])


def _on_frame(expr: sp.Expr, frame: Parametrization) -> sp.Expr:
    """``expr`` (in theta) at theta = theta(x), canonical; on the simplex edge with
    x1 + x2 = 1 used (as ``frames`` does for the metric)."""
    out = canonical(expr.subs(dict(frame.chart)))
    if isinstance(frame.domain, sp.Equality):
        out = canonical(out.subs(x2, 1 - x1)).subs(x1 - 1, -x2)
    return out


def _derive(loss: Loss, frame: Parametrization | None) -> Hessian:
    expr = to_elementary(loss.expr)
    if expr.has(sp.Max, sp.Min, sp.Abs, sp.Heaviside, sp.sign):
        # Piecewise first: its derivative is taken piece by piece (H exists off the
        # kinks; the derivative of Heaviside would leave DiracDelta in the entries).
        expr = sp.piecewise_fold(expr.rewrite(sp.Piecewise))
    H_x = _second_partials(expr)
    if frame is None or frame.name == "probability":
        h = (canonical(H_x[0, 0]), canonical(H_x[0, 1]), canonical(H_x[1, 1]))
        return _with_invariants("probability", ("x1", "x2"), h)
    coords = frame.coordinates
    reduction = ""
    if frame.constants:
        return Hessian(frame.name, tuple(map(str, coords)), None,
                       reason="the Hessian in the parameters depends on the map (the Gram "
                       "frame's A), not on the Gram entries alone")
    if len(coords) == 3 and frame.name == "softmax":
        coords = coords[:2]
        reduction = ("softmax is shift-invariant, so H (1, 1, 1) = 0 and H is positive "
                     "semidefinite exactly when its block in (z1, z2) is: that block")
    elif len(coords) != 2:
        return Hessian(frame.name, tuple(map(str, frame.coordinates)), None,
                       reason=f"the frame has {len(coords)} coordinates; only two (or "
                       "softmax over three) reduce to a 2x2 matrix")
    elif frame.name == "softmax:2":
        reduction = "softmax is shift-invariant: (1, 1) spans the kernel (det H = 0)"
    J = sp.Matrix([[sp.diff(f, t) for t in coords] for f in frame.forward])
    grad = [sp.diff(expr, v) for v in (x1, x2)]
    # L's derivatives are taken in x and then evaluated at x = x(theta): the chart turns
    # the whole of H_theta back into (x1, x2) at the end.
    at_theta = {x1: frame.forward[0], x2: frame.forward[1]}
    H = J.T * H_x.subs(at_theta) * J
    for i, f in enumerate(frame.forward):
        H += grad[i].subs(at_theta) * sp.hessian(f, coords)
    h = (_on_frame(H[0, 0], frame), _on_frame(H[0, 1], frame), _on_frame(H[1, 1], frame))
    return _with_invariants(frame.name, tuple(map(str, coords)), h, reduction)


def _with_invariants(frame: str, coords: tuple[str, ...], h: tuple, reduction: str = ""
                     ) -> Hessian:
    h11, h12, h22 = h
    size = sum(sp.count_ops(e) for e in (h11, h12, h12, h22))
    det = h11 * h22 - h12**2
    if size <= DET_OPS:
        det = canonical(det)
    else:
        reduction = "; ".join(filter(None, (reduction, (
            f"det H = h11*h22 - h12**2 is left unfactored (its entries have {size} "
            f"operations, over {DET_OPS})"))))
    return Hessian(frame, coords, h, reduction, "", det, canonical(h11 + h22))


@functools.lru_cache(maxsize=256)
def hessian_of(loss: Loss, frame: Parametrization | None = None) -> Hessian:
    """The Hessian of ``loss`` in ``frame``'s coordinates (probability by default), in
    (x1, x2); kept per process and in the disk cache."""
    key = None if frame is None or frame.name == "probability" else frame

    def derive() -> Hessian:
        with parameter_domains(loss.parameters):
            return _derive(loss, key)
    return cached("hessian", (loss, key), derive)

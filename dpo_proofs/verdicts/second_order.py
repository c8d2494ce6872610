"""Second-order facts: where the loss is locally convex in a frame, decided.

H, the Hessian of L in the frame's coordinates (``field.hessian``), is a 2x2 symmetric
matrix: positive semidefinite exactly where det H >= 0 and tr H >= 0, indefinite (a
saddle) where det H < 0. The claims of ``hessian_claims`` about det H and tr H are
decided by the verdict engine like any other (proofs re-checked by the kernel,
refutations certified at a point); ``SecondOrder.convexity`` reads what they settle.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..budget import DEFAULT_BUDGET_SECONDS, time_budget
from ..errors import DerivationTimeout
from ..field.frames import Parametrization
from ..field.hessian import Hessian, hessian_of
from ..loss.loss import Loss
from .engine import check
from .values import Status, Verdict, hessian_claims

__all__ = ["SecondOrder", "second_order", "HESSIAN_OPS", "QUICK_FRAMES"]


@dataclass(frozen=True)
class SecondOrder:
    """The Hessian of L in a frame's coordinates and the decided claims about it.

    ``verdicts`` are those of ``hessian_claims`` that were decided (in order, stopping
    once the answer is settled); ``reason`` says why none were, if so.
    """

    hessian: Hessian | None
    verdicts: tuple[Verdict, ...] = ()
    reason: str = ""

    def status(self, claim: str) -> Status | None:
        return next((v.status for v in self.verdicts if v.claim == claim), None)

    @property
    def convexity(self) -> str:
        """'nowhere', 'everywhere', 'rank one everywhere', 'not everywhere' or
        'undecided': what the verdicts settle about local convexity."""
        proved, refuted = Status.PROVED, Status.REFUTED
        if self.status("hessian_indefinite") is proved:
            return "nowhere"
        if self.status("hessian_det_nonnegative") is proved and \
                self.status("hessian_trace_nonnegative") is proved:
            if self.status("hessian_singular") is proved and \
                    self.status("hessian_trace_positive") is proved:
                return "rank one everywhere"
            return "everywhere"
        if refuted in (self.status("hessian_det_nonnegative"),
                       self.status("hessian_trace_nonnegative")):
            return "not everywhere"
        return "undecided"


#: det H and tr H are decided only up to this size (sympy count_ops, a count: the same
#: on every machine); past it the symbolic prover and the search take minutes each.
HESSIAN_OPS = 400


#: The frames whose Hessian an analysis derives unasked (``quick``): their maps are
#: elementwise, so H has the size of the loss's second partials. Through the softmax
#: chart the entries grow to thousands of operations and a catalogue's worth took over
#: ten minutes; there the Hessian is derived when a claim names it.
QUICK_FRAMES = ("probability", "log")


def second_order(loss: Loss, frame: Parametrization | None = None,
                 budget: float | None = DEFAULT_BUDGET_SECONDS,
                 quick: bool = False) -> SecondOrder:
    """The Hessian of ``loss`` in ``frame``'s coordinates and where L is locally convex.

    det H < 0 everywhere (a saddle at each point) is tried first; otherwise det H >= 0
    and tr H >= 0 (positive semidefinite everywhere), and then whether H is singular of
    rank one (det H = 0, tr H > 0). Each claim is decided by the verdict engine.
    ``quick``: only in QUICK_FRAMES (elsewhere the reason says how to ask for it).
    """
    name = "probability" if frame is None else frame.name
    if quick and name not in QUICK_FRAMES and not (frame is not None and frame.constants):
        return SecondOrder(None, (), f"derived on request in the {name} frame: python -m "
                           f"dpo_proofs check {loss.name} \"hess_det < 0\" --frame {name}")
    try:
        with time_budget(budget, f"the Hessian of {loss.name}"):
            H = hessian_of(loss, frame)
    except DerivationTimeout as error:
        return SecondOrder(None, (), str(error))
    if H.entries is None:
        return SecondOrder(H, (), H.reason)
    size = max(sp.count_ops(H.det), sp.count_ops(H.trace))
    if size > HESSIAN_OPS:
        return SecondOrder(H, (), f"det H and tr H are not decided: {size} operations, over "
                           f"{HESSIAN_OPS}")
    claims = {c.name: c for c in hessian_claims()}
    verdicts: list[Verdict] = []

    def decide(name: str) -> Status:
        verdicts.append(check(claims[name], loss, budget=budget, frame=frame))
        return verdicts[-1].status

    if decide("hessian_indefinite") is not Status.PROVED:
        psd = [decide("hessian_det_nonnegative"), decide("hessian_trace_nonnegative")]
        if psd == [Status.PROVED, Status.PROVED]:
            decide("hessian_singular")
            decide("hessian_trace_positive")
    return SecondOrder(H, tuple(verdicts))

"""The Hessian and local convexity, as JSON, summary lines and a document section.

Formats ``SecondOrder`` values the pipeline derived and decided
(``verdicts.second_order``); it derives nothing.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sympy as sp

from .formulas import latex
from .markup import Code, Display, Heading, Math, Para, Table
from .readable import readable

if TYPE_CHECKING:
    from ..verdicts.second_order import SecondOrder

__all__ = ["second_order_json", "second_order_lines", "second_order_section", "CONVEXITY"]

#: SecondOrder.convexity in words
CONVEXITY = {
    "nowhere": "nowhere locally convex: det H < 0 at every point (a saddle everywhere)",
    "everywhere": "locally convex everywhere: H is positive semidefinite (det H >= 0, "
                  "tr H >= 0)",
    "rank one everywhere": "positive semidefinite of rank one everywhere (det H = 0, "
                           "tr H > 0): convex, flat along one direction",
    "not everywhere": "not locally convex everywhere (a certified point where det H < 0 "
                      "or tr H < 0)",
    "undecided": "undecided",
}


def second_order_json(so: "SecondOrder | None") -> dict[str, Any] | None:
    if so is None:
        return None
    H = so.hessian
    out: dict[str, Any] = {"convexity": so.convexity}
    if H is not None:
        out["frame"] = H.frame
        out["coordinates"] = list(H.coordinates)
        if H.entries is not None:
            out["hessian"] = [[sp.sstr(H.entries[0]), sp.sstr(H.entries[1])],
                              [sp.sstr(H.entries[1]), sp.sstr(H.entries[2])]]
            out["det"] = sp.sstr(H.det)
            out["trace"] = sp.sstr(H.trace)
        if H.reduction:
            out["reduction"] = H.reduction
    if so.reason:
        out["reason"] = so.reason
    out["verdicts"] = [v.to_json() for v in so.verdicts]
    return out


def _verdicts(so: "SecondOrder") -> str:
    return "; ".join(f"{v.claim} {v.status}" for v in so.verdicts)


def second_order_lines(so: "SecondOrder | None", unicode: bool = False) -> list[str]:
    """Plain sentences for a summary."""
    if so is None:
        return []
    H = so.hessian
    frame = "" if H is None else f" in the {H.frame} frame ({', '.join(H.coordinates)})"
    lines = [f"Second order{frame}: {CONVEXITY[so.convexity]}"
             + (f" ({_verdicts(so)})" if so.verdicts else "") + "."]
    if H is not None and H.entries is not None and sp.count_ops(H.det) <= 60:
        lines.append(f"det H = {readable(H.det, unicode)}")
    if so.reason:
        lines.append(f"not decided: {so.reason}")
    return lines


def second_order_section(items: Sequence["SecondOrder"]) -> list:
    """The Hessian in each frame, with what the verdict engine decided about it."""
    shown = [so for so in items if so is not None]
    if not shown:
        return []
    blocks: list = [
        Heading(1, "Second-order facts: the Hessian in each frame"),
        Para(("In coordinates ", Math(r"\theta"), " with ", Math(r"x = x(\theta)"),
              ", the chain rule gives ",
              Math(r"H_{\theta} = J^{\top} H_{x} J + \sum_{i} \partial_{x_{i}} L \, "
                   r"\nabla^{2}_{\theta} x_{i}"),
              ". A symmetric 2x2 matrix is positive semidefinite exactly where ",
              Math(r"\det H \ge 0"), " and ", Math(r"\operatorname{tr} H \ge 0"),
              ", and indefinite where ", Math(r"\det H < 0"),
              ". Softmax is shift-invariant, so its Hessian annihilates the shift "
              "direction and the block in the first two logits decides.")),
    ]
    rows = []
    for so in shown:
        H = so.hessian
        frame = "?" if H is None else H.frame
        rows.append(((Code(frame),), (CONVEXITY[so.convexity].split(":")[0],),
                     (Code(_verdicts(so) or so.reason or "none decided"),)))
    blocks.append(Table(("frame", "local convexity", "verdicts"), tuple(rows),
                        "lp{4cm}p{7.5cm}"))
    for so in shown:
        H = so.hessian
        if H is None or H.entries is None or sp.count_ops(H.det) > 80:
            continue
        blocks += [Para((Code(H.frame), " (coordinates ", Code(", ".join(H.coordinates)),
                         "):")),
                   Display(r"\det H = " + latex(H.det))]
    return blocks

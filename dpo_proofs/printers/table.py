"""The catalogue table: one row per variant, as a researcher would paste it."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import sympy as sp

from .equilibria import wrong_way_footer
from .text import SIGN_WORDS

if TYPE_CHECKING:
    from ..results import Analysis

__all__ = ["verification_table", "frames_table"]


def _row(a: "Analysis") -> list[str]:
    f = a.field
    if f is None:
        return [a.variant, "-", "-", "-", "-", "-", "incomplete: " + a.incomplete]
    verdicts = " ".join(f"{v.claim}={v.status}({v.method})" for v in a.verdicts)
    return [a.variant, sp.sstr(f.ratio), sp.sstr(a.region("ratio_gt_1")),
            "yes" if f.is_margin_loss else "no",
            SIGN_WORDS[f.d_x1.sign.sign], SIGN_WORDS[f.d_x2.sign.sign], verdicts]


def verification_table(results: Sequence["Analysis"]) -> str:
    header = ["variant", "R = |dL/dx2|/|dL/dx1|", "R > 1 exactly where", "margin loss",
              "dL/dx1", "dL/dx2", "verdicts (method)"]
    rows = [header] + [_row(a) for a in results]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    lines = []
    for i, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1])
        if i == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * len(header[-1]))
    refuted = [(a.variant, v) for a in results for v in a.verdicts
               if str(v.status) == "refuted" and v.claim == "dispreferred_faster"]
    if refuted:
        lines += ["", "Where the paper's claim (R > 1 on x1 > x2) is refuted, a counterexample "
                  "confirmed at 60 and 120 digits:"]
        for variant, v in refuted:
            point = ", ".join(f"{k}={val}" for k, val in (v.counterexample or {}).items())
            value = v.details.get("value", "")
            lines.append(f"  {variant:<16} {point}" + (f"  (R - 1 = {value})" if value else ""))
    lines += wrong_way_footer(results)
    return "\n".join(lines)


def frames_table(results: Mapping[str, Sequence["Analysis"]]) -> str:
    """Every built-in claim of every variant, one column per parametrization; below
    each variant, its speed ratio and the region where it exceeds 1, frame by frame."""
    out = []
    for variant, analyses in results.items():
        frames = [a.frame for a in analyses]
        rows = [[variant, *frames]]
        rows += [[f"  {v.claim}", *[f"{a.verdict(v.claim).status}({a.verdict(v.claim).method})"
                                    for a in analyses]] for v in analyses[0].verdicts]
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
        for a in analyses:
            ratio = sp.sstr(a.field.ratio) if a.field else "-"
            out.append(f"  [{a.frame}] speed ratio = {ratio};  > 1 where {_gt_1(a)}")
        out.append("")
    return "\n".join(out).rstrip()


def _gt_1(a: "Analysis") -> str:
    if a.field is None:
        return "-"
    return sp.sstr(a.region("ratio_gt_1"))

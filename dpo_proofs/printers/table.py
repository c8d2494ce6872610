"""The catalogue table: one row per variant, as a researcher would paste it."""
from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING


from .equilibria import wrong_way_footer
from .readable import readable, readable_cell, readable_text
from .text import SIGN_WORDS

if TYPE_CHECKING:
    from ..results import Analysis

__all__ = ["verification_table", "frames_table", "MARKS", "ASCII_MARKS"]


def _row(a: "Analysis", unicode: bool) -> list[str]:
    f = a.field
    if f is None:
        return [a.variant, "-", "-", "-", "-", "-", "incomplete: " + a.incomplete]
    verdicts = " ".join(f"{v.claim}={v.status}({v.method})" for v in a.verdicts)
    return [a.variant, readable(f.ratio, unicode), readable(a.region("ratio_gt_1"), unicode),
            "yes" if f.is_margin_loss else "no",
            SIGN_WORDS[f.d_x1.sign.sign], SIGN_WORDS[f.d_x2.sign.sign], verdicts]


#: the built-in claims' column heads in the compact table, in builtin_claims() order
SHORT = {"x1_increases": "x1 up", "x2_decreases": "x2 dn", "dispreferred_faster": "R>1",
         "ratio_one_on_diagonal": "R=1", "ratio_lt_1_below_diagonal": "R<1",
         "conserves_x1_sq_plus_x2_sq": "circ"}
#: a mark per status; ASCII where the output cannot encode the first set
MARKS = {"proved": "\u2713", "refuted": "\u2717", "unknown": "?"}
ASCII_MARKS = {"proved": "+", "refuted": "x", "unknown": "?"}
#: width of the R column before it is cut with an ellipsis (the row fits 100 columns)
R_WIDTH = 28
#: the row without its R column: variant, six marks, the widest flags (wrong-way,margin)
_ROW_REST = 72


def _cut(text: str, width: int, ellipsis: str) -> str:
    return text if len(text) <= width else text[:width - len(ellipsis)] + ellipsis


def _compact(results: Sequence["Analysis"], marks: Mapping[str, str],
             width: int) -> list[str]:
    ellipsis = "\u2026" if marks is MARKS else "..."
    # R takes what the terminal leaves: 28 columns at 100, cut shorter at 80, more at 200
    r_width = max(8, min(60, width - _ROW_REST))
    r_head = "R = |dL/dx2|/|dL/dx1|" if r_width >= 21 else "R"
    head = f"{'variant':<16} {r_head:<{r_width}} " + \
        " ".join(f"{h:^5}" for h in SHORT.values()) + "  flags"
    lines = [head, "-" * len(head)]
    for a in results:
        ratio = "incomplete" if a.field is None else readable_cell(a.field.ratio,
                                                                   marks is MARKS)
        cells = []
        for claim in SHORT:
            v = a.verdict(claim) if a.field is not None else None
            cells.append(f"{marks[str(v.status)] if v else '-':^5}")
        flags = []
        if a.equilibria is not None and a.equilibria.wrong_way:
            flags.append("wrong-way")
        if a.field is not None and a.field.is_margin_loss:
            flags.append("margin")
        lines.append(f"{a.variant:<16} {_cut(ratio, r_width, ellipsis):<{r_width}} "
                     + " ".join(cells) + "  " + ",".join(flags))
    # the legend in lines of at most 78 columns, so an 80-column terminal does not wrap it
    lines += ["", f"{marks['proved']} proved (kernel-checked)  {marks['refuted']} refuted "
              "(certified counterexample)  ? unknown",
              "x1 up: dL/dx1 < 0   x2 dn: dL/dx2 > 0   R>1: R > 1 on x1 > x2 (Feng et al.)",
              "R=1: R = 1 on x1 = x2   R<1: R < 1 on x1 < x2",
              "circ: x1 dL/dx1 + x2 dL/dx2 = 0 (L a function of x1/x2)",
              "margin: L = l(margin)   wrong-way: the flow from x1 = x2 ends with x2 > x1",
              "--wide: the full expressions and verdicts; --json: everything, with evidence"]
    exact = [(a.variant, v) for a in results for v in a.verdicts
             if "holds_exactly_when" in v.details]
    if exact:
        lines += ["", "Claims that hold for some constants only (exact condition):"] + [
            _cut(f"  {n:<16} {SHORT.get(v.claim, v.claim)} holds exactly when "
                 f"{readable_text(v.details['holds_exactly_when'], marks is MARKS)}", width,
                 ellipsis) for n, v in exact]
    unknown = [(a.variant, v) for a in results for v in a.verdicts
               if str(v.status) == "unknown"]
    if unknown:
        lines += ["", "Unknown:"] + [
            _cut(f"  {n:<16} {v.claim}: {readable_text(v.evidence, marks is MARKS)}", width,
                 ellipsis) for n, v in unknown]
    return lines


def verification_table(results: Sequence["Analysis"], wide: bool = False,
                       marks: Mapping[str, str] = MARKS, width: int = 100) -> str:
    """The main job's report: one row per variant that fits ``width`` columns (R cut
    with an ellipsis, a mark per built-in claim, flags), then the findings; ``wide``:
    every expression and verdict in full."""
    if wide:
        lines = _wide(results, marks is MARKS)
    else:
        lines = _compact(results, marks, width)
    refuted = [(a.variant, v) for a in results for v in a.verdicts
               if str(v.status) == "refuted" and v.claim == "dispreferred_faster"]
    if refuted:
        lines += ["", "The paper's claim (R > 1 on x1 > x2) refuted, at points where",
                  "the violation is certified:"]
        for variant, v in refuted:
            point = ", ".join(f"{k}={val}" for k, val in (v.counterexample or {}).items())
            value = v.details.get("value", "")
            line = f"  {variant:<16} {point}"
            more = f"  (R - 1 = {value})" if value else ""
            if wide or len(line + more) <= width:
                lines.append(line + more)
            else:   # the point in full, over as many lines as the width needs
                lines += textwrap.wrap(line, width, subsequent_indent=" " * 19,
                                       break_on_hyphens=False)
    lines += wrong_way_footer(results)
    return "\n".join(lines)


def _wide(results: Sequence["Analysis"], unicode: bool) -> list[str]:
    header = ["variant", "R = |dL/dx2|/|dL/dx1|", "R > 1 exactly where", "margin loss",
              "dL/dx1", "dL/dx2", "verdicts (method)"]
    rows = [header] + [_row(a, unicode) for a in results]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    lines = []
    for i, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1])
        if i == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * len(header[-1]))
    return lines


def frames_table(results: Mapping[str, Sequence["Analysis"]], unicode: bool = True) -> str:
    """Every built-in claim of every variant, one column per parametrization; below
    each variant, its speed ratio and the region where it exceeds 1, frame by frame
    (written as ``readable`` writes them; ``unicode=False`` for an ASCII output)."""
    out = []
    for variant, analyses in results.items():
        frames = [a.frame for a in analyses]
        rows = [[variant, *frames]]
        rows += [[f"  {v.claim}", *[f"{a.verdict(v.claim).status}({a.verdict(v.claim).method})"
                                    for a in analyses]] for v in analyses[0].verdicts]
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
        for a in analyses:
            ratio = readable(a.field.ratio, unicode) if a.field else "-"
            out.append(f"  [{a.frame}] speed ratio = {ratio};  > 1 where {_gt_1(a, unicode)}")
        out.append("")
    return "\n".join(out).rstrip()


def _gt_1(a: "Analysis", unicode: bool) -> str:
    if a.field is None:
        return "-"
    return readable(a.region("ratio_gt_1"), unicode)

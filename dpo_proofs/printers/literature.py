"""The literature reproduction table: each published statement, its verdict and evidence."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import sympy as sp

from .formulas import latex
from .markup import Code, Heading, Items, Math, Para, Table
from .readable import point_text, readable_text
from .table import ASCII_MARKS, MARKS

if TYPE_CHECKING:
    from ..verdicts.literature import Reproduction

__all__ = ["literature_report", "analogue_table", "OUTCOME_MARKS",
           "literature_section"]

#: a mark per outcome (imprecise: fails as published, a weaker reading holds)
OUTCOME_MARKS = {"reproduced": MARKS["proved"], "imprecise": "~", "refuted": MARKS["refuted"],
                 "unknown": "?", "not for this loss": "."}


def _evidence(r: "Reproduction", unicode: bool = False) -> list[str]:
    out = []
    failing = r.failing()
    if failing is not None:
        claimed, v = failing
        if claimed.exists:
            out.append(f"fails: {claimed} -- no such point: {v.claim} is proved "
                       f"({v.method}: {_short(readable_text(v.evidence, unicode))})")
        else:
            out.append(f"fails: {claimed} -- refuted at {point_text(v.counterexample)}")
            holds = v.details.get("holds_exactly_when")
            if holds:
                out.append(f"  holds exactly when {readable_text(holds, unicode)}")
        for c, w in zip(r.statement.weaker, r.weaker):
            out.append(f"weaker reading {c}: {w.status} ({w.method})")
        return out
    undecided = r.undecided()
    if undecided is not None:
        claimed, v = undecided
        out.append(f"undecided: {claimed} -- {_short(readable_text(v.evidence, unicode))}")
        return out
    shown = []
    for c, v in zip(r.statement.claims, r.verdicts):
        if c.exists:
            shown.append(f"{c}: at {point_text(v.counterexample)}")
    if shown:
        out += shown
    return out


def _claims_inline(r: "Reproduction") -> list:
    """The claims a statement was read as, typeset from the engine's reading (statement
    and domain); a claim not posed for the loss as its text."""
    out: list = []
    read = r.read_as or (None,) * len(r.statement.claims)
    for i, (c, claim) in enumerate(zip(r.statement.claims, read)):
        out.append("; " if i else "")
        if claim is None:
            out.append(str(c).replace("**", "^"))
            continue
        out += ["some point has " if c.exists else "", Math(latex(claim.statement))]
        if claim.domain is not sp.true:
            out += [" on ", Math(latex(claim.domain))]
    return [p for p in out if p != ""]


def _short(text: str, width: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 3] + "..."


def literature_report(reproductions: Sequence["Reproduction"],
                      not_reducible: Sequence[tuple[str, str]] = (),
                      ascii_only: bool = False) -> str:
    """One block per statement decided for its own loss: citation, wording, outcome,
    claim counts and the evidence (where it fails, with the point)."""
    marks = dict(OUTCOME_MARKS)
    if ascii_only:
        marks.update(reproduced=ASCII_MARKS["proved"], refuted=ASCII_MARKS["refuted"])
    lines = []
    for r in reproductions:
        s = r.statement
        counts: dict[str, int] = {}
        for c, v in zip(s.claims, r.verdicts):
            key = str(v.status) if not c.exists else (
                "shown by a point" if v.status.name == "REFUTED" else str(v.status))
            counts[key] = counts.get(key, 0) + 1
        lines.append(f"{marks[r.outcome]} {s.key}: {s.citation}   [{s.frame} frame, "
                     f"{r.variant}]")
        lines.append(f"    \"{s.wording}\"" + (f" ({s.source})" if s.source else ""))
        n_claims = len(s.claims)
        lines.append(f"    {r.outcome}: " + ", ".join(f"{n} {k}" for k, n in counts.items())
                     + f" of {n_claims} claim{'s' if n_claims != 1 else ''}")
        lines += [f"    {e}" for e in _evidence(r, not ascii_only)]
    total = {o: sum(r.outcome == o for r in reproductions) for o in OUTCOME_MARKS}
    lines.append("")
    lines.append(f"{len(reproductions)} statements: " + ", ".join(
        f"{n} {o}" for o, n in total.items() if n))
    lines.append(f"legend: {marks['reproduced']} reproduced (every claim proved, or shown by "
                 f"a certified point), ~ imprecise (fails as published, the weaker reading "
                 f"holds), {marks['refuted']} refuted, ? undecided")
    if not_reducible:
        lines.append("not reducible to a claim on one response pair: " + "; ".join(
            f"{p} ({why})" for p, why in not_reducible))
    return "\n".join(lines)


def analogue_table(reproductions: Sequence["Reproduction"], ascii_only: bool = False) -> str:
    """variant x statement: each statement's claims decided for every catalogued loss."""
    marks = dict(OUTCOME_MARKS)
    if ascii_only:
        marks.update(reproduced=ASCII_MARKS["proved"], refuted=ASCII_MARKS["refuted"])
    keys: list[str] = []
    rows: dict[str, dict[str, str]] = {}
    for r in reproductions:
        if r.outcome == "not for this loss":
            continue
        if r.statement.key not in keys:
            keys.append(r.statement.key)
        rows.setdefault(r.variant, {})[r.statement.key] = r.outcome
    width = max([len(v) for v in rows] + [7])
    head = [f"{i + 1:>2}" for i in range(len(keys))]
    lines = ["analogues: each statement's claims decided for every variant",
             f"{'variant':<{width}}  " + " ".join(head)]
    for variant, outcomes in rows.items():
        lines.append(f"{variant:<{width}}  " + " ".join(
            f"{marks.get(outcomes.get(k, ''), ' '):>2}" for k in keys))
    lines.append("columns: " + ", ".join(f"{i + 1} {k}" for i, k in enumerate(keys)))
    return "\n".join(lines)


def literature_section(reproductions: Sequence["Reproduction"],
                       not_reducible: Sequence[tuple[str, str]] = ()) -> list:
    """The reproduction table of the overview document: each statement, where it was
    published, how it was read, the outcome and the evidence."""
    if not reproductions:
        return []
    rows = []
    for r in reproductions:
        s = r.statement
        evidence = "; ".join(_evidence(r)) or "every claim " + (
            "decided as stated" if r.outcome == "reproduced" else "checked")
        rows.append(((Code(s.key),), (f"{s.paper}, arXiv:{s.arxiv}, {s.where}",),
                     (f"{s.frame}, {r.variant}",), (r.outcome,), (_short(evidence, 300),)))
    blocks: list = [
        Heading(1, "Published statements, decided"),
        Para(("Each statement of the field's papers that reduces to claims on one response "
              "pair is read as claims in its frame and decided by the verdict engine at run "
              "time (python -m dpo_proofs literature; --analogues decides them for every "
              "variant). Reproduced: every claim proved, or an existence claim shown by a "
              "certified point; imprecise: it fails as published and the weaker reading "
              "holds; refuted: a claim fails at a certified point.",)),
        Table(("statement", "published in", "frame, loss", "outcome", "evidence"),
              tuple(rows), "p{2.5cm}p{3cm}p{1.8cm}p{1.5cm}p{4.2cm}"),
        Heading(2, "The statements as published and as read"),
        Items(tuple((Code(r.statement.key), ": as published, ", r.statement.wording,
                     (f" ({r.statement.source})" if r.statement.source else ""),
                     ". Read as: ", *_claims_inline(r),
                     (f". {r.statement.reading}" if r.statement.reading else ""), ".")
                    for r in reproductions)),
    ]
    if not_reducible:
        blocks.append(Para(("Not reducible to a claim on one response pair: " + "; ".join(
            f"{p} ({why})" for p, why in not_reducible) + ".",)))
    return blocks

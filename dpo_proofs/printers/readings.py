"""Text of the readings report: conventions, each recorded reading, and the findings as
decided (printers format finished values; the decisions come from verdicts.sameness)."""
from __future__ import annotations

import textwrap
from collections.abc import Sequence

import sympy as sp

from ..phrases import Phrase
from .formulas import said
from .markup import Code, Heading, Para, Table

__all__ = ["readings_report", "sameness_text", "readings_section"]

_VERDICT = {True: "agrees", False: "CONTRADICTS the source", None: "undecided"}


def _wrap(text: str, indent: str = "      ") -> str:
    return textwrap.fill(text, 100, initial_indent=indent, subsequent_indent=indent)


def sameness_text(s) -> str:
    """One decided comparison, as lines a reader can check."""
    mapping = ", ".join(f"{k} -> {v}" for k, v in s.parameter_map)
    lines = [f"{s.a}  vs  {s.b}" + (f"   (with {mapping})" if mapping else ""),
             f"  {s.relation}: {s.argument}"]
    if s.point:
        at = ", ".join(f"{k}={v}" for k, v in s.point)
        lines.append(_wrap(f"at {at}: {s.quantity}({s.a}) - {s.quantity}({s.b}) "
                           f"{s.difference}", "  "))
    return "\n".join(lines)


def readings_report(conventions, readings: Sequence, findings: Sequence) -> str:
    """Conventions, readings (key and source) and the findings with their decisions."""
    out = ["Conventions (NAME@CONVENTION selects a reading; a bare catalogue key is the "
           "catalogue's reading,", "NAME@trl what TRL runs today):"]
    out += [f"  {k:<10} {v}" for k, v in conventions.items()]
    out += ["", f"Readings ({len(readings)}):"]
    width = max(len(r.key) for r in readings)
    out += [f"  {r.key:<{width}}  {r.source}" for r in readings]
    out += ["", f"Findings ({len(findings)}), each decided (stated by the source -> decided):"]
    for r in findings:
        f, s = r.finding, r.sameness
        fixed = "; ".join(f"{side}: " + ", ".join(f"{k}={v}" for k, v in pairs)
                          for side, pairs in (("a", f.fixed_a), ("b", f.fixed_b)) if pairs)
        out.append(f"  {f.key}: {f.title}  [{f.source}]")
        out.append(f"    stated {f.stated} -> decided {s.relation}  ({_VERDICT[r.agrees]})")
        out.append("    " + sameness_text(s).replace("\n", "\n    ")
                   + (f"\n    constants fixed first: {fixed}" if fixed else ""))
        if f.note:
            out.append(_wrap(f.note, "    note: "))
    agree = sum(1 for r in findings if r.agrees)
    out += ["", f"{agree} of {len(findings)} findings decided as their source states; "
            f"{sum(1 for r in findings if r.agrees is False)} contradicted, "
            f"{sum(1 for r in findings if r.agrees is None)} undecided"]
    return "\n".join(out)


def _point(pairs) -> Phrase:
    """A point's coordinates (names -> exact decimal or p/q text) as relations x1 = 1/2,
    so a document sets each as one formula."""
    def value(text: str):
        try:
            return sp.Rational(text)  # number text only: no eval of a string
        except (TypeError, ValueError):
            return None
    parts: list = []
    for k, v in pairs:
        parts += [", "] if parts else []
        parts.append(sp.Eq(sp.Symbol(k), value(v), evaluate=False) if value(v) is not None
                     else f"{k} = {v}")
    return Phrase(*parts)


def readings_section(findings: Sequence) -> list:
    """The overview's section: each finding, what its source states and what was decided."""
    if not findings:
        return []
    rows = []
    for r in findings:
        f, s = r.finding, r.sameness
        evidence = Phrase(s.argument)
        if s.point:
            evidence = Phrase(evidence, "; at ", _point(s.point), ": ", s.quantity, " differs")
        fixed = "; ".join(", ".join(f"{k}={v}" for k, v in pairs)
                          for pairs in (f.fixed_a, f.fixed_b) if pairs)
        mapping = ", ".join(f"{k} -> {v}" for k, v in s.parameter_map)
        compared = f"{f.a} vs {f.b}" + (f" ({mapping})" if mapping else "") + \
            (f" [{fixed}]" if fixed else "")
        rows.append(((Code(f.key),), (f"{f.title} ({f.source})",), (Code(compared),),
                     (f"{f.stated} / {s.relation}",), tuple(said(evidence))))
    return [
        Heading(1, "Framework readings, decided"),
        Para(("A loss name can mean different functions in different frameworks and "
              "versions. Each reading is named VARIANT@CONVENTION and every command takes "
              "it; each finding records what a source states about two readings, and the "
              "package decides it at run time: the same function (the canonical form of the "
              "difference is 0), or different (a point where a partial's difference is "
              "certified by interval arithmetic). Listed with python -m dpo_proofs "
              "readings.",)),
        Table(("finding", "source", "compared", "stated / decided", "evidence"),
              tuple(rows), "p{2.4cm}p{3.4cm}p{3.2cm}p{1.8cm}p{3.8cm}"),
    ]

"""The overview document of the catalogue: every variant side by side (speed ratio,
region R > 1, margin loss, signs, verdicts), the class theorem and the final x1 of the
flow in each frame. It prints the derivations and the theorem the pipeline returns.
"""
from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from ..field.theorem import ClassTheorem
from ..results import Derivation
from .formulas import latex, region_sentence
from .literature import literature_section
from .readings import readings_section
from .markup import Code, Display, Document, Env, Heading, Items, Math, Para, Table
from .text import SIGN_WORDS

__all__ = ["overview_document"]


def _theorem_section(derivations: Sequence[Derivation], t: ClassTheorem) -> list:
    members = [d.loss.name for d in derivations
               if d.analysis.field is not None and d.analysis.field.is_margin_loss]
    return [
        Heading(1, "Class theorem: margin losses"),
        Env("proposition", "margin losses", (Para((t.statement,)),)),
        Env("proof", "", (
            Para(("With ", Math("l"), " an undefined function and ",
                  Math(r"h = \beta \log(x_{1}/r_{w}) - \beta \log(x_{2}/r_{l})"), ":")),
            Display(r"\frac{\partial L}{\partial x_{1}} = l'(h) \, " + latex(t.d_x1_factor)
                    + r", \qquad \frac{\partial L}{\partial x_{2}} = l'(h) \, "
                    + latex(t.d_x2_factor)),
            Para(("so where ", Math(r"l'(h) \neq 0"), ", ",
                  Math(r"|\partial L/\partial x_{2}| - \frac{x_{1}}{x_{2}}"
                       r"|\partial L/\partial x_{1}| = |l'(h)| \cdot " + latex(t.ratio_identity)),
                  ", and ", Math(r"x_{1} \partial L/\partial x_{1} + x_{2} \partial L/"
                                 r"\partial x_{2} = " + latex(t.radial)),
                  ", hence ", Math(r"\tfrac{d}{dt}(x_{1}^{2} + x_{2}^{2}) = " +
                                   latex(t.flow_derivative)), " along gradient flow. ",
                  "Checked by sympy: ", "all steps reduce to 0." if t.proved else
                  "NOT all steps reduced to 0.")),)),
        Para(("A variant is a margin loss when its radial component reduces to 0 identically "
              "(computed, not declared). Margin losses in the catalogue: ",
              ", ".join(members) if members else "none", ".")),
    ]


#: A formula longer than this (LaTeX characters) is left to the variant's own document:
#: a table column a sixth of the page wide cannot hold it legibly (a product of factors
#: has no place TeX may break a line).
BRIEF_TEX = 120


def _brief(parts: list) -> tuple:
    """The cell's parts, or a pointer to the variant's document when a formula is long."""
    long = [p for p in parts if isinstance(p, Math) and len(p.tex) > BRIEF_TEX]
    if long:
        return ("long: see its document",)
    return tuple(parts)


def overview_document(derivations: Sequence[Derivation], header: Sequence[str],
                      theorem: ClassTheorem, literature: Sequence = (),
                      not_reducible: Sequence[tuple[str, str]] = (),
                      findings: Sequence = (), made_with: str = "") -> Document:
    """All variants side by side: ratio, region R > 1, margin loss, signs, verdicts;
    ``theorem`` is the class theorem as the pipeline proved it; ``literature`` the
    published statements as decided (``verdicts.literature.Reproduction`` values);
    ``findings`` the framework readings' findings as decided (``FindingResult`` values)."""
    rows = []
    claims = derivations[0].analysis.claims if derivations else ()
    verdict_rows = []
    for d in derivations:
        f = d.analysis.field
        name = (Code(d.loss.name),)
        if f is None:
            rows.append((name, ("incomplete",), ("",), ("",), ("",), ("",)))
        else:
            rows.append((name, _brief([Math(latex(f.ratio))]),
                         _brief(region_sentence(d.analysis.region("ratio_gt_1"))),
                         ("yes" if f.is_margin_loss else "no",),
                         (SIGN_WORDS[f.d_x1.sign.sign],), (SIGN_WORDS[f.d_x2.sign.sign],)))
        statuses = {v.claim: str(v.status) for v in d.analysis.verdicts}
        verdict_rows.append((name, *[(statuses.get(c.name, "-"),) for c in claims]))
    legend = Items(tuple((f"{i}. ", Code(c.name), ": ", c.description, " (", Math(latex(c.statement)),
                          *((" where ", Math(latex(c.domain))) if c.domain is not sp.true
                            else ()), ")") for i, c in enumerate(claims, 1)))
    blocks = [
        Heading(1, "Variants"),
        Para(("For each catalogued variant: the speed ratio ",
              Math(r"R = |\partial L/\partial x_{2}| / |\partial L/\partial x_{1}|"),
              ", the exact region where ", Math("R > 1"),
              ", whether the loss is a margin loss (radial component identically zero), "
              "and the signs of the partials on the domain. Each variant has its own "
              "document with the full derivation.")),
        Table(("variant", "R", "R > 1 exactly where", "margin loss", "dL/dx1", "dL/dx2"),
              tuple(rows), "llp{4cm}lp{2cm}p{2cm}"),
        Heading(1, "Verdicts"),
        legend,
        Table(("variant", *[str(i) for i in range(1, len(claims) + 1)]), tuple(verdict_rows),
              "l" * (len(claims) + 1)),
        Para(("Columns are the claims above, in order.",)),
        *_theorem_section(derivations, theorem),
        *_overview_frames(derivations),
        *literature_section(literature, not_reducible),
        *readings_section(findings),
    ]
    return Document("dpo_proofs: overview of the catalogue", tuple(header), tuple(blocks),
                    made_with)


def _overview_frames(derivations: Sequence[Derivation]) -> list:
    """Per variant and frame: the final x1 of gradient flow from (x1_0, x2_0)."""
    with_frames = [d for d in derivations if d.flows]
    if not with_frames:
        return []
    frames = [f.frame for f in with_frames[0].flows]
    finals = [((Code(d.loss.name),),
               *[_brief([Math(latex(f.limit.final_x1))]) if f.limit.final_x1 is not None
                 else ("-",) for f in d.flows]) for d in with_frames]
    return [
        Heading(1, "Parametrizations"),
        Para(("Gradient flow moves parameters, and the velocity it induces on ",
              Math("(x_{1}, x_{2})"), " is ", Math(r"\dot x = -J J^{\top} \nabla L"),
              ": for log-probabilities (", Code("log"), "), softmax logits over three "
              "responses (", Code("softmax"), ") or over exactly two (", Code("softmax:2"),
              ", the zero-rest limit on the edge ", Math("x_{1} + x_{2} = 1"),
              "). Each variant's document derives the velocity, the speed ratio and its "
              "region per frame; ", Code("python -m dpo_proofs frames --all"),
              " re-checks every built-in claim in every frame.")),
        Heading(2, "Final x1 of gradient flow from a start (x1_0, x2_0)"),
        Para(("Derived where the flow is proved monotone and has a conserved quantity; "
              "a dash where it is not derived (the variant's document says why).",)),
        Table(("variant", *frames), tuple(finals), "l" + "p{3cm}" * len(frames)),
    ]


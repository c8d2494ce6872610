"""The Gram-frame dynamics (any model) as JSON, summary lines and a document section.

Formats ``GramDynamics`` values (``field.gram``) and the verdicts the analysis already
holds; it derives nothing.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy as sp

from ..phrases import Phrase
from .formulas import latex, said
from .markup import Display, Figure, Heading, Math, Para, Table
from .readable import readable

if TYPE_CHECKING:
    from ..field.gram import GramDynamics
    from ..results import Analysis

__all__ = ["gram_json", "gram_lines", "gram_section", "case_texts", "gram_figure_name"]


def gram_figure_name(variant: str) -> str:
    """The Gram figure's file beside a variant's document."""
    return f"{variant}-gram.pdf"

#: longest threshold written out in a summary line (longer ones: see the JSON)
SHOWN = 90


def _s(e: sp.Expr) -> str:
    return sp.sstr(e)


def case_texts(g: "GramDynamics") -> dict[str, str] | None:
    """The four cases as relations in (a, b, c) with the derived weight w, where s_w > 0
    and s_l > 0 (None where the weight is piecewise or undefined)."""
    if g.up is None or g.down is None:
        return None
    up, down = _s(g.up), _s(g.down)
    return {"chosen up, rejected down": f"c < {up} and c < {down}",
            "both down (likelihood displacement)": f"{up} <= c < {down}",
            "both up": f"{down} <= c < {up}",
            "chosen down, rejected up": f"c >= {up} and c >= {down}"}


def _signs(a: "Analysis") -> dict[str, str]:
    """s_w > 0 is x1_increases (s_w = -x1 dL/dx1, x1 > 0); s_l > 0 is x2_decreases."""
    out = {}
    for v in a.verdicts:
        if v.claim == "x1_increases":
            out["s_w > 0"] = str(v.status)
        if v.claim == "x2_decreases":
            out["s_l > 0"] = str(v.status)
    return out


def gram_json(a: "Analysis") -> dict[str, Any] | None:
    g = a.gram
    if g is None:
        return None
    return {"frame": "gram: du/dt = -G grad_u L, G = [[a, c], [c, b]], a, b > 0, "
                     "c**2 <= a*b",
            "s_w": _s(g.s_w), "s_l": _s(g.s_l),
            "weight": None if g.weight is None else _s(g.weight),
            "v_w": _s(g.v_w), "v_l": _s(g.v_l), "margin_rate": _s(g.margin_rate),
            "cases_where_s_w_and_s_l_positive": case_texts(g),
            "signs": _signs(a), "checks": list(g.checks)}


def gram_lines(a: "Analysis", unicode: bool = False) -> list[str]:
    """Plain sentences for a summary (expressions as ``readable`` prints them)."""
    def show(e: sp.Basic) -> str:
        return readable(e, unicode)

    g = a.gram
    if g is None:
        return []
    lines = ["Any model (Gram frame, du/dt = -G grad_u L, G = [[a, c], [c, b]], "
             "c^2 <= ab): v_w = a*s_w - c*s_l, v_l = c*s_w - b*s_l"]
    if g.up is not None and g.down is not None:
        w = show(g.weight)
        lines.append(f"weight w = s_w/s_l = {w if len(w) <= SHOWN else w[:SHOWN] + '...'}")
        cases = case_texts(g)
        signs = _signs(a)
        where = ", ".join(f"{k} {v}" for k, v in signs.items())
        if cases and max(len(t) for t in cases.values()) <= 2 * SHOWN:
            lines.append(f"where s_w > 0 and s_l > 0 ({where}): chosen up iff "
                         f"c < {show(g.up)}; rejected down iff c < {show(g.down)}")
    elif g.weight is not None:
        lines.append("weight w = s_w/s_l is piecewise (see the JSON)")
    else:
        lines.append("s_l = 0 identically: v_w = a*s_w, v_l = c*s_w")
    return lines


def gram_section(a: "Analysis") -> list:
    """Any model: the velocities of log x1, log x2 through the Gram matrix."""
    g = a.gram
    if g is None:
        return []
    blocks: list = [
        Heading(1, "Any model: the Gram frame"),
        Para(("For any model with parameters ", Math(r"\theta"), ", gradient flow moves ",
              Math(r"u = (\log x_1, \log x_2)"), " by ",
              Math(r"\dot u = -G \nabla_u L"), " with ",
              Math(r"G = \begin{pmatrix} a & c \\ c & b \end{pmatrix}"), ", ",
              Math(r"a = \lVert \nabla_\theta \log \pi_w \rVert^2"), ", ",
              Math(r"b = \lVert \nabla_\theta \log \pi_l \rVert^2"), ", ",
              Math(r"c = \langle \nabla_\theta \log \pi_w, \nabla_\theta \log \pi_l "
                   r"\rangle"), " (so ", Math(r"c^2 \le a b"),
              "). With the incentives ", Math(r"s_w = -x_1 \partial_{x_1} L"), " and ",
              Math(r"s_l = x_2 \partial_{x_2} L"), ":")),
        Display(r"s_w = " + latex(g.s_w)),
        Display(r"s_l = " + latex(g.s_l)),
        Display(r"\dot u_w = a s_w - c s_l, \qquad \dot u_l = c s_w - b s_l"),
    ]
    if g.up is not None and g.down is not None and sp.count_ops(g.weight) <= 40:
        blocks.append(Para(("The weight ", Math(r"w = s_w / s_l = " + latex(g.weight)),
                            "; where ", Math(r"s_w > 0"), " and ", Math(r"s_l > 0"), " (",
                            ", ".join(f"{k}: {v}" for k, v in _signs(a).items()),
                            ") the four cases are:")))
        # a constant weight gives thresholds in (a, b, c) alone; else they are written
        # with w (displayed above) to keep each case on one line
        up, down = (latex(g.up), latex(g.down)) if g.constant_weight else ("a w", "b / w")
        rows = (
            (("chosen up, rejected down",), (Math(rf"c < {up},\ c < {down}"),)),
            (("both down (likelihood displacement)",), (Math(rf"{up} \le c < {down}"),)),
            (("both up",), (Math(rf"{down} \le c < {up}"),)),
            (("chosen down, rejected up",), (Math(rf"c \ge {up},\ c \ge {down}"),)))
        blocks.append(Table(("case", "where (with the derived weight)"), rows, "lp{8cm}"))
    if g.sample_weight is not None:
        value, where = g.sample_weight
        blocks.append(Figure(gram_figure_name(a.loss.name),
                             f"The (c/a, c/b) plane coloured by the four cases at w = "
                             f"{readable(value, unicode=False)} (the defaults{', ' + where if where else ''}); "
                             "a Gram matrix exists where (c/a)(c/b) <= 1.",
                             f"Figure not generated (needs matplotlib): python -m dpo_proofs "
                             f"plot {a.loss.name} --gram -o {gram_figure_name(a.loss.name)}"))
    checked = Phrase(*[part for i, c in enumerate(g.checks) for part in
                       ((("; ",) if i else ()) + (c,))])
    blocks.append(Para(("Checked: ", *said(checked), ".")))
    return blocks

"""What every section of the documents shares: LaTeX of derived expressions and a few
building blocks (joined inline parts, a region in words, a display split when too long).

Every formula is printed by ``sympy.latex`` from an expression the package derived; the
symbols of claims (L, R, the partials, the start of a flow) print under their names.
"""
from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from ..loss.symbols import X1_0, X2_0
from ..verdicts.values import D_X1, D_X2, LOSS, RATIO
from .markup import Display, Inline, Math, Para

__all__ = ["latex", "join", "region_sentence", "displays", "DL1", "DL2", "DISPLAY_LIMIT"]

DL1 = r"\frac{\partial L}{\partial x_{1}}"
DL2 = r"\frac{\partial L}{\partial x_{2}}"

_QUANTITY_TEX = {LOSS: "L", D_X1: r"\partial_{x_{1}} L", D_X2: r"\partial_{x_{2}} L",
                 RATIO: "R", X1_0: "x_{1,0}", X2_0: "x_{2,0}"}


def latex(expr: sp.Basic) -> str:
    """sympy's LaTeX; the quantity symbols of claims print as L, R and partials."""
    return sp.latex(expr, symbol_names=_QUANTITY_TEX)


def join(parts: Sequence[Inline], sep: str = ", ") -> list[Inline]:
    """The inline parts with ``sep`` between each two."""
    out: list[Inline] = []
    for i, p in enumerate(parts):
        if i:
            out.append(sep)
        out.append(p)
    return out


def region_sentence(region: sp.Basic) -> list[Inline]:
    """A region of (0, 1]^2 in words: everywhere, nowhere, or its formula."""
    if region is sp.true:
        return ["everywhere on the domain"]
    if region is sp.false:
        return ["nowhere on the domain"]
    return [Math(latex(region))]


#: Longest formula printed in one display: beyond it TeX cannot even measure the box.
DISPLAY_LIMIT = 3000


def displays(lhs: str, expr: sp.Expr) -> list:
    """``lhs = expr``; a formula too long for one line is split by common subexpressions."""
    text = latex(expr)
    if len(text) <= DISPLAY_LIMIT:
        return [Display(lhs + " = " + text)]
    names = sp.numbered_symbols("omega_")
    replacements, (reduced,) = sp.cse(expr, symbols=names)
    blocks = [Display(lhs + " = " + latex(reduced)),
              Para(("where (common subexpressions, innermost first):",))]
    blocks += [Display(latex(name) + " = " + latex(value)) for name, value in replacements]
    if any(len(b.tex) > DISPLAY_LIMIT for b in blocks if isinstance(b, Display)):
        return [Para(("The closed form of ", Math(lhs), f" has {len(text)} characters in "
                      "LaTeX, too long to typeset; the JSON output carries it.",))]
    return blocks

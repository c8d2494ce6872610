"""What every section of the documents shares: LaTeX of derived expressions and a few
building blocks (joined inline parts, a region in words, a display split when too long).

Every formula is printed by ``sympy.latex`` from an expression the package derived; the
symbols of claims (L, R, the partials, the start of a flow) print under their names.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

import sympy as sp

from ..loss.symbols import MARGIN_RATE, X1_0, X2_0
from ..phrases import Phrase
from ..verdicts.values import D_X1, D_X2, LOSS, RATIO
from .markup import Code, Display, Inline, Math, Para
from .prose import NAMES_TEX, OPS_TEX
from .tex_layout import width

__all__ = ["latex", "join", "said", "region_sentence", "displays", "DL1", "DL2",
           "DISPLAY_LIMIT"]

DL1 = r"\frac{\partial L}{\partial x_{1}}"
DL2 = r"\frac{\partial L}{\partial x_{2}}"

_QUANTITY_TEX = {LOSS: "L", D_X1: r"\partial_{x_{1}} L", D_X2: r"\partial_{x_{2}} L",
                 RATIO: "R", X1_0: "x_{1,0}", X2_0: "x_{2,0}",
                 MARGIN_RATE: r"\tfrac{d}{dt}(u_{w} - u_{l})"}


def latex(expr: sp.Basic, **options) -> str:
    """sympy's LaTeX; the quantity symbols of claims print as L, R and partials, and the
    constants lam, eps (lam_s, eps_ls) as lambda, epsilon. ``options`` go to sympy."""
    names = dict(_QUANTITY_TEX)
    for s in getattr(expr, "free_symbols", ()):
        head, _, tail = s.name.partition("_")
        # a name the prose printer knows (lam -> lambda) that sympy prints as letters
        if isinstance(s, sp.Symbol) and head in NAMES_TEX and sp.latex(sp.Symbol(head)) == head:
            names[s] = NAMES_TEX[head] + (f"_{{{tail}}}" if tail else "")
    return sp.latex(expr, symbol_names=names, **options)


#: a relation between two values of a sentence, or a value's comparison with 0
_RELATIONS = ("<=", ">=", "!=", "->", "=", "<", ">")
_BETWEEN = re.compile(r"^ (%s) $" % "|".join(_RELATIONS))
_WITH_ZERO = re.compile(r"^ (%s) 0(?![\w.])" % "|".join(r for r in _RELATIONS if r != "->"))
#: wider than this (points), a formula of a sentence is written with breakable products
_BREAK_PT = 200.0
_SYMPY_TEXT = re.compile(r"\*|\b(Eq|Piecewise|Abs|Interval)\(")


def said(text: str) -> list[Inline]:
    """A sentence of the pipeline (evidence, a reason) as inline parts: a ``Phrase``'s
    words as prose and its sympy values typeset, a relation between two values (or a
    value and 0) set as one formula; a plain string is prose, or verbatim code where it
    holds sympy's text (a product or power written * or **)."""
    if not isinstance(text, Phrase):
        return [Code(text) if _SYMPY_TEXT.search(text) else text]
    out: list[Inline] = []
    parts = list(text.parts)
    i = 0
    while i < len(parts):
        p = parts[i]
        if isinstance(p, str):
            out.append(p)
            i += 1
            continue
        tex = latex(p)
        if width((Math(tex),)) > _BREAK_PT:
            # a long product written with \cdot, a binary operator TeX may break after
            # (an implicit product is one unbreakable run of factors)
            tex = latex(p, mul_symbol="dot")
        while i + 1 < len(parts) and isinstance(parts[i + 1], str):
            glue = parts[i + 1]
            between = _BETWEEN.match(glue)
            if between and i + 2 < len(parts) and not isinstance(parts[i + 2], str):
                tex += f" {OPS_TEX[between.group(1)]} {latex(parts[i + 2])}"
                i += 2
                continue
            zero = _WITH_ZERO.match(glue)
            if zero:
                tex += f" {OPS_TEX[zero.group(1)]} 0"
                parts[i + 1] = glue[zero.end():]
            break
        out.append(Math(tex))
        i += 1
    return [p for p in out if p != ""]


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

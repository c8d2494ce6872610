"""Fitting LaTeX to the page: long formulas TeX can break, and table columns that fit.

A formula is one box TeX never breaks inside when it is wrapped in \\left( ... \\right),
a \\frac, a braced function argument or a cases array; a table of plain columns is as
wide as its widest cells. Documents must stay inside the margin (the documents check
reads pdflatex's overfull boxes), and shrinking a formula to fit makes it unreadable, so
long formulas are rewritten with plain delimiters, slashes and inline cases (the same
mathematics, set breakable), and wide tables get paragraph columns sharing the line.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["breakable", "width", "columns", "LINE_PT"]


def _group_end(tex: str, start: int) -> int:
    """The index of the brace closing the group opened at ``tex[start] == '{'``."""
    depth, i = 0, start
    while i < len(tex):
        c = tex[i]
        if c == "\\":
            i += 2
            continue
        depth += (c == "{") - (c == "}")
        if depth == 0:
            return i
        i += 1
    raise ValueError("unbalanced braces")


#: One symbol (with its subscript and power): written without parentheses around it.
_ATOM = re.compile(r"^(\\?[A-Za-z0-9.]+)(_\{[^{}]*\}|_[A-Za-z0-9])?(\^\{[^{}]*\})?$")


_ROOT = re.compile(r"\\sqrt(?:\[([^\]]*)\])?\{")


def _unframed(tex: str) -> str:
    """\\frac{A}{B} with long parts as (A)/(B), and \\log{(x)} as \\log(x): braces make a
    box TeX never breaks inside."""
    out, i = [], 0
    while i < len(tex):
        if tex.startswith("\\frac{", i):
            a_end = _group_end(tex, i + 5)
            b_end = _group_end(tex, a_end + 1)
            a, b = _unframed(tex[i + 6:a_end]), _unframed(tex[a_end + 2:b_end])
            if len(a) + len(b) > 80:
                wrap = [t if _ATOM.match(t) else "(" + t + ")" for t in (a, b)]
                out.append(wrap[0] + " / " + wrap[1])
            else:
                out.append("\\frac{" + a + "}{" + b + "}")
            i = b_end + 1
            continue
        root = _ROOT.match(tex, i)
        if root:
            end = _group_end(tex, root.end() - 1)
            inner, n = _unframed(tex[root.end():end]), root.group(1) or "2"
            out.append(tex[i:root.end()] + inner + "}" if len(inner) <= 40 else
                       "(" + inner + ")^{1/" + n + "}")
            i = end + 1
            continue
        if tex.startswith("|{", i):  # sympy's \left|{x}\right|
            end = _group_end(tex, i + 1)
            out.append("|" + _unframed(tex[i + 2:end]))
            i = end + 1
            continue
        m = re.match(r"\\(log|exp)\{", tex[i:])
        if m:
            end = _group_end(tex, i + m.end() - 1)
            out.append("\\" + m.group(1) + " " + _unframed(tex[i + m.end():end]))
            i = end + 1
            continue
        out.append(tex[i])
        i += 1
    return "".join(out)


def _uncased(tex: str) -> str:
    """A cases environment written inline, 'value for condition; ...': an array is one
    box, however long its rows."""
    def row(text: str) -> str:
        value, _, condition = text.partition("&")
        return value.strip() + r"\ " + condition.strip()
    return re.sub(r"\\begin\{cases\}(.*?)\\end\{cases\}",
                  lambda m: r";\ ".join(row(r) for r in m.group(1).split(r"\\")), tex,
                  flags=re.S)


def breakable(tex: str) -> str:
    """A long formula that TeX may break across lines. TeX breaks inline math after a
    relation or a binary operator outside braces; \\left( ... \\right), a \\frac, a
    function's braced argument and a cases array are each one unbreakable box, so they
    are written with plain delimiters, a slash and inline cases."""
    try:
        tex = _unframed(_uncased(tex))
    except ValueError:
        pass
    tex = re.sub(r"\\(left|right)\.", "", tex)
    return re.sub(r"\\(left|right)(?![a-zA-Z])\s*", "", tex)


#: The text width of the documents (a4, 2.2 cm margins) and a footnotesize (9 pt in an 11 pt document) character,
#: in TeX points, and the padding of a table column: enough to tell a table that fits.
LINE_PT, _CHAR_PT, _PAD_PT = 472.0, 4.8, 12.0


def width(parts: Sequence) -> float:
    """The estimated width of a cell (points): characters, with a formula's commands
    counted as one symbol each."""
    n = 0
    for p in parts:
        if hasattr(p, "tex"):  # a formula
            n += len(re.sub(r"[{}^_]|\\(left|right|,|;|!)", "",
                            re.sub(r"\\[a-zA-Z]+", "x", p.tex)))
        else:
            n += len(getattr(p, "text", p))  # code, or plain text
    return n * _CHAR_PT


def columns(header: Sequence[str], rows: Sequence[Sequence], given: str) -> str:
    """The table's column spec, or one that fits the line: when the natural widths add up
    to more than the line, the narrow columns stay as they are and the wide ones become
    ragged paragraph columns sharing what is left, in proportion to their widths."""
    n = len(header)
    # A header wraps in a paragraph column (its longest word is what it needs there), not
    # in a plain one; bold is about 10% wider.
    cells = [max([0.0] + [width(row[i]) for row in rows if i < len(row)]) for i in range(n)]
    whole = [max(c, 1.1 * width((h,))) for c, h in zip(cells, header)]
    natural = [max([c] + [1.1 * width((w,)) for w in h.split()]) for c, h in zip(cells, header)]
    room = (LINE_PT - _PAD_PT * n) * 0.97  # the estimate is rough: keep a margin
    if sum(whole) <= room:
        return given
    narrow = [i for i in range(n) if whole[i] <= room / (2 * n)]
    left = room - sum(whole[i] for i in narrow)
    # Water-filling: the narrowest wide column first gets what it needs or its fair
    # share of what is left, so the widths never add up to more than the line.
    share: dict[int, float] = {}
    wide = sorted((i for i in range(n) if i not in narrow), key=lambda i: natural[i])
    for k, i in enumerate(wide):
        share[i] = min(natural[i], left / (len(wide) - k))
        left -= share[i]
    spec = []
    for i in range(n):
        if i in narrow:
            spec.append("l")
        else:
            spec.append(r">{\raggedright\arraybackslash}p{%.3f\linewidth}" % (share[i] / LINE_PT))
    return "".join(spec)

"""A small document model (headings, prose with inline math, displays, tables) and its
two renderers, LaTeX and Markdown. Math arrives as LaTeX strings printed by sympy;
prose is escaped here, so no printer ever mixes the two by hand.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .tex_layout import LINE_PT, breakable, columns, width
from .prose import prose_tex

__all__ = ["Math", "Code", "Heading", "Para", "Display", "Table", "Items", "Env", "Figure",
           "Document", "Inline", "render", "to_tex", "to_markdown", "tex_escape", "number_tex"]


@dataclass(frozen=True)
class Math:
    """Inline math (LaTeX source)."""

    tex: str


@dataclass(frozen=True)
class Code:
    """Text shown verbatim in a typewriter font (e.g. a sympy string, a command)."""

    text: str


Inline = str | Math | Code


@dataclass(frozen=True)
class Heading:
    level: int  # 1 section, 2 subsection
    text: str
    label: str = ""


@dataclass(frozen=True)
class Para:
    parts: tuple[Inline, ...]


@dataclass(frozen=True)
class Display:
    """Displayed equation (LaTeX source); shrunk to the line width in PDF when too wide."""

    tex: str


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[tuple[Inline, ...], ...], ...]
    columns: str  # LaTeX column spec, e.g. "llp{5cm}"
    small: bool = True


@dataclass(frozen=True)
class Items:
    items: tuple[tuple[Inline, ...], ...]


@dataclass(frozen=True)
class Env:
    """A theorem-like environment: 'proposition' or 'proof', with its own blocks."""

    kind: str
    title: str
    blocks: tuple = ()


@dataclass(frozen=True)
class Figure:
    path: str       # relative to the document
    caption: str
    missing: str    # what to print when the file does not exist at compile time


@dataclass(frozen=True)
class Document:
    title: str
    header: tuple[str, ...]  # comment lines at the very top (how to regenerate)
    blocks: tuple = field(default_factory=tuple)
    #: the line under the title: the versions it was made with and the command (no date:
    #: the same inputs give the same document)
    made_with: str = ""


# -- LaTeX --------------------------------------------------------------------------

_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
                "|": r"\textbar{}"}


def tex_escape(text: str) -> str:
    """Plain text made safe for LaTeX."""
    return "".join(_TEX_SPECIAL.get(c, c) for c in text)


_NUMBER = re.compile(r"^([-+]?)(\d+(?:\.\d*)?)(?:e([-+]?\d+))?$")


def number_tex(text: str) -> str:
    """A decimal string from mpmath/repr as LaTeX math: 1.5e-300 -> 1.5 \\cdot 10^{-300}."""
    t = text.strip()
    if t in ("nan", "+nan", "-nan"):
        return r"\mathrm{NaN}"
    if t in ("inf", "+inf", "-inf"):
        return ("-" if t.startswith("-") else "") + r"\infty"
    m = _NUMBER.match(t)
    if not m:
        return r"\text{" + tex_escape(t) + "}"
    sign, mantissa, exponent = m.groups()
    out = sign + mantissa
    if exponent is not None and len(exponent.lstrip("+-")) > 12:
        # an exponent of hundreds of digits (a value at 1e-300 to the power 1000): its
        # leading digits and its size say all a reader can use
        e = exponent.lstrip("+-")
        out += r" \cdot 10^{%s%s.%s \cdot 10^{%d}}" % (
            "-" if exponent.startswith("-") else "", e[0], e[1:4], len(e) - 1)
    elif exponent is not None:
        out += r" \cdot 10^{%d}" % int(exponent)
    return out


PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[a4paper,margin=2.2cm]{geometry}
\usepackage{amsmath,amssymb,amsthm}
\usepackage{graphicx}
\usepackage{booktabs}
\usepackage{longtable}
\usepackage{array}
\newtheorem{proposition}{Proposition}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5ex}
\sloppy
"""


#: Where a line of code may break (after these characters): an expression or a point
#: written without spaces is otherwise one unbreakable word that runs off the page.
_CODE_BREAKS = set(",*+/=()[]{}:;_-")


def _code_tex(text: str) -> str:
    return "".join(tex_escape(c) + (r"\allowbreak{}" if c in _CODE_BREAKS else "")
                   for c in text)


#: A formula wider than this (points) is typeset breakable (see _breakable); in a table
#: cell, whose column may be a sixth of the line, a narrower one already.
_LONG_PT, _CELL_LONG_PT = 200.0, 60.0


def _math_tex(tex: str, long_pt: float = _LONG_PT) -> str:
    return "$" + (breakable(tex) if width((Math(tex),)) > long_pt else tex) + "$"


def _tex_inline(parts: Sequence[Inline], long_pt: float = _LONG_PT) -> str:
    """Inline parts as LaTeX; a formula wider than ``long_pt`` is set breakable."""
    out = []
    for p in parts:
        if isinstance(p, Math):
            out.append(_math_tex(p.tex, long_pt))
        elif isinstance(p, Code):
            out.append(r"\texttt{" + _code_tex(p.text) + "}")
        else:  # its mathematics typeset; a long word may break like code
            out.append(prose_tex(p, _text_tex))
    return "".join(out)


def _text_tex(text: str) -> str:
    return " ".join(_code_tex(w) if len(w) > 20 else tex_escape(w) for w in text.split(" "))


def _tex_block(block) -> str:
    if isinstance(block, Heading):
        cmd = {1: "section", 2: "subsection"}.get(block.level, "subsubsection")
        label = r"\label{%s}" % block.label if block.label else ""
        return "\\%s{%s}%s\n" % (cmd, prose_tex(block.text, tex_escape), label)
    if isinstance(block, Para):
        return _tex_inline(block.parts) + "\n"
    if isinstance(block, Display):
        if width((Math(block.tex),)) * 11 / 9 <= LINE_PT:  # 11 pt text, not 9 pt
            return "\\[\n" + block.tex + "\n\\]\n"
        # Too long for one line: set as text-style math TeX breaks at its operators,
        # indented like a display, rather than shrunk to an unreadable size.
        return ("\\begin{list}{}{\\setlength{\\leftmargin}{2em}}\\item[]\\raggedright\n" +
                _math_tex(block.tex) + "\n\\end{list}\n")
    if isinstance(block, Items):
        body = "".join(r"  \item " + _tex_inline(i) + "\n" for i in block.items)
        return "\\begin{itemize}\n" + body + "\\end{itemize}\n"
    if isinstance(block, Env):
        opt = "[" + tex_escape(block.title) + "]" if block.title else ""
        inner = "\n".join(_tex_block(b) for b in block.blocks)
        return "\\begin{%s}%s\n%s\\end{%s}\n" % (block.kind, opt, inner, block.kind)
    if isinstance(block, Figure):
        return ("\\begin{figure}[htbp]\n\\centering\n"
                "\\IfFileExists{%s}{\\includegraphics[width=\\linewidth]{%s}}"
                "{\\fbox{\\parbox{0.8\\linewidth}{%s}}}\n\\caption{%s}\n\\end{figure}\n"
                % (block.path, block.path, tex_escape(block.missing),
                   prose_tex(block.caption, tex_escape)))
    if isinstance(block, Table):
        head = " & ".join(r"\textbf{%s}" % prose_tex(h, tex_escape) for h in block.header) + \
            r" \\"
        rows = "\n".join(" & ".join(_tex_inline(c, _CELL_LONG_PT) for c in row) + r" \\"
                         for row in block.rows)
        size = "{\\footnotesize\n" if block.small else "{\n"
        return (size + "\\begin{longtable}{%s}\n\\toprule\n%s\n\\midrule\n\\endhead\n%s\n"
                "\\bottomrule\n\\end{longtable}\n}\n" % (columns(block.header, block.rows, block.columns), head, rows))
    raise TypeError(f"unknown block {block!r}")


def to_tex(doc: Document) -> str:
    """The document as a standalone LaTeX file."""
    lines = ["% " + h for h in doc.header]
    body = "\n".join(_tex_block(b) for b in doc.blocks)
    made = "\\small " + _code_tex(doc.made_with) if doc.made_with else ""
    return ("\n".join(lines) + "\n" + PREAMBLE + "\\title{" + tex_escape(doc.title) + "}\n"
            "\\date{" + made + "}\n\\begin{document}\n\\maketitle\n" + body + "\\end{document}\n")


# -- Markdown -----------------------------------------------------------------------

def _md_text(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>|])", r"\\\1", text)


def _md_inline(parts: Sequence[Inline], in_table: bool = False) -> str:
    out = []
    for p in parts:
        if isinstance(p, Math):
            tex = p.tex.replace("|", r"\vert ") if in_table else p.tex
            out.append("$" + tex + "$")
        elif isinstance(p, Code):
            text = p.text.replace("|", r"\|") if in_table else p.text
            out.append("`" + text + "`")
        else:
            out.append(_md_text(p))
    return "".join(out)


def _md_block(block) -> str:
    if isinstance(block, Heading):
        return "#" * (block.level + 1) + " " + block.text + "\n"
    if isinstance(block, Para):
        return _md_inline(block.parts) + "\n"
    if isinstance(block, Display):
        return "$$\n" + block.tex + "\n$$\n"
    if isinstance(block, Items):
        return "".join("- " + _md_inline(i) + "\n" for i in block.items)
    if isinstance(block, Env):
        title = f" ({block.title})" if block.title else ""
        inner = "\n".join(_md_block(b) for b in block.blocks)
        return f"**{block.kind.capitalize()}{title}.**\n\n" + inner + (
            "\n_End of proof._\n" if block.kind == "proof" else "")
    if isinstance(block, Figure):
        return f"_Figure: {block.caption} ({block.missing})_\n"
    if isinstance(block, Table):
        head = "| " + " | ".join(block.header) + " |\n"
        rule = "|" + "|".join("---" for _ in block.header) + "|\n"
        rows = "".join("| " + " | ".join(_md_inline(c, True) for c in row) + " |\n"
                       for row in block.rows)
        return head + rule + rows
    raise TypeError(f"unknown block {block!r}")


def blocks_markdown(blocks: Sequence) -> str:
    """Blocks as Markdown, as a document sets them (for a notebook's part of one)."""
    return "\n".join(_md_block(b) for b in blocks)


def to_markdown(doc: Document) -> str:
    """The document as Markdown with $...$ and $$...$$ math."""
    header = "".join(f"<!-- {h} -->\n" for h in doc.header)
    made = f"*{_md_text(doc.made_with)}*\n\n" if doc.made_with else ""
    return header + "\n# " + doc.title + "\n\n" + made + blocks_markdown(doc.blocks)


def render(doc: Document, fmt: str) -> str:
    """'tex' or 'md'."""
    if fmt == "tex":
        return to_tex(doc)
    if fmt == "md":
        return to_markdown(doc)
    raise ValueError(f"unknown format {fmt!r}")

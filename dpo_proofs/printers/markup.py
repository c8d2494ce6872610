"""A small document model (headings, prose with inline math, displays, tables) and its
two renderers, LaTeX and Markdown. Math arrives as LaTeX strings printed by sympy;
prose is escaped here, so no printer ever mixes the two by hand.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

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
    if exponent is not None:
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
\newsavebox{\fitbox}
% A displayed formula wider than the line is scaled down to the line width.
\newcommand{\fitmath}[1]{\sbox{\fitbox}{$\displaystyle #1$}%
  \ifdim\wd\fitbox>\linewidth\resizebox{\linewidth}{!}{\usebox{\fitbox}}\else\usebox{\fitbox}\fi}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5ex}
\sloppy
"""


def _tex_inline(parts: Sequence[Inline]) -> str:
    out = []
    for p in parts:
        if isinstance(p, Math):
            out.append("$" + p.tex + "$")
        elif isinstance(p, Code):
            out.append(r"\texttt{" + tex_escape(p.text) + "}")
        else:
            out.append(tex_escape(p))
    return "".join(out)


def _tex_block(block) -> str:
    if isinstance(block, Heading):
        cmd = {1: "section", 2: "subsection"}.get(block.level, "subsubsection")
        label = r"\label{%s}" % block.label if block.label else ""
        return "\\%s{%s}%s\n" % (cmd, tex_escape(block.text), label)
    if isinstance(block, Para):
        return _tex_inline(block.parts) + "\n"
    if isinstance(block, Display):
        return "\\[\n\\fitmath{" + block.tex + "}\n\\]\n"
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
                % (block.path, block.path, tex_escape(block.missing), tex_escape(block.caption)))
    if isinstance(block, Table):
        head = " & ".join(r"\textbf{%s}" % tex_escape(h) for h in block.header) + r" \\"
        rows = "\n".join(" & ".join(_tex_inline(c) for c in row) + r" \\" for row in block.rows)
        size = "{\\footnotesize\n" if block.small else "{\n"
        return (size + "\\begin{longtable}{%s}\n\\toprule\n%s\n\\midrule\n\\endhead\n%s\n"
                "\\bottomrule\n\\end{longtable}\n}\n" % (block.columns, head, rows))
    raise TypeError(f"unknown block {block!r}")


def to_tex(doc: Document) -> str:
    """The document as a standalone LaTeX file."""
    lines = ["% " + h for h in doc.header]
    body = "\n".join(_tex_block(b) for b in doc.blocks)
    return ("\n".join(lines) + "\n" + PREAMBLE + "\\title{" + tex_escape(doc.title) + "}\n"
            "\\date{}\n\\begin{document}\n\\maketitle\n" + body + "\\end{document}\n")


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


def to_markdown(doc: Document) -> str:
    """The document as Markdown with $...$ and $$...$$ math."""
    header = "".join(f"<!-- {h} -->\n" for h in doc.header)
    return header + "\n# " + doc.title + "\n\n" + "\n".join(_md_block(b) for b in doc.blocks)


def render(doc: Document, fmt: str) -> str:
    """'tex' or 'md'."""
    if fmt == "tex":
        return to_tex(doc)
    if fmt == "md":
        return to_markdown(doc)
    raise ValueError(f"unknown format {fmt!r}")

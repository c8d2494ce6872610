"""Sentences whose mathematics is kept as mathematics.

A verdict's evidence, the reason a quantity was not derived, a kernel's argument: the
pipeline says these in sentences that name expressions ("on x1 < x2 write x1 =
x2/(s0 + 1) with s0 > 0"). Written with ``sp.sstr`` into an f-string, the expression
is lost to every printer but the terminal's: a document can only show it as code.
A ``Phrase`` is that sentence as a ``str`` (sympy's notation, what the JSON keeps and
what ``in``/``==`` read) that also keeps its parts, words and sympy values, so the text
printer writes x1^β and the document typesets $x_1^{\\beta}$.

Build one with ``Phrase("on ", relation, " write ", x1, " = ", value)``; a Phrase
among the parts is spliced in with its own parts, so phrases compose. Joining with
``+`` or an f-string gives a plain ``str`` (the mathematics then reads as sympy's),
so compose with ``Phrase`` or ``join``.
"""
from __future__ import annotations

from collections.abc import Iterable

import sympy as sp

__all__ = ["Phrase", "join"]


class Phrase(str):
    """A sentence (``str``) with its parts kept: words, and sympy values to typeset."""

    parts: tuple

    def __new__(cls, *parts: object) -> "Phrase":
        flat: list = []
        for p in parts:
            if isinstance(p, Phrase):
                pieces: Iterable = p.parts
            elif isinstance(p, sp.Basic):
                pieces = (p,)
            else:
                pieces = (str(p),)
            for piece in pieces:
                if isinstance(piece, str) and flat and isinstance(flat[-1], str):
                    flat[-1] += piece
                elif not (isinstance(piece, str) and piece == ""):
                    flat.append(piece)
        text = "".join(x if isinstance(x, str) else _text(x) for x in flat)
        self = super().__new__(cls, text)
        self.parts = tuple(flat)
        return self

    def __reduce__(self):
        # pickled by its parts (the cache and the worker pool carry phrases)
        return (Phrase, self.parts)


def _text(value: sp.Basic) -> str:
    """sympy's notation, but an interval in a sentence reads [a, b] (open ends round)."""
    if isinstance(value, sp.Interval):
        return ("(" if value.left_open else "[") + f"{sp.sstr(value.start)}, " \
            f"{sp.sstr(value.end)}" + (")" if value.right_open else "]")
    return sp.sstr(value)


def join(separator: str, items: Iterable[object]) -> Phrase:
    """``separator.join(items)`` keeping the mathematics of every item."""
    parts: list = []
    for i, item in enumerate(items):
        if i:
            parts.append(separator)
        parts.append(item)
    return Phrase(*parts)


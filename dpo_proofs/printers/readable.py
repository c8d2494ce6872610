"""Expressions as a reader writes them on one line: x1·x2^(β − 1)/|2·r_w^β − x1^β|.

sympy's ``sstr`` is for machines (``**``, ``Abs(...)``, ``Piecewise((nan, ...), ...)``), and
the JSON keeps it because ``sympify`` reads it back; the tables people read use this
printer. It formats a finished value and never derives: a Piecewise is shown branch by
branch as the derivation left it, nan read as "undefined".
"""
from __future__ import annotations

import sympy as sp
from sympy.printing.precedence import PRECEDENCE, precedence
from sympy.printing.str import StrPrinter

from ..phrases import Phrase

__all__ = ["readable", "readable_cell", "readable_text", "point_text"]

#: the constants' names whose head reads as a Greek letter (beta_w -> β_w)
GREEK = {"alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "eps": "ε",
         "epsilon": "ε", "lam": "λ", "lambda": "λ", "tau": "τ", "rho": "ρ", "sigma": "σ",
         "theta": "θ", "mu": "μ", "eta": "η"}


class _Readable(StrPrinter):
    """StrPrinter with ^ for powers, |.| for Abs, √ for square roots and (in unicode)
    Greek letters; products are joined with '·' by ``readable``."""

    def __init__(self, unicode: bool):
        super().__init__()
        self.unicode = unicode

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        if not self.unicode:
            return expr.name
        head, sep, tail = expr.name.partition("_")
        return GREEK.get(head, head) + sep + tail

    _print_Dummy = _print_Symbol

    def _print_Infinity(self, expr: sp.Basic) -> str:
        return "∞" if self.unicode else "oo"

    def _print_NegativeInfinity(self, expr: sp.Basic) -> str:
        return "−∞" if self.unicode else "-oo"

    def _print_Abs(self, expr: sp.Abs) -> str:
        return f"|{self._print(expr.args[0])}|"

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        base, exp = expr.as_base_exp()
        if exp.is_Rational and exp.is_negative:
            inverse = base if exp == -1 else sp.Pow(base, -exp, evaluate=False)
            return "1/" + self.parenthesize(inverse, PRECEDENCE["Mul"], strict=True)
        if exp == sp.S.Half:
            return f"√({self._print(base)})" if self.unicode else f"sqrt({self._print(base)})"
        b = self.parenthesize(base, PRECEDENCE["Pow"], strict=True)
        e = self._print(exp)
        if not (exp.is_Atom and precedence(exp) >= PRECEDENCE["Atom"]) or \
                (exp.is_Rational and not exp.is_Integer) or exp.is_negative:
            e = f"({e})"
        return f"{b}^{e}"

    def _print_Interval(self, expr: sp.Interval) -> str:
        return ("(" if expr.left_open else "[") + f"{self._print(expr.start)}, " \
            f"{self._print(expr.end)}" + (")" if expr.right_open else "]")

    def _print_And(self, expr: sp.And) -> str:
        return " and ".join(self.parenthesize(a, PRECEDENCE["And"] + 1) for a in expr.args)

    def _print_Or(self, expr: sp.Or) -> str:
        return " or ".join(self.parenthesize(a, PRECEDENCE["Or"] + 1) for a in expr.args)

    def _print_Not(self, expr: sp.Not) -> str:
        return f"not ({self._print(expr.args[0])})"

    def _print_Relational(self, expr: sp.core.relational.Relational) -> str:
        op = {"==": "=", "!=": "≠" if self.unicode else "!=", ">=": "≥" if self.unicode
              else ">=", "<=": "≤" if self.unicode else "<="}.get(expr.rel_op, expr.rel_op)
        return f"{self._print(expr.lhs)} {op} {self._print(expr.rhs)}"

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        parts = []
        for value, cond in expr.args:
            shown = "undefined" if value is sp.nan else self._print(value)
            parts.append(shown + ("" if cond is sp.true else f" if {self._print(cond)}"))
        return "; ".join(parts[:-1] + [("otherwise " if len(parts) > 1 else "") +
                                       parts[-1]])


def readable(expr: sp.Basic, unicode: bool = True) -> str:
    """``expr`` on one line: powers with ^, |.| for Abs, products with ·, Greek constants
    and ≤ ≥ ≠ in unicode; plain ASCII (* and ^) otherwise. A region that is True or
    False reads "everywhere" or "nowhere"."""
    if expr is sp.true or expr is sp.false:
        return "everywhere" if expr is sp.true else "nowhere"
    text = _Readable(unicode).doprint(expr)
    return text.replace("*", "·").replace("-", "−") if unicode else text


def readable_cell(expr: sp.Basic, unicode: bool = True) -> str:
    """A value for a table cell: a Piecewise whose other branches are undefined (nan) is
    its one defined branch, marked "where defined"; any other Piecewise is "piecewise:"
    and its branches' values."""
    if isinstance(expr, sp.Piecewise):
        values = [v for v, _ in expr.args if v is not sp.nan]
        if len(values) == 1:
            return f"{readable(values[0], unicode)} where defined"
        return "piecewise: " + " | ".join(readable(v, unicode) for v in values)
    return readable(expr, unicode)


def readable_text(text: str, unicode: bool = True) -> str:
    """A sentence of the pipeline (a verdict's evidence, a reason) with its mathematics
    in this printer: a ``Phrase``'s sympy parts are printed by ``readable``; a plain
    string is returned as it is."""
    if not isinstance(text, Phrase):
        return text
    return "".join(p if isinstance(p, str) else readable(p, unicode) for p in text.parts)


def point_text(point: dict | None) -> str:
    """x1 = 1/2, x2 = 1/3, a = 1, ... (the counterexample as a reader writes it)."""
    if not point:
        return ""
    return ", ".join(f"{k} = {v}" for k, v in point.items())

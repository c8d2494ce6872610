"""Building blocks of preference losses as sympy functions.

Written after ``sympy.codegen.cfunctions.log1p``: each has ``fdiff`` for the chain
rule, an ``eval`` that returns None when it cannot simplify, assumption hooks and a
rewrite to elementary functions. Losses are *defined* with these blocks so that they
print the way papers write them; the analysis works on ``to_elementary(expr)``.
"""
from __future__ import annotations

import sympy as sp

__all__ = ["sigmoid", "log_sigmoid", "softplus", "to_elementary", "BUILDING_BLOCKS"]


class sigmoid(sp.Function):
    r"""The logistic function sigma(z) = 1 / (1 + exp(-z))."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        z = self.args[0]
        return sigmoid(z) * sigmoid(-z)

    @classmethod
    def eval(cls, z):
        if z.is_zero:
            return sp.S.Half
        if z is sp.oo:
            return sp.S.One
        if z is sp.S.NegativeInfinity:
            return sp.S.Zero
        return None

    def _eval_is_extended_real(self):
        return self.args[0].is_extended_real

    def _eval_is_positive(self):
        if self.args[0].is_finite and self.args[0].is_extended_real:
            return True
        return None

    def _eval_rewrite_as_exp(self, z, **kwargs):
        return 1 / (1 + sp.exp(-z))

    def _latex(self, printer, exp=None):
        tex = r"\sigma\left(%s\right)" % printer._print(self.args[0])
        return tex if exp is None else r"%s^{%s}" % (tex, exp)


class log_sigmoid(sp.Function):
    r"""log sigma(z) = -log(1 + exp(-z)); negative for every real z."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sigmoid(-self.args[0])

    @classmethod
    def eval(cls, z):
        if z.is_zero:
            return -sp.log(2)
        return None

    def _eval_is_extended_real(self):
        return self.args[0].is_extended_real

    def _eval_is_negative(self):
        if self.args[0].is_finite and self.args[0].is_extended_real:
            return True
        return None

    def _eval_rewrite_as_exp(self, z, **kwargs):
        return -sp.log(1 + sp.exp(-z))

    def _latex(self, printer, exp=None):
        tex = r"\log\sigma\left(%s\right)" % printer._print(self.args[0])
        return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)


class softplus(sp.Function):
    r"""softplus(z) = log(1 + exp(z)) = -log sigma(-z); positive for every real z."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sigmoid(self.args[0])

    @classmethod
    def eval(cls, z):
        if z.is_zero:
            return sp.log(2)
        return None

    def _eval_is_extended_real(self):
        return self.args[0].is_extended_real

    def _eval_is_positive(self):
        if self.args[0].is_finite and self.args[0].is_extended_real:
            return True
        return None

    def _eval_rewrite_as_exp(self, z, **kwargs):
        return sp.log(1 + sp.exp(z))

    def _latex(self, printer, exp=None):
        tex = r"\operatorname{softplus}\left(%s\right)" % printer._print(self.args[0])
        return tex if exp is None else r"%s^{%s}" % (tex, exp)


BUILDING_BLOCKS = (sigmoid, log_sigmoid, softplus)


def to_elementary(expr: sp.Expr) -> sp.Expr:
    """Rewrite the building blocks into exp and log (nothing else is touched)."""
    return expr.replace(
        lambda e: isinstance(e, BUILDING_BLOCKS),
        lambda e: e._eval_rewrite_as_exp(*e.args),
    )

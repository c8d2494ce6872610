"""The derivation of grad L for one loss, step by step, as values that printers read.

For each partial dL/dx: (if L = phi(h) with h the DPO margin) phi'(h) * dh/dx ->
sympy's chain-rule result -> building blocks written out in exp and log -> the
canonical closed form. Each step is checked equal to the previous one (prove_equal)
when the derivation is built; an undecided check is recorded, never hidden.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..budget import time_budget
from ..errors import DerivationTimeout
from ..loss.functions import to_elementary
from ..loss.loss import Loss, margin
from ..loss.symbols import H, x1, x2
from .canonical import prove_equal
from .gradient import GradientField

__all__ = ["H", "Step", "MarginForm", "PartialDerivation", "margin_form", "partial_steps"]

#: The margin as a single symbol, for L = phi(h).

@dataclass(frozen=True)
class Step:
    """One line of a derivation: ``expr`` and why it equals the previous line."""

    description: str
    expr: sp.Expr
    #: True: proved equal to the previous step; None: not decided (or the first step).
    checked: bool | None
    argument: str


@dataclass(frozen=True)
class MarginForm:
    """L = phi(h) where h = beta*log(x1/r_w) - beta*log(x2/r_l)."""

    h: sp.Expr
    phi: sp.Expr   # in H
    dphi: sp.Expr  # phi'(H)


@dataclass(frozen=True)
class PartialDerivation:
    """The steps from the definition of L to the closed form of dL/d(symbol)."""

    symbol: sp.Symbol
    dh: sp.Expr | None  # dh/d(symbol) when L = phi(h)
    steps: tuple[Step, ...]


def margin_form(loss: Loss) -> MarginForm | None:
    """phi with L = phi(h), when the definition depends on x1, x2 only through h."""
    h = margin()
    phi = loss.expr.subs(h, H)
    if phi.free_symbols & {x1, x2} or H not in phi.free_symbols:
        return None
    return MarginForm(h, phi, sp.diff(phi, H))


def _equal(previous: sp.Expr, current: sp.Expr, budget: float | None) -> tuple[bool | None, str]:
    try:
        with time_budget(budget, "checking a derivation step"):
            return prove_equal(previous, current)
    except DerivationTimeout as error:
        return None, str(error)


def partial_steps(loss: Loss, f: GradientField, symbol: sp.Symbol,
                   form: MarginForm | None, budget: float | None) -> PartialDerivation:
    partial = f.d_x1 if symbol == x1 else f.d_x2
    candidates: list[tuple[str, sp.Expr, sp.Expr]] = []  # (description, shown, comparable)
    dh = None
    if form is not None:
        dh = sp.diff(form.h, symbol)
        candidates.append(("chain rule through the margin: dL/dx = phi'(h) dh/dx",
                           form.dphi * dh, (form.dphi * dh).subs(H, form.h)))
    candidates.append(("differentiating the definition (chain rule, building blocks "
                       "differentiated by their own derivative rules)",
                       partial.chain_rule, partial.chain_rule))
    elementary = to_elementary(partial.chain_rule)
    if elementary != partial.chain_rule:
        candidates.append(("building blocks written out in exp and log",
                           elementary, elementary))
    candidates.append(("canonical closed form (logs split, exponentials of logs as powers, "
                       "one denominator, cancelled and factored)",
                       partial.closed_form, partial.closed_form))
    steps: list[Step] = []
    previous = None
    for description, shown, comparable in candidates:
        if previous is None:
            checked, argument = None, "first step"
        else:
            checked, argument = _equal(previous, comparable, budget)
        steps.append(Step(description, shown, checked, argument))
        previous = comparable
    return PartialDerivation(symbol, dh, tuple(steps))

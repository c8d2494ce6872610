"""The derivation of grad L for one loss, step by step, as data that printers read.

For each partial dL/dx: (if L = phi(h) with h the DPO margin) phi'(h) * dh/dx ->
sympy's chain-rule result -> building blocks written out in exp and log -> the
canonical closed form. Each step is checked equal to the previous one (prove_equal)
when the derivation is built; an undecided check is recorded, never hidden.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sympy as sp

from .analysis import Analysis, analyze
from .budget import time_budget
from .canonical import prove_equal
from .errors import DerivationTimeout
from .functions import to_elementary
from .loss import Loss, margin
from .symbols import x1, x2

__all__ = ["H", "Step", "MarginForm", "PartialDerivation", "Derivation", "derive",
           "margin_form", "DERIVE_BUDGET"]

#: The margin as a single symbol, for L = phi(h).
H = sp.Symbol("h", real=True)

#: Seconds for each symbolic derivation when writing documents: generous, because a
#: derivation cut short by a loaded machine would make the committed documents flap.
DERIVE_BUDGET = 120.0
#: Seconds for each parametrization's field in a document. The slowest (kto_pair in the
#: softmax frame) takes ~32 s on an idle 2-CPU machine and over 120 s under load: a
#: budget that close would make the committed documents depend on the machine's load.
FRAME_BUDGET = 900.0


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


@dataclass(frozen=True)
class Derivation:
    """An Analysis together with the derivation steps of its two partials."""

    analysis: Analysis
    margin_form: MarginForm | None
    partials: tuple[PartialDerivation, ...]
    #: The induced field in each other built-in parametrization: (frame, field or None,
    #: why not) -- the symbolic part; the claims per frame are the `frames` command's.
    frames: tuple = ()
    #: Closed-form gradient-flow dynamics (conserved quantity, limit point) per frame,
    #: the probability frame first.
    flows: tuple = ()

    @property
    def loss(self) -> Loss:
        return self.analysis.loss

    @property
    def ratio_from_signs(self) -> bool:
        """True when R - 1 is what was factored (the partials, or their quotient, have a
        fixed sign, so R = +-(dL/dx2)/(dL/dx1)); the field's ``ratio_excess_of`` says which
        quantity was factored otherwise (see field.ratio_of)."""
        from .field import RATIO_MINUS_ONE

        f = self.analysis.field
        return bool(f is not None and f.ratio_excess_of == RATIO_MINUS_ONE)


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


def _partial_steps(loss: Loss, analysis: Analysis, symbol: sp.Symbol,
                   form: MarginForm | None, budget: float | None) -> PartialDerivation:
    f = analysis.field
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


def derive(variant: str | Loss, params: Mapping[str, object] | None = None,
           budget: float | None = DERIVE_BUDGET, frames: bool = False) -> Derivation:
    """analyze(variant) plus the checked step-by-step derivation of both partials; with
    ``frames``, also the analysis and flow dynamics in every built-in parametrization."""
    from .flow import dynamics
    from .parametrizations import BUILTIN_PARAMETRIZATIONS

    analysis = analyze(variant, params=params, budget=budget)
    loss = analysis.loss
    form = margin_form(loss)
    if analysis.field is None:
        return Derivation(analysis, form, ())
    partials = tuple(_partial_steps(loss, analysis, s, form, budget) for s in (x1, x2))
    if not frames:
        return Derivation(analysis, form, partials)
    from .engine import cached_field
    from .parametrizations import get_parametrization

    names = [n for n in BUILTIN_PARAMETRIZATIONS if n != "probability"]
    others = []
    for n in names:
        frame = get_parametrization(n)
        try:
            with time_budget(None if budget is None else max(budget, FRAME_BUDGET),
                             f"the {n} frame of {loss.name}"):
                others.append((frame, cached_field(loss, frame), ""))
        except DerivationTimeout as error:
            others.append((frame, None, str(error)))
    others = tuple(others)
    flows = tuple(dynamics(loss, n, starts=(), steps=False,
                           budget=FRAME_BUDGET if budget is None else max(budget, FRAME_BUDGET))
                  for n in ("probability", *names))
    return Derivation(analysis, form, partials, others, flows)

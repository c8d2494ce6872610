"""analyze(variant): the whole derivation for one loss, as one immutable value.

Pipeline: loss -> gradient field (partials, R, regions, field quantities) ->
equivalent forms proved -> high-precision confirmation -> float64 findings ->
built-in claims checked. Printers (text, JSON, LaTeX) read the result; none derives.
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from .budget import DEFAULT_BUDGET_SECONDS, time_budget
from .field.canonical import prove_equal
from .verdicts.engine import cached_field, check
from .errors import DerivationTimeout
from .field.gradient import GradientField
from .loss.loss import Loss
from .field.frames import Parametrization, get_parametrization
from .field.in_frame import confirm_velocity, frame_claims
from .numerics.confirm import (Confirmation, Float64Finding, confirm_partials,
                        float64_findings)
from .loss.catalogue import get_variant
from .verdicts.values import Status, Verdict, builtin_claims

__all__ = ["Analysis", "EquivalentForm", "analyze"]

@dataclass(frozen=True)
class EquivalentForm:
    """A published alternative form of the loss and whether it is the same function."""

    source: str
    expr: sp.Expr
    same: bool | None
    argument: str

@dataclass(frozen=True)
class Analysis:
    """Everything derived for one loss. ``field`` is None if the budget ran out."""

    loss: Loss
    field: GradientField | None
    equivalent_forms: tuple[EquivalentForm, ...]
    confirmations: tuple[Confirmation, ...]
    float64: tuple[Float64Finding, ...]
    verdicts: tuple[Verdict, ...]
    incomplete: str = ""
    seconds: float = 0.0
    params: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    #: None for the paper's frame; else the field is M grad L = -dx/dt in this frame.
    parametrization: Parametrization | None = None
    #: the probability-frame field (grad L itself) when ``field`` is another frame's.
    probability_field: GradientField | None = None

    @property
    def frame(self) -> str:
        return "probability" if self.parametrization is None else self.parametrization.name

    @property
    def variant(self) -> str:
        return self.loss.name

    @property
    def confirmed(self) -> bool:
        """Every high-precision confirmation reached REQUIRED_DIGITS, and there was one."""
        return bool(self.confirmations) and all(c.passed for c in self.confirmations)

    @property
    def failures(self) -> tuple[str, ...]:
        """Checks that must hold for the derivation to be trusted, and did not."""
        out = []
        if self.incomplete:
            out.append(f"derivation incomplete: {self.incomplete}")
        for c in self.confirmations:
            if not c.passed:
                out.append(f"{c.quantity} at {dict(c.point)}: symbolic {c.symbolic} vs "
                           f"numerical {c.numerical} agree to {c.digits} digits only")
        for form in self.equivalent_forms:
            if form.same is False:
                out.append(f"equivalent form from {form.source} differs: {form.argument}")
        return tuple(out)

    def verdict(self, name: str) -> Verdict:
        for v in self.verdicts:
            if v.claim == name:
                return v
        raise KeyError(name)

    # -- printers -------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """One JSON-ready dict; expressions are sympy strings that sympify reads back."""
        from .printers.text import analysis_json

        return analysis_json(self)

    def summary(self) -> str:
        from .printers.text import analysis_text

        return analysis_text(self)

    def _repr_latex_(self) -> str:
        from .printers.text import analysis_latex

        return analysis_latex(self)

def analyze(variant: str | Loss, params: Mapping[str, object] | None = None,
            budget: float | None = DEFAULT_BUDGET_SECONDS,
            confirm: bool = True,
            parametrization: str | Parametrization | None = None) -> Analysis:
    """Derive grad L, R = |dL/dx2|/|dL/dx1|, its regions and field quantities, and check them.

    ``variant`` is a catalogue name (or TRL loss_type) or a ``Loss``; ``params`` fixes
    constants to exact values (validated against their domains). ``budget`` bounds the
    symbolic derivation in seconds: past it the result is returned incomplete, with
    every verdict unknown, rather than hanging.

    ``parametrization`` (``"log"``, ``"softmax"``, ``"softmax:K"``, a user map, or a
    Parametrization) analyses the velocity the loss induces in that frame instead:
    the field is M grad L = -dx/dt, its ratio the speed ratio |dx2/dt| / |dx1/dt|,
    and the built-in claims are checked there (see ``dpo_proofs.induced``).
    """
    start = time.monotonic()
    loss = get_variant(variant) if isinstance(variant, str) else variant
    frame = None if parametrization is None else get_parametrization(parametrization)
    if frame is not None and frame.name == "probability":
        frame = None
    shown = tuple((k, str(v)) for k, v in sorted((params or {}).items()))
    if params:
        loss = loss.with_parameters(params)
    claims = builtin_claims() if frame is None else frame_claims(builtin_claims(), frame)
    try:
        with time_budget(budget, f"deriving the gradient field of {loss.name}"):
            field_ = cached_field(loss, frame)
            base = field_ if frame is None else cached_field(loss)
    except DerivationTimeout as error:
        unknown = tuple(Verdict(c.name, Status.UNKNOWN, "none", str(error))
                        for c in claims)
        return Analysis(loss, None, (), (), (), unknown, str(error),
                        time.monotonic() - start, shown, frame)
    forms = []
    for source, expr in loss.equivalent_forms:
        try:
            with time_budget(budget, f"comparing with the form of {source}"):
                same, argument = prove_equal(loss.expr, expr)
        except DerivationTimeout as error:
            same, argument = None, str(error)
        forms.append(EquivalentForm(source, expr, same, argument))
    confirmations: tuple[Confirmation, ...] = ()
    findings: tuple[Float64Finding, ...] = ()
    if confirm and frame is None:
        confirmations = confirm_partials(loss, field_.d_x1.closed_form, field_.d_x2.closed_form)
        quantities = {"d_x1": field_.d_x1.closed_form, "d_x2": field_.d_x2.closed_form,
                      "ratio - 1": field_.ratio - 1}
        findings = float64_findings(loss, quantities)
    elif confirm:
        # The frame's field against mpmath derivatives of L(x(theta)) and x(theta);
        # the float64 findings of the loss's partials belong to the probability frame.
        confirmations = confirm_velocity(loss, frame, field_.d_x1.closed_form,
                                         field_.d_x2.closed_form)
    verdicts = tuple(check(c, loss, budget=budget, field=field_) for c in claims)
    return Analysis(loss, field_, tuple(forms), confirmations, findings, verdicts, "",
                    time.monotonic() - start, shown, frame, None if frame is None else base)


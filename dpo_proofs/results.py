"""The pipeline's results, as frozen values: Analysis, Dynamics (and their parts).

They hold what the pipeline derived and checked; they derive nothing. Their printing
methods (``to_json``, ``summary``, ``_repr_latex_``) look the printer up in PRINTERS,
which ``dpo_proofs.printers`` fills when it is imported (as ``import dpo_proofs`` does):
the results stage never imports a printer.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from .field.frames import Parametrization
from .field.gradient import RATIO_MINUS_ONE, GradientField
from .field.limit_point import LimitPoint
from .field.steps import MarginForm, PartialDerivation
from .loss.loss import Loss
from .numerics.confirm import Confirmation, Float64Finding
from .numerics.equilibria import Equilibria
from .numerics.odes import CONSERVED_DIGITS, OrbitCheck, StepCheck
from .verdicts.second_order import SecondOrder
from .field.gram import GramDynamics
from .verdicts.values import Claim, Verdict

__all__ = ["Analysis", "EquivalentForm", "Dynamics", "Derivation", "PRINTERS"]

#: kind ('json', 'text', 'latex', 'markdown') -> printer of an Analysis, and
#: 'derivation_markdown' of a Derivation; filled by dpo_proofs.printers
PRINTERS: dict[str, Callable[[Any], Any]] = {}


def _printer(kind: str) -> Callable[[Any], Any]:
    try:
        return PRINTERS[kind]
    except KeyError:
        raise RuntimeError(f"no {kind} printer registered: import dpo_proofs") from None


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
    #: (name, exact region) pairs, restricted to the frame: ratio_gt_1, ratio_eq_1,
    #: ratio_lt_1, x1_not_pushed_up, x2_not_pushed_down (see pipeline.regions_of)
    regions: tuple[tuple[str, sp.Basic], ...] = ()
    #: the claims the verdicts decide, in the same order
    claims: tuple[Claim, ...] = ()
    #: the stationary set and flow ends of the paper's flow (probability frame only)
    equilibria: Equilibria | None = None
    #: the Hessian in the frame's coordinates and its sign facts (the full analysis only)
    second_order: SecondOrder | None = None
    #: the dynamics of log x1, log x2 for any model (Gram frame; the full analysis only)
    gram: GramDynamics | None = None

    def region(self, name: str) -> sp.Basic | None:
        """The exact region ``name`` (None when the derivation did not complete)."""
        return dict(self.regions).get(name)

    def claim(self, name: str) -> Claim | None:
        return next((c for c in self.claims if c.name == name), None)

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
                where = ", ".join(f"{k} = {v}" for k, v in c.point)
                out.append(f"{c.quantity} at {where}: symbolic {c.symbolic} vs "
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
        return _printer("json")(self)

    def summary(self, unicode: bool = True) -> str:
        """The analysis as text for people: expressions with ^ for powers and, with
        ``unicode`` (the default; pass False for plain ASCII), Greek letters, · and ≤ ≥."""
        return _printer("text")(self, unicode)

    def _repr_latex_(self) -> str:
        return _printer("latex")(self)

    def _repr_markdown_(self) -> str:
        """What a notebook shows: title, constants, the closed forms and the verdicts."""
        return _printer("markdown")(self)

    def __repr__(self) -> str:
        counts = {}
        for v in self.verdicts:
            counts[str(v.status)] = counts.get(str(v.status), 0) + 1
        ratio = "incomplete" if self.field is None else f"R = {sp.sstr(self.field.ratio)}"
        ratio = ratio if len(ratio) <= 60 else ratio[:57] + "..."
        frame = f" in {self.parametrization.name}" if self.parametrization else ""
        return (f"<Analysis {self.loss.name}{frame}: {ratio}; "
                + ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
                + " (.summary() for the text, .to_json() for everything)>")


@dataclass(frozen=True)
class Dynamics:
    """Closed forms of the flow in one frame and their numerical checks."""

    variant: str
    frame: str
    values: tuple[tuple[str, str], ...]
    conserved: sp.Expr | None
    conserved_reason: str
    orbit: sp.Expr | None  # x2 as a function of x1 on the orbit through (x1_0, x2_0)
    limit: LimitPoint
    checks: tuple[OrbitCheck, ...]
    first_order: tuple[sp.Expr, sp.Expr]  # dx per unit eta: -M grad L
    second_order: tuple[sp.Expr, sp.Expr] | None  # c2 with dx = eta*first + eta^2/2*c2 + ...
    step_point: tuple[str, str]
    step_checks: tuple[StepCheck, ...]

    def __repr__(self) -> str:
        final = f"x1 -> {sp.sstr(self.limit.final_x1)}, x2 -> {sp.sstr(self.limit.final_x2)}"
        return (f"<Dynamics {self.variant} in {self.frame}: {self.limit.case}; {final}; "
                f"checks {'passed' if self.passed else 'FAILED'}>")

    def _repr_markdown_(self) -> str:
        lines = [f"**Gradient flow of {self.variant} in the {self.frame} frame**", ""]
        if self.conserved is not None:
            lines.append(f"Conserved: ${sp.latex(self.conserved)}$")
        else:
            lines.append(f"Conserved quantity: none derived ({self.conserved_reason})")
        if self.orbit is not None:
            lines.append(f"\n\nOrbit: $x_2 = {sp.latex(self.orbit)}$")
        lines.append(f"\n\nLimit ({self.limit.case}): $x_1 \\to "
                     f"{sp.latex(self.limit.final_x1)}$, $x_2 \\to "
                     f"{sp.latex(self.limit.final_x2)}$. Checks against mpmath's ODE solver: "
                     f"{'passed' if self.passed else 'FAILED'}.")
        return "\n".join(lines)

    @property
    def passed(self) -> bool:
        ok = all((c.conserved_digits is None or c.conserved_digits >= CONSERVED_DIGITS)
                 and c.converges is not False for c in self.checks)
        return ok and all(s.digits >= 3 for s in self.step_checks[-1:])

    def to_json(self) -> dict:
        s = lambda e: None if e is None else sp.sstr(e)  # noqa: E731
        return {
            "variant": self.variant, "parametrization": self.frame, "values": dict(self.values),
            "conserved_quantity": s(self.conserved), "conserved_reason": self.conserved_reason,
            "orbit_x2_of_x1": s(self.orbit),
            "final_x1": s(self.limit.final_x1), "final_x2": s(self.limit.final_x2),
            "limit_case": self.limit.case, "limit_argument": self.limit.argument,
            "ode_checks": [{**c.__dict__, "converges": c.converges} for c in self.checks],
            "step_first_order": [s(e) for e in self.first_order],
            "step_second_order": None if self.second_order is None
            else [s(e) for e in self.second_order],
            "step_point": {"x1": self.step_point[0], "x2": self.step_point[1]},
            "step_checks": [c.__dict__ for c in self.step_checks],
            "passed": self.passed,
        }


@dataclass(frozen=True)
class Derivation:
    """An Analysis together with the derivation steps of its two partials."""

    analysis: Analysis
    margin_form: MarginForm | None
    partials: tuple[PartialDerivation, ...]
    #: The induced field in each other built-in parametrization: (frame, field or None,
    #: why not, the regions R_M > 1 and R_M = 1 on the frame) -- the symbolic part.
    frames: tuple = ()
    #: Closed-form gradient-flow dynamics (conserved quantity, limit point) per frame,
    #: the probability frame first.
    flows: tuple = ()
    #: The Hessian and local convexity (SecondOrder) per frame, the probability frame first.
    second_order: tuple = ()
    #: The built-in claims decided in each frame: (frame name, its Verdicts), the
    #: probability frame first (what `frames VARIANT` prints).
    frame_verdicts: tuple = ()

    @property
    def loss(self) -> Loss:
        return self.analysis.loss

    @property
    def ratio_from_signs(self) -> bool:
        """True when R - 1 is what was factored (the partials, or their quotient, have a
        fixed sign, so R = +-(dL/dx2)/(dL/dx1)); the field's ``ratio_excess_of`` says which
        quantity was factored otherwise (see field.gradient.ratio_of)."""
        f = self.analysis.field
        return bool(f is not None and f.ratio_excess_of == RATIO_MINUS_ONE)

    def __repr__(self) -> str:
        frames = f"; claims in {len(self.frame_verdicts)} frames" if self.frame_verdicts else ""
        return (f"<Derivation {self.loss.name}: {len(self.partials)} partials derived step "
                f"by step{frames} (.analysis for the rest)>")

    def _repr_markdown_(self) -> str:
        """The analysis as a notebook shows it, then the built-in claims frame by frame."""
        return _printer("derivation_markdown")(self)

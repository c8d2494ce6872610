"""The loss type: a per-pair loss L(x1, x2) with its constants and provenance."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import sympy as sp

from ..errors import InvalidArgument, NotALoss
from .functions import to_elementary
from .symbols import BETA, PROBABILITIES, R_L, R_W, Parameter, x1, x2

__all__ = ["Loss", "STANDARD_PARAMETERS", "margin"]

#: The constants every loss may use: beta and the two reference probabilities.
STANDARD_PARAMETERS: tuple[Parameter, ...] = (BETA, R_W, R_L)


def margin() -> sp.Expr:
    """h = beta*log(x1/r_w) - beta*log(x2/r_l), DPO's implicit reward margin."""
    return BETA.symbol * sp.log(x1 / R_W.symbol) - BETA.symbol * sp.log(x2 / R_L.symbol)


@dataclass(frozen=True)
class Loss:
    """A per-pair preference loss L(x1, x2; constants).

    ``expr`` is the definition as published, written with the building blocks of
    ``dpo_proofs.functions``; ``parameters`` lists every constant it uses besides
    x1 and x2 (beta and the references included when they occur).
    """

    name: str
    expr: sp.Expr
    parameters: tuple[Parameter, ...] = STANDARD_PARAMETERS
    title: str = ""
    citation: str = ""
    trl_name: str | None = None
    reading: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: Other published ways of writing the same loss: (where it is from, expression).
    #: The package proves each equal to ``expr``; it never assumes it.
    equivalent_forms: tuple[tuple[str, sp.Expr], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        free = self.expr.free_symbols
        if not free & set(PROBABILITIES):
            raise NotALoss(f"{self.name}: the expression does not depend on x1 or x2")
        known = set(PROBABILITIES) | {p.symbol for p in self.parameters}
        unknown = sorted(s.name for s in free - known)
        if unknown:
            raise NotALoss(f"{self.name}: undeclared symbols {', '.join(unknown)}")
        names = [p.name for p in self.parameters]
        if len(set(names)) != len(names):
            raise InvalidArgument(f"{self.name}: a parameter is declared twice")

    def __repr__(self) -> str:
        consts = ", ".join(f"{p.name}={sp.sstr(p.default)}" for p in self.parameters)
        expr = sp.sstr(self.expr)
        expr = expr if len(expr) <= 80 else expr[:77] + "..."
        return f"<Loss {self.name}: L = {expr}" + (f"; {consts}" if consts else "") + ">"

    def _repr_markdown_(self) -> str:
        consts = ", ".join(f"${sp.latex(p.symbol)} \\in {sp.latex(p.domain)}$ (default "
                           f"${sp.latex(p.default)}$)" for p in self.parameters)
        title = f"**{self.name}**" + (f": {self.title}" if self.title else "") + \
            (f" ({self.citation})" if self.citation else "")
        return (f"{title}\n\n$$L(x_1, x_2) = {sp.latex(self.expr)}$$\n\n"
                + (f"Constants: {consts}.\n\n" if consts else "")
                + (f"Reading: {self.reading}" if self.reading else ""))

    @property
    def elementary(self) -> sp.Expr:
        """The definition with sigmoid / log_sigmoid / softplus written out in exp, log."""
        return to_elementary(self.expr)

    @property
    def used_parameters(self) -> tuple[Parameter, ...]:
        free = self.expr.free_symbols
        return tuple(p for p in self.parameters if p.symbol in free)

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise InvalidArgument(
            f"{self.name} has no parameter {name!r} "
            f"(it has: {', '.join(p.name for p in self.parameters)})")

    def defaults(self) -> dict[sp.Symbol, sp.Expr]:
        return {p.symbol: p.default for p in self.parameters}

    def bind(self, values: Mapping[str, object]) -> dict[sp.Symbol, sp.Expr]:
        """Validate ``name -> value`` against the parameters' domains."""
        return {self.parameter(name).symbol: self.parameter(name).validate(value)
                for name, value in values.items()}

    def with_parameters(self, values: Mapping[str, object]) -> "Loss":
        """The same loss with some constants fixed to exact values."""
        bound = self.bind(values)
        return Loss(self.name, self.expr.subs(bound),
                    tuple(p for p in self.parameters if p.symbol not in bound),
                    self.title, self.citation, self.trl_name, self.reading, self.notes,
                    tuple((src, e.subs(bound)) for src, e in self.equivalent_forms))

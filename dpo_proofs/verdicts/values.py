"""Claims about a loss's gradient field, and the verdicts on them, as values.

A claim is a relation between the derived quantities (``loss``, ``d_x1``, ``d_x2``,
``ratio``) and the standard symbols, on a domain of (x1, x2). A verdict is proved
(with a symbolic argument or a certificate), refuted (with a counterexample
confirmed at high precision) or unknown (with the reason): never proved on sampling.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from ..loss.symbols import (D_X1, D_X2, HESS_DET, HESS_TRACE, LOSS, QUANTITY_SYMBOLS,
                             RATIO, x1, x2)
from ..phrases import Phrase

__all__ = ["Status", "Verdict", "Claim", "QUANTITY_SYMBOLS", "LOSS", "D_X1", "D_X2",
           "RATIO", "builtin_claims", "frame_claims", "ratio_at_most", "gradient_bounded",
           "hessian_claims"]



class Status(enum.IntEnum):
    """Ordered so that min() over verdicts gives the weakest: refuted < unknown < proved."""

    REFUTED = 0
    UNKNOWN = 1
    PROVED = 2

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Claim:
    """``statement`` holds at every point of ``domain`` (a relation in x1, x2)."""

    name: str
    statement: sp.Basic
    domain: sp.Basic = sp.true
    description: str = ""
    #: conditions under which the statement's text is defined (nonzero denominators,
    #: positive log arguments); a claim undefined somewhere on its domain is ill-posed.
    requires: tuple = ()

    def __str__(self) -> str:
        where = "" if self.domain is sp.true else f" on {{{sp.sstr(self.domain)}}}"
        return f"{sp.sstr(self.statement)}{where}"


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking one claim: status, deciding method and evidence."""

    claim: str
    status: Status
    method: str
    evidence: str
    counterexample: dict[str, str] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    #: the certificate the proof kernel re-checked (proved verdicts only)
    proof: Any = field(default=None, compare=False, repr=False)

    def __repr__(self) -> str:
        where = f" at {self.counterexample}" if self.counterexample else ""
        return f"<Verdict {self.claim}: {self.status} ({self.method}){where}>"

    def _repr_markdown_(self) -> str:
        # the evidence's mathematics in $...$ (a Phrase keeps it); a long one cut
        parts = self.evidence.parts if isinstance(self.evidence, Phrase) else (self.evidence,)
        text = "".join(p if isinstance(p, str) else f"${sp.latex(p)}$" for p in parts)
        text = text if len(text) <= 600 else text[:597] + "..."
        point = (" at " + ", ".join(f"{k} = {v}" for k, v in self.counterexample.items())
                 if self.counterexample else "")
        return f"**{self.claim}**: {self.status} ({self.method}){point}. {text}"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"claim": self.claim, "status": str(self.status),
                               "method": self.method, "evidence": self.evidence}
        if self.counterexample is not None:
            out["counterexample"] = dict(self.counterexample)
        if self.details:
            out["details"] = self.details
        return out


def builtin_claims() -> tuple[Claim, ...]:
    """The claims every variant is checked against (the paper's, and its premises)."""
    return (
        Claim("x1_increases", sp.StrictLessThan(D_X1, 0), sp.true,
              "gradient descent always raises the preferred probability (dL/dx1 < 0)"),
        Claim("x2_decreases", sp.StrictGreaterThan(D_X2, 0), sp.true,
              "gradient descent always lowers the dispreferred probability (dL/dx2 > 0)"),
        Claim("dispreferred_faster", sp.StrictGreaterThan(RATIO, 1),
              sp.StrictGreaterThan(x1, x2),
              "Feng et al.: x2 falls faster than x1 rises where x1 > x2 (R > 1)"),
        Claim("ratio_one_on_diagonal", sp.Eq(RATIO, 1), sp.Eq(x1, x2),
              "R = 1 on the diagonal x1 = x2"),
        Claim("ratio_lt_1_below_diagonal", sp.StrictLessThan(RATIO, 1),
              sp.StrictLessThan(x1, x2), "R < 1 where x1 < x2"),
        Claim("conserves_x1_sq_plus_x2_sq", sp.Eq(x1 * D_X1 + x2 * D_X2, 0), sp.true,
              "gradient flow conserves x1^2 + x2^2 (grad(x1^2+x2^2) . grad L = 0)"),
    )


def hessian_claims() -> tuple[Claim, ...]:
    """Second-order claims about H, the Hessian of L in a frame's coordinates (2x2,
    symmetric): positive semidefinite exactly where det H >= 0 and tr H >= 0, indefinite
    (a saddle) where det H < 0."""
    return (
        Claim("hessian_indefinite", sp.StrictLessThan(HESS_DET, 0), sp.true,
              "det H < 0: H is indefinite at every point, so L is nowhere locally convex"),
        Claim("hessian_det_nonnegative", sp.GreaterThan(HESS_DET, 0), sp.true,
              "det H >= 0 everywhere"),
        Claim("hessian_trace_nonnegative", sp.GreaterThan(HESS_TRACE, 0), sp.true,
              "tr H >= 0 everywhere"),
        Claim("hessian_singular", sp.Eq(HESS_DET, 0), sp.true,
              "det H = 0: H has rank at most 1 everywhere"),
        Claim("hessian_trace_positive", sp.StrictGreaterThan(HESS_TRACE, 0), sp.true,
              "tr H > 0 everywhere"),
    )


def ratio_at_most(c: object, domain: sp.Basic = sp.true) -> Claim:
    """R <= c on ``domain``: x2 falls at most c times faster than x1 rises."""
    bound = sp.Rational(str(c)) if not isinstance(c, sp.Basic) else c
    return Claim(f"ratio_at_most_{sp.sstr(bound)}", sp.LessThan(RATIO, bound), domain,
                 f"R <= {sp.sstr(bound)}")


def gradient_bounded(bound: object, box: tuple[tuple[object, object], tuple[object, object]]
                     ) -> Claim:
    """|grad L|^2 = d_x1^2 + d_x2^2 <= bound^2 on the box [a1, b1] x [a2, b2]."""
    b = sp.Rational(str(bound)) if not isinstance(bound, sp.Basic) else bound
    (a1, b1), (a2, b2) = [(sp.Rational(str(lo)), sp.Rational(str(hi))) for lo, hi in box]
    domain = sp.And(x1 >= a1, x1 <= b1, x2 >= a2, x2 <= b2)
    return Claim(f"gradient_bounded_{sp.sstr(b)}", sp.LessThan(D_X1**2 + D_X2**2, b**2),
                 domain, f"|grad L| <= {sp.sstr(b)} on [{a1}, {b1}] x [{a2}, {b2}]")


def frame_claims(claims: "tuple[Claim, ...]", frame) -> tuple[Claim, ...]:
    """The claims with their domains intersected with the frame's (and with the relation
    its own constants satisfy: c**2 <= a*b in the Gram frame)."""
    extra = sp.And(frame.domain, getattr(frame, "constraint", sp.true))
    if extra is sp.true:
        return tuple(claims)
    return tuple(Claim(c.name, c.statement, sp.And(c.domain, extra), c.description)
                 for c in claims)

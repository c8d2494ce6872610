"""The class theorem for margin losses, proved symbolically for an arbitrary l.

For L(x1, x2) = l(h), h = beta*log(x1/r_w) - beta*log(x2/r_l), with l an *undefined*
sympy Function: dL/dx1 = l'(h)*beta/x1, dL/dx2 = -l'(h)*beta/x2, so wherever
l'(h) != 0, R = |dL/dx2|/|dL/dx1| = x1/x2, and x1*dL/dx1 + x2*dL/dx2 = 0, i.e.
gradient flow conserves x1^2 + x2^2. Whether a variant is a margin loss is decided by
computation: its radial component x1*dL/dx1 + x2*dL/dx2 is identically 0.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..loss.loss import Loss, margin
from ..loss.symbols import x1, x2
from .in_frame import field_of

__all__ = ["ClassTheorem", "margin_loss_theorem", "is_margin_loss"]


@dataclass(frozen=True)
class ClassTheorem:
    """The statement, the derived expressions and whether each step reduced to 0."""

    statement: str
    d_x1: sp.Expr
    d_x2: sp.Expr
    d_x1_factor: sp.Expr  # dL/dx1 / l'(h)
    d_x2_factor: sp.Expr  # dL/dx2 / l'(h)
    ratio_identity: sp.Expr  # |dL/dx2| - (x1/x2)|dL/dx1|, written without |.|
    radial: sp.Expr  # x1*dL/dx1 + x2*dL/dx2
    flow_derivative: sp.Expr  # d/dt (x1^2 + x2^2) along dx/dt = -grad L
    proved: bool
    steps: tuple[str, ...]


def margin_loss_theorem() -> ClassTheorem:
    """Prove R = x1/x2 (where l'(h) != 0) and conservation of x1^2 + x2^2 for L = l(h)."""
    l = sp.Function("l")
    h = margin()
    L = l(h)
    a, b = sp.diff(L, x1), sp.diff(L, x2)
    # Both partials are l'(h) times a factor free of l: name l'(h) by a symbol and
    # read the factors off exactly (sympy writes l'(h) as a Subs of a Derivative).
    dl = sp.Dummy("dl", real=True, nonzero=True)

    def factor(expr: sp.Expr) -> sp.Expr:
        atoms = expr.atoms(sp.Subs) or expr.atoms(sp.Derivative)
        if len(atoms) != 1:
            raise AssertionError(f"expected one l'(h) in {expr}")
        out = sp.simplify(expr.xreplace({atoms.pop(): dl}) / dl)
        if out.has(l) or out.has(dl):
            raise AssertionError(f"{expr} is not l'(h) times a factor free of l")
        return out

    fa, fb = factor(a), factor(b)
    steps = [f"dL/dx1 = l'(h) * {sp.sstr(fa)}", f"dL/dx2 = l'(h) * {sp.sstr(fb)}"]
    # |dL/dx2| / |dL/dx1| = |fb| / |fa| where l'(h) != 0; fa > 0 > fb on the domain.
    signs_ok = bool(fa.is_positive) and bool(fb.is_negative)
    steps.append(f"on the domain {sp.sstr(fa)} > 0 and {sp.sstr(fb)} < 0: "
                 f"{'decided by sympy' if signs_ok else 'NOT decided'}")
    ratio_identity = sp.simplify(-fb - (x1 / x2) * fa)
    steps.append(f"|dL/dx2| - (x1/x2)|dL/dx1| = |l'(h)| * ({sp.sstr(ratio_identity)})")
    radial = sp.simplify(x1 * a + x2 * b)
    steps.append(f"x1*dL/dx1 + x2*dL/dx2 = {sp.sstr(radial)}")
    flow = sp.simplify(2 * x1 * (-a) + 2 * x2 * (-b))
    steps.append(f"d/dt (x1^2 + x2^2) = -2(x1*dL/dx1 + x2*dL/dx2) = {sp.sstr(flow)}")
    proved = signs_ok and ratio_identity == 0 and radial == 0 and flow == 0
    return ClassTheorem(
        "For every differentiable l and L = l(beta*log(x1/r_w) - beta*log(x2/r_l)): "
        "R = |dL/dx2|/|dL/dx1| = x1/x2 wherever l'(h) != 0, and gradient flow "
        "conserves x1^2 + x2^2.",
        a, b, fa, fb, ratio_identity, radial, flow, proved, tuple(steps))


def is_margin_loss(loss: Loss) -> tuple[bool, str]:
    """Decide by computation whether L depends on (x1, x2) only through x1/x2.

    Its radial component x1*dL/dx1 + x2*dL/dx2 (Euler's operator) is identically 0
    iff L is constant along rays (t*x1, t*x2); then the theorem applies to it.
    """


    f = field_of(loss)
    radial = f.radial
    if radial == 0:
        return True, "x1*dL/dx1 + x2*dL/dx2 reduces to 0 identically"
    return False, f"x1*dL/dx1 + x2*dL/dx2 = {sp.sstr(radial)} is not identically 0"

"""Where a loss has no derivative: the seams of its pieces, of a max or min, of |.|, a step
or a sign. The search refutes no claim at such a point (the piecewise form's value there
is a convention of the formula), and the confirmations compare no derivative there.
"""
from __future__ import annotations

import itertools
from collections.abc import Mapping

import sympy as sp

from .certify import certified_sign

__all__ = ["on_a_seam"]


def on_a_seam(expr: sp.Basic, point: Mapping) -> bool:
    """True if ``point`` lies where a piece of ``expr`` meets another (or it cannot tell).

    There the loss has a kink (DPOP at x1 = r_w, a hinge at its margin): the derivative
    does not exist and the piecewise form's value is only a convention of the formula,
    so no refutation may rest on it. Each condition's two sides must be certified
    different at the point.
    """
    # each seam as the difference that vanishes on it (an sp.Eq could evaluate to False)
    seams = [r.lhs - r.rhs for pw in expr.atoms(sp.Piecewise) for _, cond in pw.args
             if cond not in (sp.true, sp.false)
             for r in cond.atoms(sp.core.relational.Relational)]
    for kind in (sp.Max, sp.Min):
        for m in expr.atoms(kind):
            seams += [a - b for a, b in itertools.combinations(m.args, 2)]
    seams += [a.args[0] for a in expr.atoms(sp.Abs, sp.Heaviside, sp.sign)]
    for difference in seams:
        cert = certified_sign(difference, point)
        if cert is None or cert.sign == 0:
            return True
    return False

"""A conserved quantity of gradient flow: I(x1, x2) with grad I . field = 0.

The orbit equation dx2/dx1 = field_2/field_1 is separated and integrated when it
separates; otherwise a Darboux ansatz I = prod f_i**a_i over the field's factors gives a
linear system for the a_i. Every candidate is checked: grad I . field reduces to 0
exactly (for a piecewise I, branch by branch with each branch's condition substituted).
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..loss.symbols import x1, x2
from ..phrases import Phrase, join
from .canonical import canonical, disjoint_pieces
from .signs import bounded

__all__ = ["ConservedQuantity", "conserved_quantity", "flow_check", "gradient_of"]


@dataclass(frozen=True)
class ConservedQuantity:
    """I(x1, x2) constant along gradient flow, with how it was found and checked."""

    expr: sp.Expr
    derivation: str
    check: sp.Expr  # grad I . grad L in canonical form: 0 when I is conserved
    #: (dI/dx1, dI/dx2) in canonical form, derived with I (the documents print it)
    gradient: tuple = ()

    def __post_init__(self) -> None:
        if not self.gradient:
            object.__setattr__(self, "gradient", gradient_of(self.expr))


def gradient_of(I: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """grad I in canonical form."""
    return canonical(sp.diff(I, x1)), canonical(sp.diff(I, x2))


def conserved_quantity(d_x1: sp.Expr, d_x2: sp.Expr) -> tuple[ConservedQuantity | None, str]:
    """A first integral of dx/dt = -grad L, when the orbit equation separates.

    Orbits satisfy dx2/dx1 = (dL/dx2)/(dL/dx1). If that slope is c*f(x1)*g(x2), then
    I = int dx2/g(x2) - c*int f(x1) dx1 is constant along them; I is then checked by
    grad I . grad L == 0 (canonical form).
    """
    if d_x1 == 0:
        return None, "dL/dx1 is identically 0: x1 does not move"
    slope = canonical(d_x2 / d_x1)
    parts = sp.separatevars(slope, symbols=[x1, x2], dict=True, force=False)
    if not parts:
        found = _darboux(slope, d_x1, d_x2)
        if found is not None:
            return found, ""
        return None, Phrase("the orbit equation dx2/dx1 = ", slope, " does not separate, "
                            "and no product of powers of its polynomial factors is conserved")
    c = parts["coeff"]
    f = parts.get(x1, sp.S.One)
    g = parts.get(x2, sp.S.One)
    # Rule-based integration first (sympy's manualintegrate: ~0.5 s where the heuristic
    # Risch route takes 10 s on apo_zero and kto_pair), the general route only when it
    # leaves an integral or its candidate fails the check. Either candidate is accepted
    # only through flow_check. No Meijer-G route: on some frames (nca_pair, softmax) it
    # runs for minutes and the result would then depend on the time budget.
    for options in ({"manual": True}, {"meijerg": False}):
        integral = sp.integrate(1 / g, x2, **options) - c * sp.integrate(f, x1, **options)
        if integral.has(sp.Integral):
            reason = "the separated orbit equation has no closed-form integral"
            continue
        integral = _real_logs(sp.factor_terms(sp.expand(integral)))
        coeff, rest = integral.as_coeff_Mul()
        if rest.free_symbols & {x1, x2}:
            integral = rest  # a constant factor does not change a level set
        check = flow_check(integral, d_x1, d_x2)
        if check == 0:
            break
        reason = Phrase("candidate ", integral, " fails grad I . grad L = 0: ", check)
    else:
        return None, reason
    derivation = Phrase("orbits solve dx2/dx1 = dL/dx2 / dL/dx1 = ", slope, ", which "
                        "separates; integrating gives I = ", integral,
                        ", and grad I . grad L = 0 exactly")
    return ConservedQuantity(integral, derivation, check), ""


def flow_check(I: sp.Expr, d_x1: sp.Expr, d_x2: sp.Expr) -> sp.Expr:
    """grad I . grad L in canonical form, piece by piece: 0 when I is conserved.

    An antiderivative such as int x**(1 - beta) dx comes back as
    Piecewise((x**(2 - beta)/(2 - beta), Ne(beta, 2)), (log(x), True)): the second piece
    holds only at beta = 2, so it is checked with beta = 2 substituted (the equalities its
    condition imposes on the constants), not with beta left free, where it is not
    conserved and a valid I would be rejected. The pieces' conditions are made disjoint
    first (piece i holds where no earlier one does).
    """
    expr = sp.piecewise_fold(sp.diff(I, x1) * d_x1 + sp.diff(I, x2) * d_x2)
    if not isinstance(expr, sp.Piecewise):
        return canonical(expr)
    branches = []
    for e, cond in disjoint_pieces(expr):
        values = _equalities(cond)
        branches.append((canonical(e.subs(values)) if values else canonical(e), cond))
    if all(e == 0 for e, _ in branches):
        return sp.S.Zero
    return sp.Piecewise(*[(e, c if i < len(branches) - 1 else True)
                          for i, (e, c) in enumerate(branches)])


def _equalities(cond: sp.Basic) -> dict:
    """{constant: value} forced by ``cond`` when it is an equation (or a conjunction with
    equations) in one constant each, such as Eq(beta, 2); x1, x2 are never solved for."""
    atoms = cond.args if isinstance(cond, sp.And) else (cond,)
    out = {}
    for a in atoms:
        if not isinstance(a, sp.Eq):
            continue
        free = (a.lhs - a.rhs).free_symbols - {x1, x2}
        if len(free) != 1 or (a.lhs - a.rhs).free_symbols & {x1, x2}:
            continue
        (s,) = free
        solutions = sp.solve(a.lhs - a.rhs, s)
        if len(solutions) == 1:
            out[s] = solutions[0]
    return out


def _real_logs(expr: sp.Expr) -> sp.Expr:
    """log(a) -> log(-a) where a < 0 on the domain (they differ by the constant i*pi):
    antiderivatives such as log(x1 - 1) would otherwise be complex on (0, 1)."""
    swap = {}
    for term in expr.atoms(sp.log):
        arg = term.args[0]
        # -arg >= 0 on the square (zero allowed: log(1 - x1) at x1 = 1 is a boundary).
        if sp.factor(sp.together(bounded(-arg))).is_nonnegative:
            swap[term] = sp.log(-arg)
    return expr.xreplace(swap) if swap else expr


def _darboux(slope: sp.Expr, d_x1: sp.Expr, d_x2: sp.Expr) -> ConservedQuantity | None:
    """A conserved I = prod f_i**a_i over the polynomial factors f_i of the orbit equation.

    With dx2/dx1 = N/D (polynomials), I is conserved iff sum a_i (D f_i,x1 + N f_i,x2)/f_i
    vanishes identically: after clearing denominators, a linear system in the a_i
    (the Darboux method). Factors: x1, x2, 1 - x1 - x2 and those of N and D.
    """
    N, D = sp.fraction(sp.together(slope))
    if not (N.is_polynomial(x1, x2) and D.is_polynomial(x1, x2)):
        return None
    factors: list[sp.Expr] = [x1, x2, 1 - x1 - x2]
    for poly in (N, D):
        for f, _ in sp.factor_list(poly, x1, x2)[1]:
            if f.free_symbols & {x1, x2} and not any(
                    sp.expand(f - g) == 0 or sp.expand(f + g) == 0 for g in factors):
                factors.append(f)
    if len(factors) > 8:
        return None
    a = sp.symbols(f"a0:{len(factors)}", cls=sp.Dummy)  # not a user parameter a0
    total = sp.Mul(*factors)
    P = sp.expand(sum(ai * (D * sp.diff(f, x1) + N * sp.diff(f, x2)) * sp.cancel(total / f)
                      for ai, f in zip(a, factors)))
    equations = sp.Poly(P, x1, x2).coeffs()
    solutions = sp.linsolve(equations, a)
    if not solutions:
        return None
    (solution,) = solutions
    free = sorted(set().union(*[sp.sympify(v).free_symbols for v in solution]) & set(a),
                  key=str)
    if not free:
        return None  # only a = 0
    chosen = [sp.sympify(v).subs({t: (1 if i == 0 else 0) for i, t in enumerate(free)})
              for v in solution]
    if not any(chosen):
        return None
    scale = sp.ilcm(*[sp.fraction(sp.nsimplify(c))[1] for c in chosen if c != 0])
    integral = sp.Mul(*[f**(c * scale) for f, c in zip(factors, chosen) if c != 0])
    check = flow_check(integral, d_x1, d_x2)
    if check != 0:
        return None
    derivation = Phrase("the orbit equation dx2/dx1 = ", slope, " does not separate; with "
                        "I = prod f_i^a_i over the factors f_i = ", join(", ", factors),
                        ", grad I . field = 0 is a linear system in the a_i whose solution "
                        "gives I = ", integral, ", and grad I . field = 0 exactly")
    return ConservedQuantity(integral, derivation, check)

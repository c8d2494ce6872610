"""The exact parameter condition of a claim that fails for some constants only.

"Refuted at n_l = 2" is true and unhelpful; "holds exactly when n_w = n_l" is the
statement a reader wants. When, on the claim's domain (its equalities substituted),

    expr = C(constants) * P(x1, x2, constants)   with P of one fixed, nonzero sign s

(P's sign by the kernel's rule K2, on the whole square, which contains the domain; the
product re-checked by K1), the claim ``expr op 0`` holds at a point exactly when
``s*C op 0``: a condition on the constants alone. It is reported only when it is
consistent with the verdict (false at the counterexample's constants).
"""
from __future__ import annotations

import sympy as sp

from ..field.canonical import canonical, factorable
from ..loss.symbols import x1, x2
from ..phrases import Phrase, join
from .kernel_signs import sign_set
from .problem import Problem, constant_domains
from .symbolic import tie_slacks

__all__ = ["parameter_condition", "condition_text"]

_OPS = {">": sp.StrictGreaterThan, ">=": sp.GreaterThan, "=": sp.Eq, "!=": sp.Ne}


def _readable(factor: sp.Expr, op: str) -> sp.Basic:
    """``factor op 0`` with the negative terms moved right: n_w - n_l = 0 as n_w = n_l."""
    terms = sp.Add.make_args(sp.expand(factor))
    left = sp.Add(*[t for t in terms if not t.could_extract_minus_sign()])
    right = sp.Add(*[-t for t in terms if t.could_extract_minus_sign()])
    return _OPS[op](left, right, evaluate=False)


def parameter_condition(problem: Problem) -> tuple[sp.Basic, str] | None:
    """(condition on the constants, argument), or None when the claim does not separate."""
    if problem.op not in _OPS:
        return None
    slacks = tie_slacks(problem.domain)
    if slacks is None:
        return None
    expr = problem.expr
    for sl in slacks:
        expr = expr.subs(sl.variable, sl.value)
    expr = canonical(expr)
    if expr.has(sp.Piecewise) or not expr.free_symbols - {x1, x2}:
        return None
    coeff, rest = expr.as_coeff_Mul()
    const = [f for f in sp.Mul.make_args(rest) if not f.free_symbols & {x1, x2}]
    varying = [f for f in sp.Mul.make_args(rest) if f.free_symbols & {x1, x2}]
    if not const:
        return None
    domains = constant_domains(problem)
    P = sp.Mul(*varying)
    signs = sign_set(P, domains)
    if signs not in ({1}, {-1}):
        return None
    s = next(iter(signs))
    C = coeff * sp.Mul(*const)
    if canonical(expr - C * P) != 0:   # K1: the split is the expression
        return None
    C = canonical(s * C)
    numerator, denominator = sp.fraction(sp.factor(C) if factorable(C) else C)
    if sign_set(denominator, domains) != {1}:
        return None
    # the sign of the numerator decides: drop its factors of fixed sign, keep the rest
    kept, flip = [], 1
    for f in sp.Mul.make_args(numerator):
        fs = sign_set(f, domains)
        if fs == {1}:
            continue
        if fs == {-1}:
            flip = -flip
            continue
        kept.append(f)
    if not kept:
        return None   # C has a fixed sign: the claim is decided by the provers, not here
    if problem.op in ("=", "!=") and len(kept) > 1:
        condition = (sp.Or if problem.op == "=" else sp.And)(
            *[_readable(f, problem.op) for f in kept])
    elif len(kept) == 1 and kept[0].is_Add:
        condition = _readable(flip * kept[0], problem.op)
    else:
        condition = _OPS[problem.op](flip * sp.Mul(*kept), 0)
    lhs = problem.form
    if P == 1:
        argument = Phrase("on the domain ", lhs, " = ", C,
                          ", a function of the constants alone")
    else:
        argument = Phrase("on the domain ", lhs, " = C*P with C = ", C,
                          " (the constants alone) and P = ", P,
                          f" {'> 0' if s > 0 else '< 0'} by the assumptions (the sign and "
                          "the product re-checked by the kernel's rules)")
    return condition, argument


def condition_text(condition: sp.Basic) -> Phrase:
    """A condition as a reader writes it: n_w = n_l, lam != 1, a or b."""
    if isinstance(condition, (sp.Or, sp.And)):
        word = " or " if isinstance(condition, sp.Or) else " and "
        return join(word, (condition_text(c) for c in condition.args))
    if isinstance(condition, sp.Eq):
        return Phrase(condition.lhs, " = ", condition.rhs)
    return Phrase(condition)

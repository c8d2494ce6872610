"""Canonical closed forms of expressions in the standard symbols.

The pipeline is fixed so that the same input always prints the same way:
logs of products are split (valid because every symbol is positive), exponentials of
sums of logarithms become products of powers, powers of products are split, and the
result is put over one denominator, cancelled and factored.
"""
from __future__ import annotations

import functools

import sympy as sp

from ..loss.functions import to_elementary
from ..loss.parser import MAX_DEGREE
from ..phrases import Phrase

__all__ = ["canonical", "exp_to_powers", "prove_equal", "disjoint_pieces",
           "polynomial_degree", "factorable", "MAX_POLYNOMIAL_DEGREE"]

#: The largest exponent of one generator that factor() and cancel() are given (the
#: parser's bound on a loss's degree, loss.parser.MAX_DEGREE). sympy's
#: polynomial routines write exp(82447/125000) as exp(1/125000)**82447 and x**(7/1000)
#: as (x**(1/1000))**7: a claim's threshold read from "0.659576" makes a polynomial of
#: degree 82447, whose factorisation searches primes of hundreds of thousands of bits
#: (hours, inside C calls that no time budget interrupts). A bound on a count decides
#: the same input the same way on every machine.
MAX_POLYNOMIAL_DEGREE = MAX_DEGREE


def exp_to_powers(expr: sp.Expr) -> sp.Expr:
    """exp(c1*log(a1) + ... + rest) -> a1**c1 * ... * exp(rest), term by term."""

    def convert(e: sp.Expr) -> sp.Expr:
        exponent = sp.expand(sp.expand_log(e.args[0], force=False))
        factors = []
        for term in sp.Add.make_args(exponent):
            coeff, rest = term.as_independent(sp.log, as_Add=False)
            if isinstance(rest, sp.log):
                factors.append(rest.args[0] ** coeff)
            else:
                factors.append(sp.exp(term))
        return sp.Mul(*factors)

    return expr.replace(lambda e: isinstance(e, sp.exp), convert)


def polynomial_degree(expr: sp.Basic) -> int:
    """An upper bound on the largest exponent of any generator sympy's polynomial
    routines (together, cancel, factor) would see in ``expr``, found without expanding:
    sums take the max, products the sum; b**(p/q) is (b**(1/q))**p, so it counts |p|
    (times b's degree when q = 1); exp(c*u + ...) is a product of exp(u/q)**p for each
    term's rational coefficient c = p/q; any other function is one generator, and its
    arguments are bounded on their own (factor() recurses into them)."""
    if expr.is_Atom:
        return 1 if expr.is_Symbol else 0
    if expr.is_Add:
        return max(polynomial_degree(a) for a in expr.args)
    if expr.is_Mul:
        return sum(polynomial_degree(a) for a in expr.args)
    if expr.is_Pow:
        base, exponent = expr.args
        inner = polynomial_degree(base)
        if exponent.is_Rational:
            if exponent.q == 1:
                return inner * abs(exponent.p)
            return max(inner, abs(exponent.p))
        return max(inner, polynomial_degree(exponent), 1)
    if isinstance(expr, sp.exp):
        (argument,) = expr.args
        step = sum(abs(c.p) if c.is_Rational else 1
                   for c, _ in (t.as_coeff_Mul() for t in sp.Add.make_args(argument)))
        return max(step, polynomial_degree(argument))
    return max([1, *(polynomial_degree(a) for a in expr.args)])


def factorable(expr: sp.Basic) -> bool:
    """Whether factor() and cancel() may be given ``expr`` (MAX_POLYNOMIAL_DEGREE)."""
    return polynomial_degree(expr) <= MAX_POLYNOMIAL_DEGREE


def _rational_form(expr: sp.Expr) -> sp.Expr:
    expr = sp.expand_log(expr, force=False)
    expr = exp_to_powers(expr)
    expr = sp.powdenest(expr)
    expr = sp.expand_power_base(expr)
    expr = sp.expand_power_exp(expr)
    return expr


def canonical(expr: sp.Expr) -> sp.Expr:
    """The package's canonical form of ``expr`` (deterministic; no ``simplify``)."""
    return _canonical(sp.sympify(expr))


# A pure function of the expression (Dummy symbols by identity): the field, the provers
# and the kernel put the same expressions through it again and again (about half of the
# calls in a derivation repeat one before), and factor() is the costliest step there.
@functools.lru_cache(maxsize=4096)
def _canonical(expr: sp.Expr) -> sp.Expr:
    expr = to_elementary(expr)
    if expr.has(sp.Piecewise) and not isinstance(expr, sp.Piecewise):
        expr = sp.piecewise_fold(expr)
    if isinstance(expr, sp.Piecewise):
        return sp.Piecewise(*[(canonical(e), c) for e, c in expr.args])
    expr = _rational_form(expr)
    if expr.has(sp.Piecewise, sp.Max, sp.Min, sp.Heaviside, sp.Abs, sp.sign):
        # Piecewise pieces are canonicalised one by one; keep the rest together.
        return sp.piecewise_fold(expr) if expr.has(sp.Piecewise) else sp.factor_terms(expr)
    if not factorable(expr):
        return sp.factor_terms(expr)  # not cancelled: see MAX_POLYNOMIAL_DEGREE
    expr = sp.together(expr)
    expr = sp.cancel(expr)
    expr = sp.factor(expr)
    # factor() treats x**beta and x as separate generators; merge x**2*x**beta.
    return sp.powsimp(expr, combine="exp")


def prove_equal(a: sp.Expr, b: sp.Expr) -> tuple[bool | None, str]:
    """Decide a == b identically on the positive orthant; (True/False/None, argument).

    Tries canonical(a - b) == 0, then canonical(exp(a) - exp(b)) == 0 (valid for real
    a, b since exp is injective), then ``simplify``. None means undecided.
    """
    difference = canonical(a - b)
    if difference == 0:
        return True, "canonical form of the difference is 0"
    exp_difference = canonical(sp.exp(to_elementary(a)) - sp.exp(to_elementary(b)))
    if exp_difference == 0:
        return True, "exp of both sides have the same canonical form (exp is injective)"
    simplified = sp.simplify(to_elementary(a - b))
    if simplified == 0:
        return True, "sympy.simplify reduces the difference to 0"
    return None, Phrase("difference not reduced to 0: ", difference)


def disjoint_pieces(pw: sp.Piecewise) -> list[tuple[sp.Expr, sp.Basic]]:
    """The pieces with conditions made disjoint (piece i holds where no earlier one does)."""
    out, before = [], sp.false
    for e, c in pw.args:
        cond = sp.And(c, sp.Not(before))
        before = sp.Or(before, c)
        if cond is not sp.false:
            out.append((e, cond))
    return out

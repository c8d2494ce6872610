"""The domain of a claim before any proof counts: empty, ill-posed, or with a point.

A claim on an empty set is vacuous, and a claim whose text is undefined somewhere on its
domain (a denominator that vanishes, a log of a nonpositive number) says nothing there:
both are reported as such, never as proved. A proof stands only once a point of the
domain is certified (``numerics.enclosure``: exact or outward-rounded arithmetic).
"""
from __future__ import annotations

import dataclasses
import functools
import itertools

import sympy as sp

from ..field.canonical import canonical
from ..loss.symbols import x1, x2
from ..phrases import Phrase
from ..numerics.certify import relation_holds
from .certificates import OPS, KernelError, normalize
from .kernel import undefined_value, verify
from .problem import Problem, constant_domains
from .symbolic import prove, tie_slacks
from .values import Status, Verdict

__all__ = ["empty_domain", "ill_posed", "not_vacuous", "domain_point", "branches"]


def empty_domain(problem: Problem) -> Verdict | None:
    """UNKNOWN 'the domain is empty' when a relation is false or provably never holds.

    A claim on an empty set is vacuous: it is reported as such, never as proved.
    """
    name = problem.claim.name
    if any(r is sp.false for r in problem.domain):
        return Verdict(name, Status.UNKNOWN, "empty domain",
                       "the domain is empty: a relation of it is false for the given "
                       "constants, so the claim is vacuous")
    # A certified point of the domain settles it first: proving a relation's negation
    # from the others is the costly route (28 s on CPO's Gram-frame thresholds), and
    # with a point in hand no such proof exists.
    if domain_point(problem) is not None:
        return None
    # Only the constants the relations name matter: a frame's domain and a claim's
    # (x1 > x2, x1 + x2 < 1) are the same for every variant, so the answer is kept.
    used = set().union(*(r.free_symbols for r in problem.domain))
    domains = tuple(sorted(((s, d) for s, d in constant_domains(problem).items()
                            if s in used), key=lambda sd: sd[0].name))
    reason = _emptiness(tuple(problem.domain), domains)
    if reason is None:
        return None
    return Verdict(name, Status.UNKNOWN, "empty domain", reason)


@functools.lru_cache(maxsize=256)
def _emptiness(domain: tuple, domains: tuple) -> Phrase | None:
    """Why ``domain`` is empty (a relation whose negation the others prove, the proof
    re-checked by the kernel), or None."""
    domains = dict(domains)
    for r in domain:
        gap, op = normalize(r)
        negated = {">": (-gap, ">="), ">=": (-gap, ">"), "=": (gap, "!="), "!=": (gap, "=")}
        expr, nop = negated[op]
        if nop == "!=":
            continue
        rest = tuple(o for o in domain if o is not r)
        proof = prove(expr, nop, rest, domains)
        if proof is None:
            continue
        try:
            argument = verify(proof, expr, nop, rest, domains)
        except KernelError:
            continue
        return Phrase("the domain is empty: ", r, " never holds on it (", expr,
                      f" {nop} 0: ", argument, "), so the claim is vacuous")
    return None


def ill_posed(problem: Problem) -> Verdict | None:
    """UNKNOWN 'undefined on part of the domain' (with a point) for an ill-posed claim.

    Each condition of ``problem.requires`` (a denominator != 0, a log argument > 0) must
    be proved on the domain by a kernel-checked certificate; where one fails at a
    certified point of the domain, the claim says nothing there.
    """
    domains = constant_domains(problem)
    tied = _tied(problem)
    if tied is not None and undefined_value(tied):
        return Verdict(problem.claim.name, Status.UNKNOWN, "ill-posed",
                       Phrase("the claim is undefined everywhere on the domain: with its "
                              "equalities substituted, ", problem.form, " is ", tied,
                              " (no number)"))
    for condition in problem.requires:
        if condition is sp.false:
            return Verdict(problem.claim.name, Status.UNKNOWN, "ill-posed",
                           "the claim is undefined everywhere on the domain")
        gap, op = normalize(condition)
        proof = prove(gap, op, problem.domain, domains)
        if proof is not None:
            try:
                verify(proof, gap, op, problem.domain, domains)
                continue
            except KernelError:
                pass
        negation = {"!=": sp.Eq(gap, 0), ">": sp.LessThan(gap, 0),
                    ">=": sp.StrictLessThan(gap, 0)}.get(op)
        where = "" if negation is None else Phrase(" where ", negation)
        point = None
        if negation is not None and negation is not sp.false:
            point = domain_point(dataclasses.replace(problem,
                                                     domain=problem.domain + (negation,)))
        at = "" if point is None else " (e.g. at " + ", ".join(
            f"{k} = {v}" for k, v in sorted((str(k), v) for k, v in point.items())) + ")"
        if point is None:
            return Verdict(problem.claim.name, Status.UNKNOWN, "ill-posed",
                           Phrase("the claim needs ", condition, " to be defined, and that "
                                  "could not be shown on the whole domain"))
        return Verdict(problem.claim.name, Status.UNKNOWN, "ill-posed",
                       Phrase("the claim is undefined on part of the domain: it needs ",
                              condition, ", which fails", where, at),
                       None, {"undefined_where": sp.sstr(negation)})
    return None


def _tied(problem: Problem) -> sp.Expr | None:
    """The claim's expression with the domain's equalities substituted, if it has any."""
    slacks = tie_slacks(problem.domain)
    if not slacks:
        return None
    expr = problem.expr
    for sl in slacks:
        expr = expr.subs(sl.variable, sl.value)
    return expr


def not_vacuous(problem: Problem, verdict: Verdict) -> Verdict:
    """A proof stands only once a point of the domain is exhibited (else it may be vacuous)."""
    point = domain_point(problem)
    if point is not None:
        return verdict
    return Verdict(verdict.claim, Status.UNKNOWN, verdict.method,
                   Phrase("the argument holds, but no point of the domain was found: the "
                          "domain may be empty, and a claim on an empty set says nothing (",
                          verdict.evidence, ")"))


def domain_point(problem: Problem) -> dict | None:
    """An exact point certified to lie in the claim's domain, or None."""
    R = sp.Rational
    grid = [R(1, 2), R(1, 3), R(2, 3), R(1, 10), R(9, 10), R(1, 4), R(3, 4), R(1, 100),
            R(99, 100), 1, R(1, 1000), R(1, 7), R(5, 7)]
    for branch in branches(problem.domain):
        point = _point_on(problem, branch, grid)
        if point is not None:
            return point
    return None


def branches(domain: tuple[sp.Basic, ...]):
    """The domain with each factored equality g = 0 replaced by one branch f = 0."""
    options = []
    for r in domain:
        gap, op = normalize(r)
        if op != "=":
            options.append([r])
            continue
        factors = [b for b, e in (a.as_base_exp() for a in sp.Mul.make_args(
            canonical(gap).as_coeff_Mul()[1])) if e.is_positive and b.free_symbols]
        options.append([sp.Eq(f, 0) for f in factors] if len(factors) > 1 else [r])
    yield from itertools.islice(itertools.product(*options), 16)


#: Values tried for a constant the domain constrains (the Gram entries on c >= a), in
#: this order, and how many constant assignments that pass go on to the (x1, x2) grid.
CONSTANT_GRID = (1, 2, 4, sp.Rational(1, 2), 0, -1, -2, 3, sp.Rational(1, 4), 8)
CONSTANT_TRIES = 4


def _constant_choices(problem: Problem, domain) -> list[dict]:
    """The constants at their defaults (mid-range when ranged), then, when the domain
    constrains free constants, grid values satisfying the relations among constants."""
    ranges = {n: (lo, hi) for n, lo, hi in problem.ranges}
    free = [p for p in problem.loss.parameters if p.name not in dict(problem.fixed)]
    params = {p.symbol: ((ranges[p.name][0] + ranges[p.name][1]) / 2 if p.name in ranges
                         else p.default) for p in free}
    named = set().union(*(r.free_symbols for r in domain)) if domain else set()
    moved = [p for p in free if p.symbol in named]
    if not moved:
        return [params]
    only = [r for r in domain if r.free_symbols and not r.free_symbols & {x1, x2}]
    out = [params]
    sets = [[v for v in (p.default, *CONSTANT_GRID) if sp.sympify(v) in (
        sp.Interval(*ranges[p.name]) if p.name in ranges else p.domain)] for p in moved]
    for values in itertools.product(*sets):
        choice = {**params, **{p.symbol: sp.sympify(v) for p, v in zip(moved, values)}}
        if choice != params and all(relation_holds(r, choice) for r in only):
            out.append(choice)
            if len(out) > CONSTANT_TRIES:
                break
    return out


def _point_on(problem: Problem, domain, grid) -> dict | None:
    if any(r is sp.false for r in domain):  # a branch f = 0 sympy decided (f > 0)
        return None
    domain = tuple(r for r in domain if r is not sp.true)
    for params in _constant_choices(problem, domain):
        point = _point_with(problem, domain, grid, params)
        if point is not None:
            return point
    return None


def _point_with(problem: Problem, domain, grid, params: dict) -> dict | None:
    equalities = [r for r in domain if normalize(r)[1] == "="]
    if len(equalities) >= 2:
        # Two equalities tie both x1 and x2 (x1 = x2 on the edge x1 + x2 = 1 is the one
        # point (1/2, 1/2)): solve them, and keep an exact solution inside the square;
        # a system that leaves a variable free goes on to the ties below.
        point = _solved_point(problem, domain, equalities, params)
        if point is not None:
            return point
    slacks = tie_slacks(domain)
    if slacks is None:
        return None
    tied = [sl.variable for sl in slacks]
    free = [v for v in (x1, x2) if v not in tied]
    for values in itertools.product(grid, repeat=len(free)):
        point = dict(params)
        point.update(zip(free, values))
        for sl in reversed(slacks):  # later ties name no earlier-substituted variable
            point[sl.variable] = sl.value.subs(point)
        if all(_exactly_in_unit(point[v]) for v in tied) and \
                all(_holds(r, point) for r in domain) and \
                all(_holds(r, point) for r in problem.domain):
            return point
    return None


def _solved_point(problem: Problem, domain, equalities, params: dict) -> dict | None:
    system = [sp.expand((normalize(r)[0]).subs(params)) for r in equalities]
    if any(not e.is_polynomial(x1, x2) or sp.Poly(e, x1, x2).total_degree() > 2
           for e in system):
        return None   # bounded work: linear and quadratic ties only
    for solution in sp.solve(system, [x1, x2], dict=True):
        point = {**params, **solution}
        if all(_exactly_in_unit(point.get(v, sp.nan)) for v in (x1, x2)) and \
                all(relation_holds(r, point) for r in domain) and \
                all(relation_holds(r, point) for r in problem.domain):
            return point
    return None


def _holds(relation: sp.Basic, point: dict) -> bool:
    """``relation`` certified at ``point``; a tie may give an exact irrational value
    (x1 = exp(5)/1000), and then the relation is evaluated as a closed number."""
    if relation in (sp.true, sp.false):  # sympy decided a relation between numbers
        return bool(relation)
    if all(getattr(v, "is_Rational", True) for v in point.values()):
        return relation_holds(relation, point)
    value = relation.subs(point)
    if value in (sp.true, sp.false):
        return bool(value)
    return type(value) in OPS and relation_holds(value, {})


def _exactly_in_unit(value: sp.Expr) -> bool:
    """value in (0, 1]: exactly for a rational, by certified evaluation for another
    exact real number (x1 = x2*exp(5)/1000 on IPO's target margin)."""
    if value.is_Rational:
        return bool(0 < value <= 1)
    if not (value.is_number and value.is_real) or value.has(sp.nan, sp.zoo):
        return False
    return all(_holds(r, {}) for r in (sp.StrictGreaterThan(value, 0), sp.LessThan(value, 1)))

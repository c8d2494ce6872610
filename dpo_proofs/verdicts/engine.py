"""check(claim, loss): decide a claim symbolically, else refute it with a confirmed point.

Order of methods: (1) symbolic: reduce the claim to sign conditions on the factors of
a canonical expression and decide them from the assumptions; (2) certified interval
arithmetic, when a prover is registered (``dpo_proofs.intervals``); (3) a
counterexample search whose candidates count only once confirmed at two precisions.
Otherwise the verdict is unknown, with the reason.
"""
from __future__ import annotations

import functools
import itertools
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import mpmath
import sympy as sp

from ..budget import DEFAULT_BUDGET_SECONDS, time_budget
from ..field.canonical import canonical
from ..errors import DerivationTimeout, InvalidArgument
from ..field.gradient import GradientField, gradient_field
from ..loss.loss import Loss
from ..numerics.confirm import DPS, agreeing_digits, mp_callable, show, to_mpf
from ..field.signs import analyze_sign, parameter_domains
from ..loss.symbols import x1, x2
from .values import D_X1, D_X2, LOSS, RATIO, Claim, Status, Verdict

if TYPE_CHECKING:
    from ..field.frames import Parametrization

__all__ = ["check", "Problem", "quantities", "reduce_claim", "cached_field",
           "register_prover"]

_OPS = {sp.StrictGreaterThan: ">", sp.GreaterThan: ">=", sp.StrictLessThan: "<",
        sp.LessThan: "<=", sp.Equality: "=", sp.Unequality: "!="}

#: Extra provers run between the symbolic step and the search: (problem, seconds) -> Verdict|None.
_PROVERS: list[Callable[["Problem", float], Verdict | None]] = []


def register_prover(prover: Callable[["Problem", float], Verdict | None]) -> None:
    """Add a prover (e.g. certified interval arithmetic) to the chain of ``check``."""
    if prover not in _PROVERS:
        _PROVERS.append(prover)


@functools.lru_cache(maxsize=256)
def cached_field(loss: Loss, parametrization: "Parametrization | None" = None) -> GradientField:
    """gradient_field(loss) (in the parametrization's frame, if given), derived once."""
    if parametrization is None or parametrization.is_identity:
        return gradient_field(loss)
    return gradient_field(loss, parametrization.metric)


def quantities(loss: Loss, field: GradientField | None = None) -> dict[sp.Symbol, sp.Expr]:
    """The derived quantities a claim may name, as expressions in the standard symbols."""
    field = cached_field(loss) if field is None else field
    return {LOSS: loss.elementary, D_X1: field.d_x1.closed_form,
            D_X2: field.d_x2.closed_form, RATIO: field.ratio}


@dataclass(frozen=True)
class Problem:
    """A claim reduced to ``expr op 0`` (op in '>', '>=', '=', '!=') on a domain.

    ``fixed`` holds parameters fixed to exact values (already substituted);
    ``ranges`` parameters that range over closed intervals (left symbolic).
    """

    claim: Claim
    loss: Loss
    expr: sp.Expr
    op: str
    form: sp.Expr  # the claim's ``expr`` before the quantities were substituted
    domain: tuple[sp.Basic, ...]
    fixed: tuple[tuple[str, sp.Expr], ...]
    ranges: tuple[tuple[str, sp.Expr, sp.Expr], ...]
    #: where the claim's text is defined (see Claim.requires), quantities substituted
    requires: tuple[sp.Basic, ...] = ()

    @property
    def variables(self) -> tuple[sp.Symbol, ...]:
        return (x1, x2, *[p.symbol for p in self.loss.parameters
                          if p.name not in dict(self.fixed)])


def _relations(domain: sp.Basic) -> tuple[sp.Basic, ...]:
    if domain is sp.true or domain is None:
        return ()
    if isinstance(domain, sp.And):
        return tuple(a for arg in domain.args for a in _relations(arg))
    if type(domain) in _OPS:
        return (domain,)
    raise InvalidArgument(f"domain {sp.sstr(domain)!r} must be relations joined by '&'")


def reduce_claim(claim: Claim, loss: Loss, params: Mapping[str, object] | None = None,
                 field: GradientField | None = None) -> Problem:
    """Substitute the derived quantities and write the claim as ``expr op 0``."""
    statement = claim.statement
    if type(statement) not in _OPS:
        raise InvalidArgument(f"claim {sp.sstr(statement)!r} is not a single relation")
    op = _OPS[type(statement)]
    expr = statement.lhs - statement.rhs
    if op in ("<", "<="):
        expr, op = -expr, op.replace("<", ">")
    fixed, ranges = {}, []
    from .claim_text import parse_range

    for name, value in (params or {}).items():
        if isinstance(value, str) and parse_range(value) is not None:
            value = parse_range(value)  # "0.01..10": the constant ranges over [0.01, 10]
        if isinstance(value, tuple):
            low, high = (loss.parameter(name).validate(v) for v in value)
            if low > high:
                raise InvalidArgument(f"{name}: empty range {value[0]}..{value[1]}")
            ranges.append((name, low, high))
        else:
            fixed[name] = loss.parameter(name).validate(value)
    subs = quantities(loss, field)
    form = expr
    expr = expr.subs(subs)
    bound = {loss.parameter(n).symbol: v for n, v in fixed.items()}
    expr = expr.subs(bound)
    domain = tuple(r.subs(subs).subs(bound) for r in _relations(claim.domain))
    # A relation the constants decide is dropped (true) or empties the domain (false).
    domain = tuple(r for r in domain if r is not sp.true)
    requires = tuple(r for r in (q.subs(subs).subs(bound) for q in claim.requires)
                     if r is not sp.true)
    return Problem(claim, loss, expr, op, form, domain, tuple(sorted(fixed.items())),
                   tuple(ranges), requires)


def _slack_substitution(domain: tuple[sp.Basic, ...]) -> tuple[dict, list[str]]:
    """Encode each domain relation a > b as v = (solution of a - b = s), s > 0."""
    subs: dict[sp.Symbol, sp.Expr] = {}
    steps = []
    for i, relation in enumerate(domain):
        op = _OPS[type(relation)]
        gap = (relation.lhs - relation.rhs).subs(subs)
        if op in ("<", "<="):
            gap, op = -gap, op.replace("<", ">")
        if op == "!=":
            continue
        slack = {"=": sp.S.Zero,
                 ">": sp.Symbol(f"s{i}", positive=True),
                 ">=": sp.Symbol(f"s{i}", nonnegative=True)}[op]
        for v in (x1, x2):
            if v in subs or v not in gap.free_symbols:
                continue
            poly = sp.Poly(gap, v) if gap.is_polynomial(v) else None
            if poly is None or poly.degree() != 1:
                continue
            solved = sp.solve(sp.Eq(gap, slack), v)
            if len(solved) == 1:
                subs = {k: e.subs(v, solved[0]) for k, e in subs.items()}
                subs[v] = solved[0]
                what = "" if op == "=" else f" with {slack} {'>' if op == '>' else '>='} 0"
                steps.append(f"on {sp.sstr(relation)} write {v} = {sp.sstr(solved[0])}{what}")
                break
    return subs, steps


def _domains(problem: Problem) -> dict:
    """Each free constant's set: its range if ranged, else its declared domain."""
    ranges = {n: (lo, hi) for n, lo, hi in problem.ranges}
    fixed = dict(problem.fixed)
    out = {}
    for p in problem.loss.parameters:
        if p.name in fixed:
            continue
        if p.name in ranges:
            out[p.symbol] = sp.Interval(*ranges[p.name])
        else:
            out[p.symbol] = p.domain
    return out


def _symbolic(problem: Problem) -> Verdict | None:
    """A kernel-checked symbolic proof, or None (nothing found, or the kernel refused)."""
    from .certificates import KernelError
    from .kernel import verify
    from .symbolic import prove

    domains = _domains(problem)
    if problem.op == "!=":
        return None
    proof = prove(problem.expr, problem.op, problem.domain, domains)
    if proof is None:
        return None
    return kernel_verdict(problem, proof, "symbolic")


def _empty_domain(problem: Problem) -> Verdict | None:
    """UNKNOWN 'the domain is empty' when a relation is false or provably never holds.

    A claim on an empty set is vacuous: it is reported as such, never as proved.
    """
    from .certificates import KernelError
    from .kernel import verify
    from .symbolic import prove

    name = problem.claim.name
    if any(r is sp.false for r in problem.domain):
        return Verdict(name, Status.UNKNOWN, "empty domain",
                       "the domain is empty: a relation of it is false for the given "
                       "constants, so the claim is vacuous")
    domains = _domains(problem)
    for r in problem.domain:
        gap, op = _normal(r)
        negated = {">": (-gap, ">="), ">=": (-gap, ">"), "=": (gap, "!="), "!=": (gap, "=")}
        expr, nop = negated[op]
        if nop == "!=":
            continue
        rest = tuple(o for o in problem.domain if o is not r)
        proof = prove(expr, nop, rest, domains)
        if proof is None:
            continue
        try:
            argument = verify(proof, expr, nop, rest, domains)
        except KernelError:
            continue
        return Verdict(name, Status.UNKNOWN, "empty domain",
                       f"the domain is empty: {sp.sstr(r)} never holds on it "
                       f"({sp.sstr(expr)} {nop} 0: {argument}), so the claim is vacuous")
    return None


def _ill_posed(problem: Problem) -> Verdict | None:
    """UNKNOWN 'undefined on part of the domain' (with a point) for an ill-posed claim.

    Each condition of ``problem.requires`` (a denominator != 0, a log argument > 0) must
    be proved on the domain by a kernel-checked certificate; where one fails at a
    certified point of the domain, the claim says nothing there.
    """
    import dataclasses

    from .certificates import KernelError
    from .kernel import verify
    from .symbolic import prove

    domains = _domains(problem)
    for condition in problem.requires:
        if condition is sp.false:
            return Verdict(problem.claim.name, Status.UNKNOWN, "ill-posed",
                           "the claim is undefined everywhere on the domain")
        gap, op = _normal(condition)
        proof = prove(gap, op, problem.domain, domains)
        if proof is not None:
            try:
                verify(proof, gap, op, problem.domain, domains)
                continue
            except KernelError:
                pass
        negation = {"!=": sp.Eq(gap, 0), ">": sp.LessThan(gap, 0),
                    ">=": sp.StrictLessThan(gap, 0)}.get(op)
        where = "" if negation is None else f" where {sp.sstr(negation)}"
        point = None
        if negation is not None and negation is not sp.false:
            point = domain_point(dataclasses.replace(problem,
                                                     domain=problem.domain + (negation,)))
        at = "" if point is None else " (e.g. at " + ", ".join(
            f"{k} = {v}" for k, v in sorted((str(k), v) for k, v in point.items())) + ")"
        if point is None:
            return Verdict(problem.claim.name, Status.UNKNOWN, "ill-posed",
                           f"the claim needs {sp.sstr(condition)} to be defined, and that "
                           "could not be shown on the whole domain")
        return Verdict(problem.claim.name, Status.UNKNOWN, "ill-posed",
                       f"the claim is undefined on part of the domain: it needs "
                       f"{sp.sstr(condition)}, which fails{where}{at}",
                       None, {"undefined_where": sp.sstr(negation)})
    return None


def _normal(relation: sp.Basic) -> tuple[sp.Expr, str]:
    from .certificates import normalize

    return normalize(relation)


def _not_vacuous(problem: Problem, verdict: Verdict) -> Verdict:
    """A proof stands only once a point of the domain is exhibited (else it may be vacuous)."""
    point = domain_point(problem)
    if point is not None:
        return verdict
    return Verdict(verdict.claim, Status.UNKNOWN, verdict.method,
                   "the argument holds, but no point of the domain was found: the domain "
                   "may be empty, and a claim on an empty set says nothing (" +
                   verdict.evidence + ")")


def domain_point(problem: Problem) -> dict | None:
    """An exact point certified to lie in the claim's domain, or None."""
    from .symbolic import tie_slacks

    R = sp.Rational
    grid = [R(1, 2), R(1, 3), R(2, 3), R(1, 10), R(9, 10), R(1, 4), R(3, 4), R(1, 100),
            R(99, 100), 1, R(1, 1000), R(1, 7), R(5, 7)]
    for branch in _branches(problem.domain):
        point = _point_on(problem, branch, grid)
        if point is not None:
            return point
    return None


def _branches(domain: tuple[sp.Basic, ...]):
    """The domain with each factored equality g = 0 replaced by one branch f = 0."""
    from ..field.canonical import canonical

    options = []
    for r in domain:
        gap, op = _normal(r)
        if op != "=":
            options.append([r])
            continue
        factors = [b for b, e in (a.as_base_exp() for a in sp.Mul.make_args(
            canonical(gap).as_coeff_Mul()[1])) if e.is_positive and b.free_symbols]
        options.append([sp.Eq(f, 0) for f in factors] if len(factors) > 1 else [r])
    yield from itertools.islice(itertools.product(*options), 16)


def _point_on(problem: Problem, domain, grid) -> dict | None:
    from .symbolic import tie_slacks

    slacks = tie_slacks(domain)
    if slacks is None:
        return None
    ranges = {n: (lo, hi) for n, lo, hi in problem.ranges}
    params = {p.symbol: ((ranges[p.name][0] + ranges[p.name][1]) / 2 if p.name in ranges
                         else p.default)
              for p in problem.loss.parameters if p.name not in dict(problem.fixed)}
    tied = [sl.variable for sl in slacks]
    free = [v for v in (x1, x2) if v not in tied]
    for values in itertools.product(grid, repeat=len(free)):
        point = dict(params)
        point.update(zip(free, values))
        for sl in reversed(slacks):  # later ties name no earlier-substituted variable
            point[sl.variable] = sl.value.subs(point)
        if all(_exactly_in_unit(point[v]) for v in tied) and \
                all(_certainly_holds(r, point) for r in domain) and \
                all(_certainly_holds(r, point) for r in problem.domain):
            return point
    return None


def _exactly_in_unit(value: sp.Expr) -> bool:
    return bool(value.is_Rational and 0 < value <= 1)


def _certainly_holds(relation: sp.Basic, point: dict) -> bool:
    gap, op = _normal(relation)
    value = gap.subs(point)
    if value.is_Rational:
        return {">": value > 0, ">=": value >= 0, "=": value == 0, "!=": value != 0}[op]
    if op == "=":
        return bool(sp.simplify(value) == 0)
    from .intervals import iv_callable

    try:
        with mpmath.workprec(300):
            enclosure = mpmath.iv.mpf(iv_callable(value, [])())
    except (ValueError, TypeError, ZeroDivisionError, NameError):
        return False
    if op in (">", "!=") and enclosure.a > 0:
        return True
    if op == ">=" and enclosure.a >= 0:
        return True
    return op == "!=" and enclosure.b < 0


def _rechecked(problem: Problem, verdict: Verdict) -> Verdict:
    if verdict.proof is None:
        return Verdict(verdict.claim, Status.UNKNOWN, verdict.method,
                       "the prover gave no certificate for the proof kernel to check")
    checked = kernel_verdict(problem, verdict.proof, verdict.method)
    if checked.status is not Status.PROVED:
        return checked
    return Verdict(verdict.claim, Status.PROVED, verdict.method,
                   f"{verdict.evidence}; {checked.evidence}",
                   verdict.counterexample, {**verdict.details, "kernel": "re-checked"},
                   verdict.proof)


def kernel_verdict(problem: Problem, proof, method: str) -> Verdict:
    """PROVED if the kernel re-checks ``proof``, else UNKNOWN with the kernel's reason."""
    from .certificates import KernelError
    from .kernel import verify

    name = problem.claim.name
    try:
        argument = verify(proof, problem.expr, problem.op, problem.domain, _domains(problem))
    except KernelError as error:
        return Verdict(name, Status.UNKNOWN, method,
                       f"the proof kernel rejected the {method} certificate: {error}")
    from .certificates import CaseProof

    details: dict = {"kernel": "re-checked"}
    qualifier = ""
    undefined = proof.undefined_where() if isinstance(proof, CaseProof) else ()
    if undefined:
        where = sp.Or(*undefined)
        details["undefined_where"] = sp.sstr(where)
        qualifier = (f"; it holds wherever the claim is defined (undefined where "
                     f"{sp.sstr(where)})")
    return Verdict(name, Status.PROVED, method,
                   f"{_lhs_text(problem)} {problem.op} 0: {argument} (re-checked by the "
                   f"proof kernel){qualifier}", None, details, proof)


def _lhs_text(problem: Problem) -> str:
    return sp.sstr(problem.form)


def _factor_text(base: sp.Expr, exponent: sp.Expr) -> str:
    if exponent == 1:
        return sp.sstr(base)
    return sp.sstr(sp.Pow(base, exponent, evaluate=False))


def _violates(value, op: str) -> bool:
    return {">": value <= 0, ">=": value < 0, "=": value != 0, "!=": value == 0}[op]


def _candidates(problem: Problem, rng: random.Random, count: int):
    """Candidate points: extremes and near-ties first, then seeded draws."""
    R = sp.Rational
    grid = [R(1, 10**300), R(1, 10**30), R(1, 10**6), R(1, 1000), R(1, 100), R(1, 10),
            R(1, 4), R(1, 3), R(1, 2), R(2, 3), R(3, 4), R(9, 10), R(99, 100), 1 - R(1, 10**20), 1]
    params = [p for p in problem.loss.parameters if p.name not in dict(problem.fixed)]
    ranges = {n: (lo, hi) for n, lo, hi in problem.ranges}

    cache: dict[str, list] = {}

    def param_values(p):
        # Interval.contains is slow in sympy: decide each parameter's values once.
        if p.name not in cache:
            cache[p.name] = _param_values(p)
        return cache[p.name]

    def _param_values(p):
        if p.name in ranges:
            lo, hi = ranges[p.name]
            return [lo, hi, (lo + hi) / 2]
        values = [p.default]
        lo, hi = p.domain.inf, p.domain.sup
        for v in (R(1, 10**4), R(1, 100), R(1, 2), R(1), R(10), R(1000)):
            if p.domain.contains(v) is sp.true:
                values.append(v)
        if p.domain.contains(lo) is sp.true:
            values.append(lo)
        if hi.is_finite and p.domain.contains(hi) is sp.true:
            values.append(hi)
        return values

    def draw_param(p):
        if p.name in ranges:
            lo, hi = ranges[p.name]
            return lo + (hi - lo) * R(repr(rng.random()))
        choices = param_values(p)
        return rng.choice(choices)

    for a in grid:
        for b in grid:
            point = {"x1": a, "x2": b}
            point.update({p.name: p.default if p.name not in ranges else ranges[p.name][0]
                          for p in params})
            yield point
            for tie in (a * (1 + R(1, 10**30)), a * (1 - R(1, 10**30))):
                if 0 < tie <= 1:
                    yield {**point, "x1": tie, "x2": a}
    for _ in range(count):
        point = {"x1": R(repr(10 ** rng.uniform(-12, 0))) if rng.random() < 0.3
                 else R(repr(rng.uniform(1e-9, 1))),
                 "x2": R(repr(10 ** rng.uniform(-12, 0))) if rng.random() < 0.3
                 else R(repr(rng.uniform(1e-9, 1)))}
        point.update({p.name: draw_param(p) for p in params})
        yield point


def _hypothesis_candidates(problem: Problem, seconds: float, violated):
    """Points from hypothesis (domain strategies, shrunk towards simple values).

    ``violated(point)`` is the predicate; hypothesis searches and shrinks, and the
    point it returns is a candidate only: ``_search`` confirms it at 60 and 120 digits.
    """
    from hypothesis import HealthCheck, find, settings
    from hypothesis import strategies as st
    from hypothesis.errors import NoSuchExample, Unsatisfiable

    import time

    from ..numerics.strategies import exact_probabilities, near_ties, parameter_values

    fixed = dict(problem.fixed)
    ranges = {n: (lo, hi) for n, lo, hi in problem.ranges}
    loose = [p for p in problem.loss.parameters if p.name not in fixed and p.name not in ranges]
    fields = {n: st.fractions(min_value=lo, max_value=hi).map(sp.Rational)
              for n, (lo, hi) in ((n, (sp.Rational(a), sp.Rational(b)))
                                  for n, (a, b) in ranges.items())}
    pair = st.one_of(st.tuples(exact_probabilities(), exact_probabilities()), near_ties())
    loose_values = parameter_values(problem.loss)

    def build(xy, params, ranged):
        point = {"x1": xy[0], "x2": xy[1]}
        point.update({p.name: sp.Rational(repr(params[p.name])) if isinstance(
            params[p.name], float) else sp.Integer(params[p.name]) for p in loose})
        point.update(ranged)
        return point

    strategy = st.builds(build, pair, loose_values, st.fixed_dictionaries(fields))
    deadline = time.monotonic() + seconds

    def predicate(point):
        if time.monotonic() > deadline:
            raise _OutOfTime
        return violated(point)

    try:
        return find(strategy, predicate, settings=settings(
            max_examples=300, deadline=None, database=None, derandomize=True,
            suppress_health_check=list(HealthCheck)))
    except (NoSuchExample, Unsatisfiable, _OutOfTime):
        return None


class _OutOfTime(Exception):
    """The hypothesis phase ran out of its share of the budget."""


def _search(problem: Problem, seconds: float, count: int = 300) -> Verdict | None:
    """Look for a point of the domain where the claim fails; confirm it at 2 precisions."""
    import time

    deadline = time.monotonic() + seconds
    variables = problem.variables
    names = [v.name for v in variables]
    # Random points never land on an equality such as x1 = x2: solve it for one
    # variable and let the search draw the others.
    ties = {v: e for v, e in _slack_substitution(
        tuple(r for r in problem.domain if _OPS[type(r)] == "="))[0].items()}
    expr = problem.expr.subs(ties)
    fn = mp_callable(expr, variables)
    domain_fns = [(mp_callable((r.lhs - r.rhs).subs(ties), variables), _OPS[type(r)])
                  for r in problem.domain if _OPS[type(r)] != "=" or not ties]
    for e in ties.values():
        # A variable solved from an equality must still be a probability: 0 < e <= 1.
        domain_fns += [(mp_callable(e, variables), ">"), (mp_callable(1 - e, variables), ">=")]
    rng = random.Random(20240406)
    tried = 0

    def violated(point) -> bool:
        with mpmath.workdps(30):
            args = [to_mpf(point[n]) for n in names]
            try:
                if not all(_holds(f(*args), op) for f, op in domain_fns):
                    return False
                value = fn(*args)
            except (ZeroDivisionError, ValueError, TypeError):
                return False
            return bool(mpmath.isfinite(value)) and _violates(value, problem.op)

    def confirmed_verdict(point, source: str) -> Verdict | None:
        confirmed = _confirm(fn, domain_fns, point, names, problem.op)
        if confirmed is None:
            return None
        point = dict(point)
        for v, e in ties.items():
            point[v.name] = e.subs({w: point[w.name] for w in variables
                                    if w in e.free_symbols})
        return refutation(problem, point, names, confirmed, "counterexample",
                          f"({source} search)", {"points_tried": tried, "search": source})

    # Targeted first (extremes, near-ties, parameter ends), then hypothesis. Both are
    # bounded by counts, not clocks, so the same claim gets the same point on any
    # machine; the budget only cuts a search that would overrun it.
    for point in _candidates(problem, rng, count):
        if time.monotonic() > deadline:
            break
        tried += 1
        if violated(point):
            verdict = confirmed_verdict(point, "targeted")
            if verdict is not None:
                return verdict
    left = deadline - time.monotonic()
    if left > 0.2:
        point = _hypothesis_candidates(problem, left, violated)
        if point is not None:
            return confirmed_verdict(point, "hypothesis")
    return None


def refutation(problem: Problem, point: Mapping, names, confirmed, method: str,
               how: str, extra: dict | None = None) -> Verdict:
    """REFUTED with the point (keyed by symbol name) and its 60- and 120-digit values."""
    low, high, digits = confirmed
    counterexample = {n: show(point[n]) for n in names}
    counterexample.update({n: show(v) for n, v in problem.fixed})
    return Verdict(
        problem.claim.name, Status.REFUTED, method,
        f"at {counterexample} {how}: {_lhs_text(problem)} evaluates to {high} at "
        f"{2 * DPS} digits ({low} at {DPS}; {digits:.0f} digits agree), which violates "
        f"'{problem.op} 0'",
        counterexample, {"value": high, "agreeing_digits": round(digits, 1), **(extra or {})})


def _holds(value, op: str) -> bool:
    return {">": value > 0, ">=": value >= 0, "<": value < 0, "<=": value <= 0,
            "=": value == 0, "!=": value != 0}[op]


def _confirm(fn, domain_fns, point, names, op):
    values = []
    for dps in (DPS, 2 * DPS):
        with mpmath.workdps(dps):
            args = [to_mpf(point[n]) for n in names]
            if not all(_holds(f(*args), o) for f, o in domain_fns):
                return None
            values.append(fn(*args))
    low, high = values
    with mpmath.workdps(2 * DPS):
        digits = agreeing_digits(low, high, DPS)
        if not (_violates(low, op) and _violates(high, op)):
            return None
        if digits < 50 and not (low == 0 and high == 0):
            return None
    return mpmath.nstr(low, 20), mpmath.nstr(high, 20), digits


def check(claim: Claim, loss: Loss, params: Mapping[str, object] | None = None,
          budget: float | None = DEFAULT_BUDGET_SECONDS,
          field: GradientField | None = None) -> Verdict:
    """Decide ``claim`` for ``loss``: proved, refuted (confirmed point) or unknown.

    ``params`` fixes constants (``beta=0.5``) or lets them range (``beta=(0.01, 10)``).
    ``budget`` bounds the whole check in seconds.
    """
    import time

    start = time.monotonic()
    total = budget if budget is not None else float("inf")
    try:
        with time_budget(budget, f"checking {claim.name}"), \
                parameter_domains(loss.parameters):
            problem = reduce_claim(claim, loss, params, field)
            empty = _empty_domain(problem)
            if empty is not None:
                return empty
            undefined = _ill_posed(problem)
            if undefined is not None:
                return undefined
            # Ranged constants stay symbolic with their domain's assumptions: a proof for
            # the whole domain covers any sub-range (refutations never come from here).
            verdict = _symbolic(problem)
            if verdict is not None and verdict.status is Status.PROVED:
                return _not_vacuous(problem, verdict)
            partial = []
            for prover in _PROVERS:
                left = total - (time.monotonic() - start)
                verdict = prover(problem, left / 2)
                if verdict is not None and verdict.status is Status.PROVED:
                    # No prover is trusted: its certificate goes through the kernel.
                    verdict = _rechecked(problem, verdict)
                    if verdict.status is Status.PROVED:
                        verdict = _not_vacuous(problem, verdict)
                if verdict is not None and verdict.status is not Status.UNKNOWN:
                    return verdict
                if verdict is not None:
                    partial.append(verdict)
            left = total - (time.monotonic() - start)
            verdict = _search(problem, max(0.5, left * 0.9))
            if verdict is not None:
                return verdict
    except DerivationTimeout as error:
        return Verdict(claim.name, Status.UNKNOWN, "none", str(error))
    reason = ("no symbolic argument found: the sign of some factor is not fixed by the "
              "assumptions; " + ("; ".join(v.evidence for v in partial) + "; " if partial
                                 else "no interval prover applied; ") +
              "and no counterexample was confirmed (sampling alone proves nothing)")
    details = {k: v for p in partial for k, v in p.details.items()}
    return Verdict(claim.name, Status.UNKNOWN, "none", reason, None, details)


def _register_default_provers() -> None:
    from .intervals import interval_prover

    register_prover(interval_prover)


_register_default_provers()

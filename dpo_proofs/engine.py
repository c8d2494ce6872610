"""check(claim, loss): decide a claim symbolically, else refute it with a certified point.

Order of methods: (1) symbolic: reduce the claim to sign conditions on the factors of
a canonical expression and decide them from the assumptions; (2) certified interval
arithmetic, when a prover is registered (``dpo_proofs.intervals``); (3) a
counterexample search whose candidates count only once the violation is certified at
the point (``dpo_proofs.enclosure``: an outward-rounded enclosure of the value that
excludes 0, at rising precision; an exact 0 only by exact arithmetic). Two precisions
that agree are not a certificate: both may be too coarse to see the quantity.
Otherwise the verdict is unknown, with the reason. Every step is bounded by counts,
never by a clock.
"""
from __future__ import annotations

import functools
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import mpmath
import sympy as sp

from .budget import DEFAULT_BUDGET_SECONDS, time_budget
from .canonical import canonical
from .errors import DerivationTimeout, InvalidArgument
from .field import GradientField, gradient_field
from .loss import Loss
from .enclosure import certify_violation, exact_text
from .precision import mp_callable, to_mpf
from .signs import analyze_sign, parameter_domains
from .symbols import x1, x2
from .verdicts import D_X1, D_X2, LOSS, RATIO, Claim, Status, Verdict

if TYPE_CHECKING:
    from .parametrizations import Parametrization

__all__ = ["check", "Problem", "quantities", "reduce_claim", "cached_field",
           "register_prover"]

_OPS = {sp.StrictGreaterThan: ">", sp.GreaterThan: ">=", sp.StrictLessThan: "<",
        sp.LessThan: "<=", sp.Equality: "=", sp.Unequality: "!="}

#: Extra provers run between the symbolic step and the search: problem -> Verdict | None.
#: A prover bounds its own work by counts (never by a clock), so verdicts are deterministic.
_PROVERS: list[Callable[["Problem"], Verdict | None]] = []


def register_prover(prover: Callable[["Problem"], Verdict | None]) -> None:
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
    from .claims import parse_range

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
    return Problem(claim, loss, expr, op, form, domain, tuple(sorted(fixed.items())),
                   tuple(ranges))


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


def _symbolic(problem: Problem) -> Verdict | None:
    if problem.domain and problem.op != "=":
        # The slack substitution forgets that the solved-for variable is a probability
        # (x1 = 1 - x2 - s is not known to be positive): first try the whole square,
        # whose proof covers every sub-domain.
        verdict = _symbolic_in(problem, with_domain=False)
        if verdict is not None:
            return Verdict(verdict.claim, verdict.status, verdict.method,
                           verdict.evidence + "; this holds on the whole square, hence on "
                           "the domain")
    return _symbolic_in(problem, with_domain=True)


def _symbolic_in(problem: Problem, with_domain: bool) -> Verdict | None:
    name = problem.claim.name
    base = canonical(problem.expr)
    subs, steps = _slack_substitution(problem.domain) if with_domain else ({}, [])
    expr = canonical(base.subs(subs)) if subs else base
    chain = f"{_lhs_text(problem)} = {sp.sstr(base)}"
    if subs:
        chain += "; " + "; ".join(steps) + f": = {sp.sstr(expr)}"
    if problem.op == "=":
        if expr == 0:
            return Verdict(name, Status.PROVED, "symbolic", chain + ", identically 0")
        return None
    analysis = analyze_sign(expr, already_canonical=True)
    sign = analysis.sign
    reasons = ", ".join(
        f"{_factor_text(f.base, f.exponent)}"
        f" {'> 0' if f.sign == 1 else '< 0' if f.sign == -1 else '= 0'}"
        for f in analysis.factors if f.sign is not None)
    if sign == 1 or (problem.op == ">=" and sign == 0):
        return Verdict(name, Status.PROVED, "symbolic",
                       f"{chain}; every factor has a fixed sign: {reasons}")
    if problem.op == ">=" and all(
            f.sign == 1 or (f.base ** f.exponent).is_nonnegative for f in analysis.factors):
        return Verdict(name, Status.PROVED, "symbolic",
                       f"{chain}; every factor is positive or, by the assumptions, "
                       "nonnegative (a slack variable s >= 0)")
    if problem.op == ">=" and all(f.odd is False for f in analysis.undecided) \
            and analysis.decided_sign > 0:
        return Verdict(name, Status.PROVED, "symbolic",
                       f"{chain}; the undecided factors occur to even powers: {reasons}")
    return None


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


def _hypothesis_candidates(problem: Problem, violated) -> tuple[dict | None, str | None]:
    """A point from hypothesis (domain strategies, shrunk towards simple values), and a note.

    ``violated(point)`` is the predicate (``_search`` passes one that holds only at a
    certified violation); hypothesis searches and shrinks, bounded by its example count
    only. Any error of hypothesis itself (FlakyFailure, a health check) becomes a note
    for the unknown verdict's reason, never a traceback out of ``check``.
    """
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis import strategies as st
    from hypothesis.errors import NoSuchExample, Unsatisfiable

    from .strategies import exact_probabilities, near_ties, parameter_values

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
    try:
        return find(strategy, violated, settings=settings(
            max_examples=300, deadline=None, database=None, derandomize=True,
            # no Phase.explain: it traces every line of the shrinking runs (sympy
            # included), minutes for nothing the engine reports
            phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
            suppress_health_check=list(HealthCheck))), None
    except (NoSuchExample, Unsatisfiable):
        return None, None
    except Exception as error:  # noqa: BLE001 - hypothesis' own failures become a reason
        return None, (f"the hypothesis phase stopped with {type(error).__name__}: "
                      f"{str(error).splitlines()[0] if str(error) else ''}".rstrip(": "))


def _search(problem: Problem, count: int = 300) -> tuple[Verdict | None, list[str]]:
    """Look for a point of the domain where the claim fails, certified at that point.

    A candidate is screened at 30 digits (cheap, unsound) and, if it looks violated,
    certified by ``refutation`` (outward-rounded enclosures at rising precision);
    candidates that fail certification are skipped. The targeted points, the seeded
    draws and hypothesis' examples are all bounded by counts, never by a clock, so the
    same claim gets the same verdict and point on any machine, idle or loaded.
    Returns the verdict (or None) and notes for an unknown verdict's reason.
    """
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
    uncertified = 0

    def looks_violated(point) -> bool:
        with mpmath.workdps(30):
            args = [to_mpf(point[n]) for n in names]
            try:
                if not all(_holds(f(*args), op) for f, op in domain_fns):
                    return False
                value = fn(*args)
            except (ZeroDivisionError, ValueError, TypeError, OverflowError):
                return False
            return bool(mpmath.isfinite(value)) and _violates(value, problem.op)

    def certified(point, source: str) -> Verdict | None:
        nonlocal uncertified
        point = dict(point)
        for v, e in ties.items():
            point[v.name] = e.subs({w: point[w.name] for w in variables
                                    if w in e.free_symbols})
        verdict = refutation(problem, point, "counterexample", f"({source} search)",
                             {"points_tried": tried, "search": source})
        if verdict is None:
            uncertified += 1
        return verdict

    for point in _candidates(problem, rng, count):
        tried += 1
        if looks_violated(point):
            verdict = certified(point, "targeted")
            if verdict is not None:
                return verdict, []
    found: dict[tuple, Verdict | None] = {}

    def hypothesis_violated(point) -> bool:
        if not looks_violated(point):
            return False
        key = tuple(sorted((k, sp.Rational(v)) for k, v in point.items()))
        if key not in found:
            found[key] = certified(point, "hypothesis")
        return found[key] is not None

    point, note = _hypothesis_candidates(problem, hypothesis_violated)
    if point is not None:
        key = tuple(sorted((k, sp.Rational(v)) for k, v in point.items()))
        verdict = found.get(key) or certified(point, "hypothesis")
        if verdict is not None:
            return verdict, []
    notes = [note] if note else []
    if uncertified:
        notes.append(f"{uncertified} candidate points looked violated at 30 digits but the "
                     "violation was not certified there (skipped)")
    return None, notes


def _probability_ok(problem: Problem, point: Mapping) -> bool:
    """x1, x2 in (0, 1] and each ranged constant in its range, exactly (rationals)."""
    try:
        if not all(0 < sp.Rational(point[n]) <= 1 for n in ("x1", "x2")):
            return False
        return all(lo <= sp.Rational(point[n]) <= hi for n, lo, hi in problem.ranges
                   if n in point)
    except (TypeError, ValueError, KeyError):
        return False


def _exact(value) -> str:
    value = sp.sympify(value)
    return exact_text(value) if isinstance(value, sp.Rational) else sp.sstr(value)


def refutation(problem: Problem, point: Mapping, method: str, how: str,
               extra: dict | None = None) -> Verdict | None:
    """REFUTED at ``point`` if the violation is certified there, else None.

    The one refutation routine of the package (search and interval prover alike).
    ``point`` maps every variable's name (``problem.variables``) to an exact rational.
    The point is certified inside the domain and ``expr op 0`` certified violated by
    ``enclosure.certify_violation``; the verdict's counterexample holds exact decimal
    (or p/q) strings that read back as the very point, and its evidence and details
    state the enclosure of the value and the precision that certified it.
    """
    names = [v.name for v in problem.variables]
    if any(n not in point for n in names) or not _probability_ok(problem, point):
        return None
    exact_point = {n: sp.Rational(point[n]) for n in names}
    violation = certify_violation(problem.expr, problem.op, problem.domain, exact_point)
    if violation is None:
        return None
    counterexample = {n: _exact(exact_point[n]) for n in names}
    counterexample.update({n: _exact(v) for n, v in problem.fixed})
    return Verdict(
        problem.claim.name, Status.REFUTED, method,
        f"at {counterexample} {how}: {_lhs_text(problem)} {violation.value.describe()}, "
        f"which violates '{problem.op} 0'",
        counterexample, {"value": violation.enclosure, **violation.details(), **(extra or {})})


def _holds(value, op: str) -> bool:
    return {">": value > 0, ">=": value >= 0, "<": value < 0, "<=": value <= 0,
            "=": value == 0, "!=": value != 0}[op]


def check(claim: Claim, loss: Loss, params: Mapping[str, object] | None = None,
          budget: float | None = DEFAULT_BUDGET_SECONDS,
          field: GradientField | None = None) -> Verdict:
    """Decide ``claim`` for ``loss``: proved, refuted (confirmed point) or unknown.

    ``params`` fixes constants (``beta=0.5``) or lets them range (``beta=(0.01, 10)``).
    Every deciding step is bounded by counts, so the verdict does not depend on the
    machine's load; ``budget`` (seconds) is only a safety net for a symbolic step that
    does not terminate: running out gives an unknown verdict with the reason.
    """
    notes: list[str] = []
    try:
        with time_budget(budget, f"checking {claim.name}"), \
                parameter_domains(loss.parameters):
            problem = reduce_claim(claim, loss, params, field)
            # Ranged constants stay symbolic with their domain's assumptions: a proof for
            # the whole domain covers any sub-range (refutations never come from here).
            verdict = _symbolic(problem)
            if verdict is not None and verdict.status is Status.PROVED:
                return verdict
            partial = []
            for prover in _PROVERS:
                verdict = prover(problem)
                if verdict is not None and verdict.status is not Status.UNKNOWN:
                    return verdict
                if verdict is not None:
                    partial.append(verdict)
            verdict, notes = _search(problem)
            if verdict is not None:
                return verdict
    except DerivationTimeout as error:
        # The budget is a safety net, not a decision: running out says nothing either way.
        return Verdict(claim.name, Status.UNKNOWN, "none",
                       f"{error} (the claim is neither proved nor refuted)")
    reason = ("no symbolic argument found: the sign of some factor is not fixed by the "
              "assumptions; " + ("; ".join(v.evidence for v in partial) + "; " if partial
                                 else "no interval prover applied; ") +
              "and no counterexample was certified (sampling alone proves nothing)" +
              "".join(f"; {n}" for n in notes))
    details = {k: v for p in partial for k, v in p.details.items()}
    return Verdict(claim.name, Status.UNKNOWN, "none", reason, None, details)


def _register_default_provers() -> None:
    from .intervals import interval_prover

    register_prover(interval_prover)


_register_default_provers()

"""The counterexample search: points where a claim fails, each certified at the point.

Candidates come in the phases of ``witnesses`` (moderate realizable points at the
defaults, then constants moved, then unrealizable and extreme points, then seeded draws),
then hypothesis' search; a witness found late is shrunk toward short values. A candidate that looks violated at 30 digits counts
only once ``refutation`` certifies the violation there (``numerics.enclosure``). Every
phase is bounded by counts, never by a clock, so the same claim gets the same verdict
and point on any machine, idle or loaded. On a union equality domain each branch is
searched with its equality solved, so points land on it.
"""
from __future__ import annotations

from collections.abc import Mapping

import mpmath
import sympy as sp

from ..numerics.confirm import float_screen, mp_callable, to_mpf
from ..numerics.certify import certify_violation, exact_text, undefined_at
from ..numerics.seams import on_a_seam
from ..phrases import Phrase
from .certificates import OPS
from .domains import branches
from .problem import Problem, lhs_text
from .symbolic import tie_slacks
from .values import Status, Verdict
from .witnesses import (PHASES, SCREENS, YIELD_ORDER, candidates, describe, realizable,
                        realizable_moves, shrink)

__all__ = ["search", "refutation", "false_at_screens"]


def _violates(value, op: str) -> bool:
    return {">": value <= 0, ">=": value < 0, "=": value != 0, "!=": value == 0}[op]


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


def search(problem: Problem, count: int = 300, phases: tuple[str, ...] = PHASES,
           tried: dict[str, int] | None = None) -> tuple[Verdict | None, list[str]]:
    """Look for a point of the domain where the claim fails, certified at that point.

    A candidate is screened at 30 digits (cheap, unsound) and, if it looks violated,
    certified by ``refutation`` (outward-rounded enclosures at rising precision);
    candidates that fail certification are skipped. The targeted points, the seeded
    draws and hypothesis' examples are all bounded by counts, never by a clock, so the
    same claim gets the same verdict and point on any machine, idle or loaded.
    Returns the verdict (or None) and notes for an unknown verdict's reason.
    ``tried`` (points tried per phase) is updated in place: a search in two calls (the
    engine tries the moderate phase before its provers) counts every point it tried.
    """
    notes: list[str] = []
    tried = {} if tried is None else tried
    for branch in branches(problem.domain):
        verdict, more = _search_branch(problem, branch, count, phases, tried)
        if verdict is not None:
            return verdict, []
        notes += [n for n in more if n not in notes]
    return None, notes


def false_at_screens(problem: Problem) -> bool:
    """Whether the claim has a certified violation at one of the screens' points
    (``witnesses.SCREENS``): then no proof exists, and ``check`` goes straight to the
    search, whose phases find a witness in their own order (the screens' points are
    among the extreme phase's)."""
    return any(_search_branch(problem, branch, 0, SCREENS, {}, shrunk=False)[0] is not None
               for branch in branches(problem.domain))


def _search_branch(problem: Problem, branch, count: int, phases: tuple[str, ...],
                   tried: dict[str, int], shrunk: bool = True
                   ) -> tuple[Verdict | None, list[str]]:
    """The search on one branch of the domain (a union equality split into branches)."""
    variables = problem.variables
    names = [v.name for v in variables]
    # Random points never land on an equality such as x1 = x2: solve it for one
    # variable and let the search draw the others (the kernel's own encoding).
    ties: dict = {}
    for sl in tie_slacks(branch) or ():
        ties = {v: e.subs(sl.variable, sl.value) for v, e in ties.items()}
        ties[sl.variable] = sl.value
    solved = {sl.relation for sl in tie_slacks(branch) or ()}
    expr = problem.expr.subs(ties)
    # An equality that holds at a point (R = 1 on the diagonal) leaves rounding noise
    # that never settles as the precision rises: read as 0, not as a violation, since
    # certifying it climbs the whole precision ladder in vain (8 s a point in a frame).
    # Only which points are tried changes, never what a certificate says.
    fn = mp_callable(expr, variables, unsettled=mpmath.mpf(0) if problem.op == "=" else None)
    # Most points of a search satisfy the claim plainly; float64 says so at a hundredth
    # of the 30-digit ladder's cost (moderate points only, see float_screen). Only a
    # plain value that holds skips mpmath; an equality never holds plainly in floats.
    screen = float_screen(expr, variables) if problem.op != "=" else None
    gaps = [((r.lhs - r.rhs).subs(ties), OPS[type(r)]) for r in branch if r not in solved]
    for e in ties.values():
        # A variable solved from an equality must still be a probability: 0 < e <= 1.
        gaps += [(e, ">"), (1 - e, ">=")]
    # A rational gap is tested exactly: a tight claim fails on its domain's boundary
    # (x1 = 3*x2/2 exactly), where 30 digits may put the point a rounding outside.
    domain_fns = [(mp_callable(g, variables), op,
                   g if g.free_symbols <= set(variables) and g.is_rational_function(*variables)
                   else None) for g, op in gaps]
    uncertified = 0

    def completed(point) -> dict:
        """The point with the variables solved from the branch's equalities filled in."""
        point = dict(point)
        for v, e in ties.items():
            point[v.name] = e.subs({w: point[w.name] for w in variables
                                    if w in e.free_symbols})
        return point

    def looks_violated(point) -> bool:
        with mpmath.workdps(30):
            args = [to_mpf(point[n]) for n in names]
            try:
                exact = {v: sp.Rational(point[v.name]) for v in variables}
                if not all(_holds(g.xreplace(exact) if g is not None else f(*args), op)
                           for f, op, g in domain_fns):
                    return False
                clear = screen([float(exact[v]) for v in variables]) if screen else None
                if clear is not None and not _violates(clear, problem.op):
                    return False
                value = fn(*args)
            except (ZeroDivisionError, ValueError, TypeError, OverflowError):
                return False
            return bool(mpmath.isfinite(value)) and _violates(value, problem.op)

    def certified(point, source: str, phase: str) -> Verdict | None:
        nonlocal uncertified
        verdict = refutation(problem, completed(point), "counterexample",
                             f"({source} search)", {"points_tried": sum(tried.values()),
                                                    "search": source})
        if verdict is None:
            uncertified += 1
            return None
        if not shrunk:
            return verdict
        return _shrunk(problem, verdict, phase, tried, looks_violated, completed)

    # past the last phase asked for, every later point would be skipped
    last = max(YIELD_ORDER.index(p) for p in phases)
    for phase, point in candidates(problem, count):
        if phase not in phases:
            if YIELD_ORDER.index(phase) > last:
                break
            continue
        full = completed(point)
        # A solved variable must be a probability, and rational: a point is certified
        # exactly (x1 = exp(5)/2 from a tie with a log is no point of the search).
        if not all(full[v.name].is_Rational and 0 < full[v.name] <= 1 for v in ties):
            continue
        # The realizable phases try realizable points only; the next one the others.
        if phase in ("moderate", "sweep", "constants", "unrealizable") and \
                realizable(full) != (phase != "unrealizable"):
            continue
        tried[phase] = tried.get(phase, 0) + 1
        if looks_violated(point):
            verdict = certified(point, "targeted", phase)
            if verdict is not None:
                return verdict, []
    if "draws" not in phases:
        return None, []
    found: dict[tuple, Verdict | None] = {}

    def hypothesis_violated(point) -> bool:
        if not looks_violated(point):
            return False
        key = tuple(sorted((k, sp.Rational(v)) for k, v in point.items()))
        if key not in found:
            found[key] = certified(point, "hypothesis", "draws")
        return found[key] is not None

    point, note = _hypothesis_candidates(problem, hypothesis_violated)
    if point is not None:
        key = tuple(sorted((k, sp.Rational(v)) for k, v in point.items()))
        verdict = found.get(key) or certified(point, "hypothesis", "draws")
        if verdict is not None:
            return verdict, []
    notes = [note] if note else []
    if uncertified:
        points = "point" if uncertified == 1 else "points"
        notes.append(f"{uncertified} candidate {points} looked violated at 30 digits but "
                     "the violation was not certified there (skipped)")
    return None, notes


def _shrunk(problem: Problem, verdict: Verdict, phase: str, tried: dict,
            looks_violated, completed) -> Verdict:
    """The refutation moved to a simpler point if one still fails there, and described.

    Shrinking moves a late witness toward the defaults and short rationals (never out
    of the realizable set); every point it keeps is certified again by ``refutation``,
    so shrinking cannot weaken a verdict. The moderate phase's points are short already.
    """
    names = [v.name for v in problem.variables]
    point = {n: sp.Rational(verdict.counterexample[n]) for n in names}
    if phase != "moderate":
        kept: list[Verdict] = []

        def still_fails(trial) -> bool:
            trial = completed(trial)
            if not looks_violated(trial) or (realizable(point) and not realizable(trial)):
                return False
            again = refutation(problem, trial, verdict.method, "(search, then shrunk)",
                               verdict.details)
            if again is not None:
                kept.append(again)
            return again is not None

        simpler = completed(shrink(point, problem, still_fails))
        if simpler != point and kept:
            point, verdict = simpler, kept[-1]
    note, details = describe(phase, point, problem, tried)
    evidence = Phrase(verdict.evidence, f"; {note}" if note else "")
    return Verdict(verdict.claim, verdict.status, verdict.method, evidence,
                   verdict.counterexample, {**verdict.details, **details}, verdict.proof)


def moved_refutation(problem: Problem, point: Mapping) -> Verdict | None:
    """A refutation at ``point`` moved onto the realizable set (``realizable_moves``:
    x1/x2 and r_w/r_l kept), certified there, or None."""
    for moved in realizable_moves(point):
        verdict = refutation(problem, moved, "counterexample", "(the search's point "
                             "moved onto the realizable set, x1/x2 kept)", {"search": "moved"})
        if verdict is not None:
            note, details = describe("unrealizable", moved, problem, {})
            return Verdict(verdict.claim, verdict.status, verdict.method,
                           Phrase(verdict.evidence, f"; {note}" if note else ""),
                           verdict.counterexample, {**verdict.details, **details})
    return None


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
    if on_a_seam(problem.expr, exact_point):
        return None
    if any(undefined_at(e, {**exact_point, **dict(problem.fixed)}) for e in problem.defined):
        return None  # L (or the frame's chart) has no value there: not a pair at all
    violation = certify_violation(problem.expr, problem.op, problem.domain, exact_point)
    if violation is None:
        return None
    counterexample = {n: _exact(exact_point[n]) for n in names}
    counterexample.update({n: _exact(v) for n, v in problem.fixed})
    return Verdict(
        problem.claim.name, Status.REFUTED, method,
        Phrase("at ", ", ".join(f"{n} = {v}" for n, v in counterexample.items()),
               f" {how}: ", lhs_text(problem), f" {violation.value.describe()}, which "
               f"violates '{problem.op} 0'"),
        counterexample, {"value": violation.enclosure, **violation.details(), **(extra or {})})


def _holds(value, op: str) -> bool:
    return {">": value > 0, ">=": value >= 0, "<": value < 0, "<=": value <= 0,
            "=": value == 0, "!=": value != 0}[op]

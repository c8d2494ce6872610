"""check(claim, loss): decide a claim, proved only through the kernel, refuted only at a
certified point, otherwise unknown with the reason.

Order: the domain (empty? ill-posed?), then (1) the symbolic prover, (2) registered
provers such as certified interval arithmetic, each certificate re-checked by the proof
kernel and each proof standing only with a certified point of the domain, (3) the
counterexample search (``search``). Every deciding step is bounded by counts, never by a
clock; the time budget is only a safety net.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

import sympy as sp

from ..budget import DEFAULT_BUDGET_SECONDS, seeded, time_budget
from ..errors import DerivationTimeout
from ..field.frames import Parametrization, get_parametrization
from ..field.gradient import GradientField
from ..field.in_frame import field_of, with_frame_constants
from ..field.signs import parameter_domains
from ..loss.loss import Loss
from ..loss.names import get_variant
from ..loss.symbols import x1, x2
from ..numerics.certify import relation_holds
from ..phrases import Phrase, join
from .claim_text import claim_from_text
from .cases import by_cases
from .certificates import CaseProof, DefinedProof, KernelError
from .conditions import condition_text, parameter_condition
from .domains import domain_point, empty_domain, ill_posed, not_vacuous
from .intervals import interval_prover
from .kernel import COVERS, undefined_value, verify
from .problem import Problem, constant_domains, lhs_text, reduce_claim
from .search import false_at_screens, moved_refutation, search
from .witnesses import FIRST_PHASES, PHASES, moderate, realizable
from .symbolic import prove
from .values import Claim, Status, Verdict

__all__ = ["check", "register_prover", "kernel_verdict"]

#: Extra provers run between the symbolic step and the search: problem -> Verdict | None.
#: A prover bounds its own work by counts (never by a clock), so verdicts are deterministic.
_PROVERS: list[Callable[[Problem], Verdict | None]] = [interval_prover]


def register_prover(prover: Callable[[Problem], Verdict | None]) -> None:
    """Add a prover to the chain of ``check`` (its certificates go through the kernel)."""
    if prover not in _PROVERS:
        _PROVERS.append(prover)


def _symbolic(problem: Problem) -> Verdict | None:
    """A kernel-checked symbolic proof, or None (nothing found, or the kernel refused)."""
    domains = constant_domains(problem)
    if problem.op == "!=":
        return None
    proof = prove(problem.expr, problem.op, problem.domain, domains)
    if proof is None:
        return None
    return kernel_verdict(problem, proof, "symbolic")


def _where_defined(problem: Problem) -> Verdict | None:
    """The claim proved where its expression is defined, when that leaves out the corner
    (1, 1) or a whole edge x1 = 1 or x2 = 1 of the square (ORPO's log(1 - x) makes dL/dx1
    undefined at x1 = x2 = 1: there the claim says nothing, and everywhere else it holds).

    The symbolic prover proves each part ({x1 < 1}, {x2 < 1}, or both); the certificate
    (K7) is re-checked by the kernel, exclusion included. At least one part must have a
    certified point, or the claim would hold only vacuously.
    """
    expr = problem.expr
    if not {x1, x2} <= expr.free_symbols:
        return None
    edge1, edge2 = (undefined_value(expr.subs(v, 1)) for v in (x1, x2))
    excluded = ("edges" if edge1 and edge2 else "x1" if edge1 else "x2" if edge2 else
                "corner" if undefined_value(expr.subs({x1: 1, x2: 1})) else None)
    if excluded is None:
        return None
    parts, seen = [], False
    for extra in COVERS[excluded]:
        part = dataclasses.replace(problem, domain=problem.domain + extra)
        proof = prove(part.expr, part.op, part.domain, constant_domains(part))
        if proof is None:
            return None
        parts.append((extra, proof))
        seen = seen or domain_point(part) is not None
    if not seen:
        return None
    verdict = kernel_verdict(problem, DefinedProof(excluded, tuple(parts)), "symbolic")
    if verdict.status is not Status.PROVED:
        return None
    where = {"corner": "x1 = x2 = 1", "x1": "x1 = 1", "x2": "x2 = 1",
             "edges": "x1 = 1 or x2 = 1"}[excluded]
    if excluded == "corner" and not all(relation_holds(r, {x1: 1, x2: 1})
                                        for r in problem.domain):
        return verdict   # the domain leaves out the corner anyway (the simplex does)
    return Verdict(verdict.claim, Status.PROVED, verdict.method,
                   Phrase("it holds wherever ", lhs_text(problem), " is defined; it is "
                          f"undefined where {where} (exact substitution gives no number): ",
                          verdict.evidence),
                   None, {**verdict.details, "undefined_where": where}, verdict.proof)


def _decided(problem: Problem) -> tuple[Verdict | None, list[Verdict]]:
    """The provers in order: the symbolic prover (or its proof where the claim is
    defined), then each registered prover. No prover is trusted: each certificate goes
    through the kernel, and a proof stands only with a certified point of the domain.
    Returns the first decisive verdict (or None) and the provers' undecided verdicts.

    Ranged constants stay symbolic with their domain's assumptions: a proof for the whole
    domain covers any sub-range."""
    verdict = _symbolic(problem)
    if verdict is None or verdict.status is not Status.PROVED:
        verdict = _where_defined(problem) or verdict
    if verdict is None or verdict.status is not Status.PROVED:
        pieces = by_cases(problem)  # piece by piece with every prover, or pieces excluded
        verdict = kernel_verdict(problem, pieces, "cases") if pieces is not None else verdict
    if verdict is not None and verdict.status is Status.PROVED:
        return not_vacuous(problem, verdict), []
    partial = []
    for prover in _PROVERS:
        found = prover(problem)
        if found is not None and found.status is Status.PROVED:
            found = _rechecked(problem, found)
            if found.status is Status.PROVED:
                found = not_vacuous(problem, found)
        if found is not None and found.status is not Status.UNKNOWN:
            return found, partial
        if found is not None:
            partial.append(found)
    return None, partial


def _realizable_only(problem: Problem, refuted: Verdict) -> Verdict | None:
    """The claim decided on the realizable set when its refutation lies off it.

    x1 and x2 are the probabilities of two responses to one prompt (x1 + x2 <= 1, and
    r_w + r_l <= 1 for the reference), so a violation only at x1 + x2 > 1 says nothing
    about any model. When the domain has a realizable point (certified), the claim is
    decided again with the realizable set added to its domain: proved there (the kernel
    re-checks that problem), refuted at a realizable point, or unknown; either way the
    verdict says the domain it holds on and where it fails off it. None keeps
    ``refuted`` (a realizable witness, or a domain with no realizable point).
    """
    if refuted.counterexample is None or realizable(refuted.counterexample):
        return None
    names = {v.name for v in problem.variables}
    extra = [sp.Le(x1 + x2, 1)]
    if {"r_w", "r_l"} <= names:
        extra.append(sp.Le(problem.loss.parameter("r_w").symbol +
                           problem.loss.parameter("r_l").symbol, 1))
    part = dataclasses.replace(problem, domain=problem.domain + tuple(extra))
    if domain_point(part) is None:
        return None
    said = join(" and ", extra)
    where = str(said)
    off = Phrase("off it the claim fails (not two responses to one prompt): ",
                 refuted.evidence)
    details = {"realizable_only": where, "fails_off_it_at": refuted.counterexample}
    verdict, _ = _decided(part)
    if verdict is not None and verdict.status is Status.PROVED:
        return Verdict(verdict.claim, Status.PROVED, verdict.method,
                       Phrase("on the realizable set (", said, "): ", verdict.evidence,
                              "; ", off),
                       None, {**verdict.details, **details}, verdict.proof)
    if verdict is None or verdict.status is not Status.REFUTED:
        verdict, _ = search(part)
    if verdict is None or verdict.status is not Status.REFUTED:
        # a violation of a claim on x1/x2 alone is one at the same ratio on the set
        verdict = moved_refutation(part, refuted.counterexample)
    if verdict is not None and verdict.status is Status.REFUTED:
        return verdict
    return Verdict(refuted.claim, Status.UNKNOWN, "none",
                   Phrase("on the realizable set (", said, ") no proof and no "
                          "counterexample was found; ", off), None, details)


def _rechecked(problem: Problem, verdict: Verdict) -> Verdict:
    if verdict.proof is None:
        return Verdict(verdict.claim, Status.UNKNOWN, verdict.method,
                       "the prover gave no certificate for the proof kernel to check")
    checked = kernel_verdict(problem, verdict.proof, verdict.method)
    if checked.status is not Status.PROVED:
        return checked
    return Verdict(verdict.claim, Status.PROVED, verdict.method,
                   Phrase(verdict.evidence, "; ", checked.evidence),
                   verdict.counterexample, {**verdict.details, "kernel": "re-checked"},
                   verdict.proof)


def kernel_verdict(problem: Problem, proof, method: str) -> Verdict:
    """PROVED if the kernel re-checks ``proof``, else UNKNOWN with the kernel's reason."""

    name = problem.claim.name
    try:
        argument = verify(proof, problem.expr, problem.op, problem.domain, constant_domains(problem))
    except KernelError as error:
        return Verdict(name, Status.UNKNOWN, method,
                       f"the proof kernel rejected the {method} certificate: {error}")
    details: dict = {"kernel": "re-checked"}
    qualifier = ""
    undefined = proof.undefined_where() if isinstance(proof, CaseProof) else ()
    if undefined:
        where = sp.Or(*undefined)
        details["undefined_where"] = sp.sstr(where)
        qualifier = Phrase("; it holds wherever the claim is defined (undefined where ",
                           where, ")")
    return Verdict(name, Status.PROVED, method,
                   Phrase(lhs_text(problem), f" {problem.op} 0: ", argument,
                          " (re-checked by the proof kernel)", qualifier),
                   None, details, proof)


def _plainer(problem: Problem, verdict: Verdict) -> Verdict:
    """A prover's refutation, or the search's at a moderate realizable point if it has one.

    The interval prover certifies a violation at the midpoint of a box, which may be
    outside the realizable set (x1 + x2 > 1) or need long decimals; a reader believes a
    point with short coordinates at the defaults, so the search's constants phase gets
    the chance to find one (certified the same way). Its first phases (moderate, sweep)
    already ran before the provers and found nothing: ``check`` calls this only then.
    """
    point = {n: sp.Rational(v) for n, v in (verdict.counterexample or {}).items()}
    defaults = all(point.get(p.name, p.default) == p.default for p in problem.loss.parameters
                   if p.name not in dict(problem.fixed))
    if point and defaults and realizable(point) and moderate(point):
        return verdict
    better, _ = search(problem, phases=("constants",))
    return better if better is not None else verdict


#: The largest claim (count_ops) whose exact parameter condition is looked for.
CONDITION_OPS = 200


def _with_condition(problem: Problem, verdict: Verdict) -> Verdict:
    """A refutation with the exact condition on the constants under which the claim holds
    (``conditions.parameter_condition``), when the claim separates that way and the
    condition is false at the counterexample's constants."""
    if sp.count_ops(problem.expr) > CONDITION_OPS:
        return verdict
    found = parameter_condition(problem)
    if found is None:
        return verdict
    condition, argument = found
    point = verdict.counterexample or {}
    at = {p.symbol: sp.Rational(point[p.name]) if p.name in point else p.default
          for p in problem.loss.parameters}
    if condition.subs(at) is not sp.false:
        return verdict
    holds = condition_text(condition)
    return Verdict(verdict.claim, verdict.status, verdict.method,
                   Phrase(verdict.evidence, "; the claim holds exactly when ", holds, " (",
                          argument, ")"),
                   verdict.counterexample, {**verdict.details, "holds_exactly_when": holds},
                   verdict.proof)


#: The largest claim (sympy count_ops, a count: no clock) the symbolic prover re-tries
#: at the defaults after a refutation that moved a constant; past it the symbolic prover
#: can take a minute on exponents such as x**(1/100) and usually proves nothing.
DEFAULTS_OPS = 20


def _at_defaults(verdict: Verdict, claim: Claim, loss: Loss, params, budget,
                 field, frame=None) -> Verdict:
    """A refutation that needed constants moved, with the claim decided at the defaults.

    "Refuted" alone hides what a reader most wants to know when the witness moves a
    constant (SimPO at n_l = 2): whether the claim holds at the loss's defaults. The
    symbolic prover tries the claim again with every free constant at its default (its
    certificate re-checked by the kernel).
    """
    moved = verdict.details.get("constants_moved") or []
    if not moved:
        return verdict
    given = dict(params or {})
    defaults = {p.name: p.default for p in loss.parameters if p.name not in given}
    shown = ", ".join(f"{n} = {sp.sstr(v)}" for n, v in defaults.items())
    # Only the symbolic prover (through the kernel): the interval prover on every such
    # claim tripled the catalogue's time, and the search already tried the defaults.
    problem = reduce_claim(claim, loss, {**given, **defaults}, field, frame)
    if any(r is sp.false for r in problem.domain):
        return Verdict(verdict.claim, verdict.status, verdict.method,
                       Phrase(verdict.evidence, f"; the defaults ({shown}) lie outside "
                              "the claim's domain"), verdict.counterexample,
                       {**verdict.details, "at_defaults": "outside the domain"},
                       verdict.proof)
    if sp.count_ops(problem.expr) > DEFAULTS_OPS:
        words = (f"at the defaults ({shown}) no moderate point violates it; the claim there "
                 f"is too large for the quick proof attempt (over {DEFAULTS_OPS} operations)")
        return Verdict(verdict.claim, verdict.status, verdict.method,
                       Phrase(verdict.evidence, "; ", words), verdict.counterexample,
                       {**verdict.details, "at_defaults": "not attempted"}, verdict.proof)
    try:
        proof = _symbolic(problem)
    except DerivationTimeout:
        proof = None
    if proof is not None and proof.status is Status.PROVED:
        words, status = f"it holds at the defaults ({shown}): proved", "proved"
    else:
        words, status = (f"at the defaults ({shown}) the symbolic prover does not prove it "
                         "(no moderate point there violates it)"), "not proved"
    return Verdict(verdict.claim, verdict.status, verdict.method,
                   Phrase(verdict.evidence, "; ", words), verdict.counterexample,
                   {**verdict.details, "at_defaults": status}, verdict.proof)


def check(claim: Claim | str, loss: Loss | str, params: Mapping[str, object] | None = None,
          budget: float | None = DEFAULT_BUDGET_SECONDS,
          field: GradientField | None = None,
          frame: Parametrization | str | None = None) -> Verdict:
    """Decide ``claim`` for ``loss``: proved, refuted (confirmed point) or unknown.

    ``params`` fixes constants (``beta=0.5``) or lets them range (``beta=(0.01, 10)``).
    ``frame`` (a parametrization or its name): the claim is about the frame's field
    M grad L and the Hessian in its coordinates, on the frame's domain.
    Every deciding step is bounded by counts, so the verdict does not depend on the
    machine's load; ``budget`` (seconds) is only a safety net for a symbolic step that
    does not terminate: running out gives an unknown verdict with the reason.
    A claim may be given as text ("ratio > 1 where x1 > x2", parsed safely) and a loss
    by name (anything ``get_variant`` resolves).
    """
    if isinstance(loss, str):
        loss = get_variant(loss)
    notes: list[str] = []
    if frame is not None:
        frame = get_parametrization(frame)
        loss = with_frame_constants(loss, frame)  # the Gram entries become constants
    if isinstance(claim, str):  # after the frame: its text may name a, b, c
        text, _, domain = claim.partition(" where ")
        claim = claim_from_text(text, loss, domain or None)
    try:
        with seeded(), time_budget(budget, f"checking {claim.name}"), \
                parameter_domains(loss.parameters):
            if frame is not None:
                field = field_of(loss, frame) if field is None else field
            problem = reduce_claim(claim, loss, params, field, frame)
            empty = empty_domain(problem)
            if empty is not None:
                return empty
            undefined = ill_posed(problem)
            if undefined is not None:
                return undefined
            # The moderate points and the constants' sweep first: a false claim is refuted
            # there in a fraction of the provers' time (a certified violation means no
            # proof exists; the provers took 5-8 s to fail on claims that fail at beta = 2).
            # A true equality costs little there: its rounding noise is read as 0 (search).
            # A violation certified at the corners near (0, 0) skips the provers too; the
            # search's later phases then report a witness in their usual order.
            verdict, partial, tried = None, [], {}
            verdict, _ = search(problem, phases=FIRST_PHASES, tried=tried)
            if verdict is None and not false_at_screens(problem):
                verdict, partial = _decided(problem)
                if verdict is not None and verdict.status is Status.REFUTED:
                    # a prover's point; the first phases' own witness is as plain as any
                    verdict = _plainer(problem, verdict)
            if verdict is not None and verdict.status is Status.REFUTED:
                verdict = _realizable_only(problem, verdict) or verdict
                if verdict.status is not Status.REFUTED:
                    return verdict
                return _at_defaults(_with_condition(problem, verdict),
                                    claim, loss, params, budget, field, frame)
            if verdict is not None:
                return verdict
            verdict, notes = search(problem, phases=PHASES[len(FIRST_PHASES):], tried=tried)
            if verdict is not None:
                verdict = _realizable_only(problem, verdict) or verdict
                if verdict.status is not Status.REFUTED:
                    return verdict
                return _at_defaults(_with_condition(problem, verdict), claim, loss, params,
                                    budget, field, frame)
    except DerivationTimeout as error:
        # The budget is a safety net, not a decision: running out says nothing either way.
        return Verdict(claim.name, Status.UNKNOWN, "none",
                       f"{error} (the claim is neither proved nor refuted)")
    except RecursionError:
        return Verdict(claim.name, Status.UNKNOWN, "none",
                       "sympy recursed past Python's limit on this expression (the claim is "
                       "neither proved nor refuted)")
    reason = Phrase("no symbolic argument found: the sign of some factor is not fixed by "
                    "the assumptions; ",
                    Phrase(join("; ", [v.evidence for v in partial]), "; ") if partial
                    else "no interval prover applied; ",
                    "and no counterexample was certified (sampling alone proves nothing)",
                    *[Phrase("; ", n) for n in notes])
    details = {k: v for p in partial for k, v in p.details.items()}
    return Verdict(claim.name, Status.UNKNOWN, "none", reason, None, details)

"""Certified interval arithmetic: branch-and-bound proofs of ``expr op 0`` on a box cover.

The domain (x1, x2 in [0, 1], ranged parameters in their closed intervals) is
bisected into dyadic boxes. On each box the claim's expression and the domain's
relations are evaluated in mpmath's interval context (``mpmath.iv``, outward
rounding), so an interval that lies above 0 is a proof for every point of the box.
A box is a leaf when it is *certified* (claim holds on all of it), *outside* (some
domain relation fails on all of it), *violating* (the claim fails on all of it, inside
the domain) or *undecided* (too small to split further, or out of time).

The leaves are named by their bisection paths ('0' = lower half, '1' = upper half of
the dimension that is widest relative to the root), so a certificate is re-checkable
by anyone: rebuild each box from its path, re-evaluate it, and check that the paths
are prefix-free with Kraft sum 1, i.e. that the leaves tile the root box exactly.
"""
from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

import mpmath
import sympy as sp

from ..phrases import Phrase, join
from .certificates import OPS, IntervalProof
from .cover import Certificate, box_at, certain, iv_callable, to_iv, variable_bounds
from .problem import lhs_text
from .search import refutation
from .symbolic import tie_slacks
from .values import Status, Verdict

__all__ = ["interval_prover", "MAX_LEAVES"]


#: Boxes one call may classify (a count, not seconds, so the verdict does not depend on
#: the machine's load; the time budget is only a safety net around the whole check).
MAX_LEAVES = 5_000
#: Boxes narrower than this (relative to the root, in every dimension) are not split.
MIN_RELATIVE_WIDTH = Fraction(1, 2**10)


@dataclass
class _Search:
    claim_fn: Callable
    op: str
    domain: list[tuple[Callable, str]]
    root: list[tuple[Fraction, Fraction]]
    leaves: dict[str, str] = field(default_factory=dict)
    undecided: list[str] = field(default_factory=list)
    violating: list[str] = field(default_factory=list)
    min_margin: object = None

    def classify(self, path: str) -> str:
        box = box_at(self.root, path)
        args = [to_iv(lo, hi) for lo, hi in box]
        inside = True
        for fn, op in self.domain:
            try:
                verdict = certain(mpmath.iv.mpf(fn(*args)), op)
            except (ZeroDivisionError, ValueError, OverflowError):
                verdict = 0
            if verdict < 0:
                return "out"
            inside = inside and verdict > 0
        try:
            value = mpmath.iv.mpf(self.claim_fn(*args))
        except (ZeroDivisionError, ValueError, OverflowError):
            return "split"
        verdict = certain(value, self.op)
        if verdict > 0:
            low, high = mpmath.mpf(value._mpi_[0]), mpmath.mpf(value._mpi_[1])
            margin = low if self.op in (">", ">=") else (-high if self.op != "!=" else
                                                         max(low, -high))
            if self.min_margin is None or margin < self.min_margin:
                self.min_margin = margin
            return "in"
        if verdict < 0 and inside:
            return "violating"
        return "split"

    def splittable(self, path: str) -> bool:
        box = box_at(self.root, path)
        return any(r[1] > r[0] and (hi - lo) / (r[1] - r[0]) > MIN_RELATIVE_WIDTH
                   for (lo, hi), r in zip(box, self.root))


def interval_prover(problem, max_boxes: int = MAX_LEAVES) -> Verdict | None:
    """Branch-and-bound over the domain; PROVED only when the leaves cover all of it.

    At most ``max_boxes`` boxes are classified (breadth first, so the result is the
    same on any machine); the boxes left when the budget is spent stay undecided.
    """

    name = problem.claim.name
    if problem.op in ("=",):
        return None  # an equality is never certified by enclosures: left to the symbolic step
    ranges = {n: (lo, hi) for n, lo, hi in problem.ranges}
    slacks = tie_slacks(problem.domain)
    if slacks is None:
        return _unknown(name, "an equality in the domain could not be solved for x1 or x2")
    ties = {}
    for sl in slacks:  # applied in order, as the kernel applies them
        ties = {v: e.subs(sl.variable, sl.value) for v, e in ties.items()}
        ties[sl.variable] = sl.value
    expr = problem.expr.subs(ties)
    relations = [r.subs(ties) for r in problem.domain if OPS[type(r)] != "="]
    relations = [r for r in relations if r is not sp.true]
    if any(r is sp.false for r in relations):
        return None
    variables = [v for v in problem.variables if v not in ties]
    free = set(expr.free_symbols).union(*[r.free_symbols for r in relations])
    unbounded = [v.name for v in variables if v.name not in ("x1", "x2")
                 and v.name not in ranges and v in free]
    if unbounded:
        return _unknown(name, "interval arithmetic needs every constant fixed or given a "
                        "bounded range (--param NAME=LOW..HIGH); unbounded: "
                        + ", ".join(unbounded))
    variables = [v for v in variables if v in free or v.name in ("x1", "x2")]
    root = []
    bounds = variable_bounds(relations)
    for v in variables:
        if v.name in ("x1", "x2"):
            # clipped to the domain's own bounds on v (x2 >= 1/1000): boxes at x2 = 0,
            # where the expression has no value, would stay undecided though outside it
            low, high = bounds.get(v, (None, None))
            root.append((max(Fraction(0), low or Fraction(0)),
                         min(Fraction(1), Fraction(1) if high is None else high)))
        else:
            lo, hi = ranges[v.name]
            root.append((Fraction(int(sp.Rational(lo).p), int(sp.Rational(lo).q)),
                         Fraction(int(sp.Rational(hi).p), int(sp.Rational(hi).q))))
    try:
        claim_fn = iv_callable(expr, variables)
        domain = [(iv_callable(r.lhs - r.rhs, variables), OPS[type(r)]) for r in relations]
    except (ValueError, TypeError, NameError, KeyError) as error:
        # KeyError: sympy's printer has no interval form of zoo (the ties put the point
        # where the expression is undefined, e.g. x1 = x2 = 1 for ORPO's dL/dx1)
        return _unknown(name, f"not evaluable in interval arithmetic: {error!r}")
    search = _Search(claim_fn, problem.op, domain, root)
    queue: list[tuple[int, str]] = [(0, "")]
    timed_out = False
    classified = 0
    with mpmath.workprec(80):
        while queue:
            if classified >= max_boxes:
                timed_out = True
                search.undecided.extend(p for _, p in sorted(queue))
                break
            classified += 1
            _, path = heapq.heappop(queue)
            kind = search.classify(path)
            if kind in ("in", "out"):
                search.leaves[path] = kind
            elif kind == "violating":
                search.violating.append(path)
                break
            elif search.splittable(path):
                heapq.heappush(queue, (len(path) + 1, path + "0"))
                heapq.heappush(queue, (len(path) + 1, path + "1"))
            else:
                search.undecided.append(path)
    names = [v.name for v in variables]
    if search.violating:
        verdict = _refute_onbox(problem, search.root, search.violating[0], names, ties,
                                 variables)
        if verdict is not None:
            return verdict
    if not search.undecided and not search.violating:
        cert = Certificate(tuple(names), tuple(root),
                           tuple(sorted(search.leaves.items())),
                           mpmath.nstr(search.min_margin, 10) if search.min_margin is not None
                           else "none (every leaf is outside the domain)")
        counts = {k: sum(1 for v in search.leaves.values() if v == k) for k in ("in", "out")}
        return Verdict(
            name, Status.PROVED, "interval",
            Phrase(lhs_text(problem), f" {problem.op} 0 certified by mpmath interval "
                   f"arithmetic on {counts['in']} boxes covering the domain ({counts['out']} further boxes lie "
            f"outside it); the smallest certified margin is {cert.min_margin}; the cover "
            "was re-checked (paths prefix-free, Kraft sum 1, every box re-evaluated)"),
            None, {"boxes": counts["in"], "outside_boxes": counts["out"],
                   "boxes_classified": classified,
                   "min_margin": cert.min_margin, "certificate": cert.to_json()},
            IntervalProof(tuple(slacks), cert, tuple(variables)))
    total = Fraction(0)
    for path in search.undecided:
        total += Fraction(1, 2 ** len(path))
    shown = []
    for path in search.undecided[:8]:
        box = box_at(root, path)
        shown.append(join(", ", [Phrase(sp.Symbol(n), " in ", sp.Interval(
            sp.Rational(lo.numerator, lo.denominator), sp.Rational(hi.numerator, hi.denominator)))
            for n, (lo, hi) in zip(names, box)]))
    why = (f"the budget of {max_boxes} boxes was spent" if timed_out
           else "boxes at the smallest width still undecided")
    return _unknown(
        name, Phrase("interval arithmetic certified ", lhs_text(problem),
                     f" {problem.op} 0 on the domain except {len(search.undecided)} undecided "
                     f"boxes ({why}) covering {float(total):.3g} of the root box's volume, "
                     "e.g. ", join("; ", shown), " (a claim tight on a boundary stays "
                     "undecided in a band around it)"),
        {"certified_boxes": sum(1 for v in search.leaves.values() if v == "in"),
         "undecided_boxes": len(search.undecided),
         "undecided_volume_fraction": float(total), "boxes_classified": classified})


def _unknown(name: str, reason: str, details: dict | None = None) -> Verdict:
    return Verdict(name, Status.UNKNOWN, "interval", reason, None, details or {})


def _refute_onbox(problem, root, path, names, ties, variables):
    """A box where interval arithmetic shows the claim fails: certify it at the midpoint.

    The midpoint (exact dyadic rationals) goes through ``engine.refutation``, the one
    routine that certifies a violation at a point; None if it is not certified there.
    """

    box = box_at(root, path)
    point = {n: sp.Rational((lo + hi).numerator, 2 * (lo + hi).denominator)
             for n, (lo, hi) in zip(names, box)}
    for v, e in ties.items():
        point[v.name] = e.subs({w: sp.Rational(point[w.name]) for w in variables
                                if w in e.free_symbols})
    for v in problem.variables:  # constants the claim does not involve: any value of their range
        if v.name not in point:
            lo_hi = dict((n, (lo, hi)) for n, lo, hi in problem.ranges).get(v.name)
            point[v.name] = lo_hi[0] if lo_hi else problem.loss.parameter(v.name).default
    return refutation(problem, point, "interval + counterexample",
                      "(midpoint of a box on which interval arithmetic shows the claim fails)",
                      {"box": path})



"""Where the counterexample search looks, in the order a reader would believe a witness.

A counterexample at x1 = 3/4, x2 = 1/4 with the loss's own defaults convinces a reader;
one at x1 = (1 + 1e-30)*1e-300 with beta = 1000 is just as true and says much less, and
one with x1 + x2 > 1 is not a pair of responses to one prompt at all. So the candidate
points come in phases, each bounded by a count (never a clock):

1. ``moderate``: short rationals (denominators up to 8, and near-ties at 1/100 and
   1/1000), then lopsided pairs (1/2 or 9/10 against 1/20 ... 1e-5), inside the
   *realizable* set at the constants' defaults;
2. ``sweep``: each constant moved alone to every one of its moderate values (1, 2, 1/2,
   10, 1/10, ...) at the short realizable pairs (x1, x2 in 1/2, 1/3, 2/3, 1/4, 3/4): a
   claim that fails for another beta is usually caught here, at a few hundred points;
3. ``constants``: the rest of that kind of points, with one constant, then two, moved;
4. ``unrealizable``: moderate points outside the realizable set;
5. ``extreme``: probabilities down to 1e-300, ties at 1e-30, constants at the ends of
   their domains;
6. ``draws``: seeded random points (then hypothesis' search, in ``search``).

*Realizable*: x1 and x2 are the probabilities of two responses to one prompt, so
x1 + x2 <= 1, and likewise r_w + r_l <= 1 for the reference. *Moderate*: every
probability (x1, x2, r_w, r_l) lies in [1e-6, 1 - 1e-6]. A witness found late is
``shrunk`` toward the defaults and toward short rationals while its violation stays
certified, so the reported point is as simple as the claim allows.
"""
from __future__ import annotations

import functools
import itertools
import random
from collections.abc import Callable, Iterator, Mapping
from fractions import Fraction

import sympy as sp

from ..numerics.certify import exact_text
from .problem import Problem

__all__ = ["PHASES", "FIRST_PHASES", "SCREENS", "YIELD_ORDER", "candidates", "realizable",
           "moderate", "shrink", "describe", "MODERATE_LOW"]

R = sp.Rational

#: The phases in the order they are searched (see the module's docstring).
PHASES = ("moderate", "sweep", "constants", "unrealizable", "extreme", "draws")
#: The phases ``check`` searches before its provers: cheap, and a certified violation
#: there means no proof exists (the provers would only spend their time failing).
FIRST_PHASES = PHASES[:2]
#: Sets of points tried only to learn whether a claim is false before the provers run
#: (a certified violation there: no proof exists), never as a phase of the search, so the
#: witness a verdict reports still comes in the phases' order. ``corners``: the extreme
#: phase's realizable points near (0, 0) at the defaults, where many frame claims fail.
SCREENS = ("corners",)
#: The order in which ``candidates`` yields its points' phases (the screens after the sweep).
YIELD_ORDER = (*FIRST_PHASES, *SCREENS, *PHASES[2:])
#: A probability below this (or above 1 minus it) makes a point extreme.
MODERATE_LOW = R(1, 10**6)
_PROBABILITIES = ("x1", "x2", "r_w", "r_l")


def _short(max_den: int) -> list[sp.Rational]:
    """The rationals p/q in (0, 1) with q <= max_den, simplest first."""
    seen: list[sp.Rational] = []
    for q in range(2, max_den + 1):
        for p in range(1, q):
            if sp.igcd(p, q) == 1:
                seen.append(R(p, q))
    return seen


_GRID = _short(8)
_SMALL_GRID = _short(4)
_TIES = (R(1, 100), R(1, 1000))
#: lopsided moderate pairs, one probability small (1/20 down to 1e-5) and the other
#: 1/2 or 9/10: a claim that fails only at a large x1/x2 (cdpo's d_x1 < 0 near
#: (0.9, 0.05)) is shown there rather than at x1 = 1e-30, x2 = 1e-300
_LOPSIDED = tuple((big, small) for small in (R(1, 20), R(1, 100), R(1, 1000), R(1, 10**4),
                                              R(1, 10**5))
                  for big in (R(1, 2), R(9, 10)))
_EXTREME = [R(1, 10**300), R(1, 10**30), R(1, 10**6), R(1, 1000), R(1, 100), R(1, 10),
            R(1, 2), R(9, 10), R(99, 100), 1 - R(1, 10**20), sp.Integer(1)]


def realizable(point: Mapping[str, object]) -> bool:
    """x1 + x2 <= 1 and, when both references are in the point, r_w + r_l <= 1."""
    # bool(): sympy's comparisons give sympy booleans, and a verdict's details are JSON
    if bool(R(point["x1"]) + R(point["x2"]) > 1):
        return False
    if "r_w" in point and "r_l" in point:
        return bool(R(point["r_w"]) + R(point["r_l"]) <= 1)
    return True


#: the factors an unrealizable point's pairs are scaled by, the plainest first
_SCALES = tuple(sp.Rational(1, k) for k in (2, 4, 10, 100))


def realizable_moves(point: Mapping[str, object]) -> list[dict]:
    """``point`` moved onto the realizable set with x1/x2 (and r_w/r_l) kept: each
    pair that sums past 1 scaled by 1/2, 1/4, 1/10, 1/100 (the first that fits), then
    scaled to sum exactly 1. A margin loss depends on x1/x2 alone, so its violation
    off the set is often one on it (a Gram-frame margin rate, whose sign is x's)."""
    moves = []
    for exact in (False, True):
        moved = {k: R(v) for k, v in point.items()}
        for a, b in (("x1", "x2"), ("r_w", "r_l")):
            if a not in moved or b not in moved or moved[a] + moved[b] <= 1:
                continue
            total = moved[a] + moved[b]
            factor = 1 / total if exact else \
                next((f for f in _SCALES if total * f <= 1), 1 / total)
            moved[a], moved[b] = moved[a] * factor, moved[b] * factor
        if realizable(moved) and moved not in moves:
            moves.append(moved)
    return moves


def moderate(point: Mapping[str, object]) -> bool:
    """Every probability of the point (x1, x2, r_w, r_l) lies in [1e-6, 1 - 1e-6]."""
    return all(bool(MODERATE_LOW <= R(point[n]) <= 1 - MODERATE_LOW)
               for n in _PROBABILITIES if n in point)


def _pairs(grid: tuple, ties: tuple = ()) -> tuple[tuple[sp.Rational, sp.Rational], ...]:
    """(x1, x2) over the grid, the simplest pairs first, then near-ties around it."""
    return _pair_list(tuple(grid), tuple(ties))


@functools.lru_cache(maxsize=16)
def _pair_list(grid: tuple, ties: tuple) -> tuple:
    out = sorted(itertools.product(grid, repeat=2),
                 key=lambda ab: (max(ab[0].q, ab[1].q), ab[0].q + ab[1].q, ab))
    for eps in ties:
        for a in grid:
            for tie in (a * (1 + eps), a * (1 - eps)):
                if 0 < tie < 1:
                    out += [(tie, a), (a, tie)]
    return tuple(out)


@functools.lru_cache(maxsize=256)
def _moderate_values(parameter) -> tuple[sp.Expr, ...]:
    """Values of one constant, its default first, then moderate values in its domain.

    Kept per parameter: sympy's Interval.contains is slow, and the draws ask often.
    """
    values = [parameter.default]
    for v in (R(1), R(2), R(1, 2), R(10), R(1, 10), R(5), R(1, 5), R(1, 4), R(3, 4),
              R(100), R(1, 100)):
        if parameter.integer and not v.is_integer:
            continue
        if v not in values and parameter.domain.contains(v) is sp.true:
            values.append(v)
    return tuple(values)


@functools.lru_cache(maxsize=256)
def _extreme_values(parameter) -> tuple[sp.Expr, ...]:
    """Values of one constant at the ends of its domain."""
    values = []
    lo, hi = parameter.domain.inf, parameter.domain.sup
    for v in (lo, R(1, 10**4), R(1000), hi if hi.is_finite else R(10**6)):
        if parameter.integer and not v.is_integer:
            continue
        if v.is_finite and parameter.domain.contains(v) is sp.true and v not in values:
            values.append(v)
    return tuple(values)


def candidates(problem: Problem, count: int = 300
               ) -> Iterator[tuple[str, dict[str, sp.Expr]]]:
    """(phase, point) pairs: every phase of the module's docstring, bounded by counts.

    A point maps x1, x2 and every constant the problem leaves free to an exact rational
    (a ranged constant takes its range's ends and midpoint). Points may lie outside the
    claim's domain or the realizable set: the search filters them and tags the phase.
    """
    fixed = dict(problem.fixed)
    ranges = {n: (lo, hi) for n, lo, hi in problem.ranges}
    params = [p for p in problem.loss.parameters if p.name not in fixed]

    def base() -> dict:
        return {p.name: (ranges[p.name][0] + ranges[p.name][1]) / 2 if p.name in ranges
                else p.default for p in params}

    def moved(p) -> list:
        if p.name in ranges:
            lo, hi = ranges[p.name]
            return [lo, hi]
        return list(_moderate_values(p)[1:])

    defaults = base()
    for a, b in _pairs(_GRID, _TIES):
        yield "moderate", {**defaults, "x1": a, "x2": b}
    for big, small in _LOPSIDED:
        yield "moderate", {**defaults, "x1": big, "x2": small}
        yield "moderate", {**defaults, "x1": small, "x2": big}
    # one constant moved, then two: the point says which constant the failure needs
    # (the counts matter: a claim that holds visits every candidate). The sweep first:
    # each constant's values in their order (the least moved first), every value at all
    # the short realizable pairs before the next value is tried.
    short = [ab for ab in _pairs(_SMALL_GRID) if ab[0] + ab[1] <= 1]
    values = {p.name: moved(p) for p in params}
    for i in range(max(map(len, values.values()), default=0)):
        for a, b in short:
            for p in params:
                if i < len(values[p.name]):
                    yield "sweep", {**defaults, p.name: values[p.name][i], "x1": a, "x2": b}
    # not a phase of the search (see SCREENS): the extreme phase's realizable corners
    for a, b in itertools.product(_EXTREME[:3], repeat=2):
        yield "corners", {**defaults, "x1": a, "x2": b}
        for tie in (a * (1 + R(1, 10**30)), a * (1 - R(1, 10**30))):
            yield "corners", {**defaults, "x1": tie, "x2": a}
    for p in params:
        for v in moved(p):
            for a, b in _pairs(_SMALL_GRID, _TIES[:1]):
                if (a, b) not in short:  # tried by the sweep
                    yield "constants", {**defaults, p.name: v, "x1": a, "x2": b}
    for p, q in itertools.combinations(params, 2):
        for v, w in itertools.product(moved(p)[:2], moved(q)[:2]):
            for a, b in _pairs(_SMALL_GRID):
                yield "constants", {**defaults, p.name: v, q.name: w, "x1": a, "x2": b}
    for a, b in _pairs(_GRID, _TIES):
        yield "unrealizable", {**defaults, "x1": a, "x2": b}
    for a, b in itertools.product(_EXTREME, repeat=2):
        point = {**defaults, "x1": a, "x2": b}
        yield "extreme", point
        for tie in (a * (1 + R(1, 10**30)), a * (1 - R(1, 10**30))):
            if 0 < tie <= 1:
                yield "extreme", {**point, "x1": tie, "x2": a}
    for p in params:
        if p.name in ranges:
            continue
        for v in _extreme_values(p):
            for a, b in _pairs(_SMALL_GRID, _TIES[:1]):
                yield "extreme", {**defaults, p.name: v, "x1": a, "x2": b}
    rng = random.Random(20240406)
    for _ in range(count):
        point = {"x1": _draw_probability(rng), "x2": _draw_probability(rng)}
        for p in params:
            if p.name in ranges:
                lo, hi = ranges[p.name]
                point[p.name] = lo + (hi - lo) * R(repr(rng.random()))
            else:
                point[p.name] = rng.choice([*_moderate_values(p), *_extreme_values(p)])
        yield "draws", point


def _draw_probability(rng: random.Random) -> sp.Rational:
    if rng.random() < 0.3:
        return R(repr(10 ** rng.uniform(-12, 0)))
    return R(repr(rng.uniform(1e-9, 1)))


def _length(value: sp.Rational) -> int:
    """How long the value is to read: its exact text (a decimal if it ends, else p/q)."""
    return len(exact_text(value))


def _simpler(value: sp.Rational) -> list[sp.Rational]:
    """Strictly shorter rationals near ``value`` (best approximations), shortest first."""
    out = []
    exact = Fraction(int(value.p), int(value.q))
    for den in (2, 4, 5, 8, 10, 20, 100, 1000, 10**6):
        f = exact.limit_denominator(den)
        r = R(f.numerator, f.denominator)
        if r > 0 and r not in out and _length(r) < _length(value):
            out.append(r)
    return sorted(out, key=_length)


def shrink(point: Mapping[str, sp.Expr], problem: Problem,
           still_fails: Callable[[dict], bool], attempts: int = 40) -> dict:
    """``point`` moved toward the defaults and shorter rationals while it still fails.

    ``still_fails`` certifies the violation (the search passes the refutation routine);
    at most ``attempts`` calls, so shrinking is bounded by a count like the search.
    Constants are tried at their defaults first: a witness that needs a constant moved
    then shows exactly which one.
    """
    current = dict(point)
    fixed = dict(problem.fixed)
    ranged = {n for n, _, _ in problem.ranges}
    left = attempts
    params = [p for p in problem.loss.parameters if p.name not in fixed]
    for p in params:
        if left <= 0:
            break
        if p.name not in ranged and current.get(p.name) != p.default:
            left -= 1
            trial = {**current, p.name: p.default}
            if still_fails(trial):
                current = trial
    for name in ("x1", "x2", *(p.name for p in params if not p.integer
                                and p.name not in ranged)):
        for simpler in _simpler(R(current[name])):
            if left <= 0:
                return current
            left -= 1
            trial = {**current, name: simpler}
            if still_fails(trial):
                current = trial
                break
    return current


def describe(phase: str, point: Mapping[str, object], problem: Problem,
             tried: Mapping[str, int]) -> tuple[str, dict]:
    """Words and details on what kind of witness ``point`` is, for the verdict."""
    changed = [p for p in problem.loss.parameters
               if p.name not in dict(problem.fixed) and p.name not in
               {n for n, _, _ in problem.ranges} and p.name in point
               and R(point[p.name]) != p.default]
    details = {"witness": "moderate" if moderate(point) else "extreme",
               "realizable": realizable(point), "phase": phase,
               "constants_moved": [p.name for p in changed]}
    notes = []
    earlier = sum(n for ph, n in tried.items()
                  if PHASES.index(ph) < PHASES.index(phase))
    if not realizable(point):
        notes.append("the point is not realizable (x1 + x2 > 1 or r_w + r_l > 1: not two "
                     f"responses to one prompt); no violation was found at the {earlier} "
                     "realizable points tried first")
    elif not moderate(point):
        notes.append(f"the claim fails here at an extreme point; no violation was found at "
                     f"the {earlier} moderate points tried first (every probability in "
                     "[1e-6, 1 - 1e-6])")
    if changed:
        notes.append("it fails with " + ", ".join(
            f"{p.name} = {sp.sstr(point[p.name])} (default {sp.sstr(p.default)})"
            for p in changed) + "; no violation was found at the moderate points tried "
                                "with the defaults")
    return "; ".join(notes), details

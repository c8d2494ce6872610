"""Are two readings of a loss the same function? Proved, or refuted at a certified point.

Two readings a, b (e.g. TRL's alpha-divergence before and after its refactor) and an
optional parameter map (b's constants as expressions in a's, e.g. alpha -> 1 - alpha)
are decided in three grades:

* ``same function``: a(x; p) = b(x; map(p)) identically (the canonical form of the
  difference is 0; ``field.canonical.prove_equal``);
* ``same field``: the values differ but both partials agree identically, so the
  difference is a function of the constants alone and gradient descent cannot tell the
  readings apart;
* ``different``: a point (x1, x2, constants in both domains) where the values (or the
  partials) differ, with the sign of the difference certified by exact or
  outward-rounded interval arithmetic there.

Anything else is ``undecided`` with the reason. The point search is bounded by a count
(a fixed grid), never by a clock, so the same input gives the same answer.
"""
from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

import sympy as sp

from ..budget import time_budget
from ..errors import DerivationTimeout, InvalidArgument
from ..field.canonical import canonical, prove_equal
from ..loss.functions import to_elementary
from ..loss.loss import Loss
from ..loss.names import get_variant
from ..loss.readings import FINDINGS, Finding
from ..loss.parser import parse_expression
from ..loss.symbols import Parameter, x1, x2
from ..numerics.certify import certified_sign

__all__ = ["Sameness", "compare_readings", "RELATIONS", "FindingResult", "decide_finding",
           "decide_findings"]

RELATIONS = ("same function", "same field", "different", "undecided")

#: Probabilities tried, in order: realizable pairs first (x1 + x2 <= 1).
R = sp.Rational
_PAIRS = ((R(1, 2), R(1, 4)), (R(1, 4), R(1, 2)), (R(3, 5), R(1, 5)),
          (R(1, 10), R(3, 10)), (R(7, 10), R(1, 10)), (R(1, 50), R(1, 20)))
#: Values tried for each constant besides its default (when inside its domain).
_OTHERS = (R(1, 4), R(3, 4), R(3, 10), R(2), R(5), R(1, 20))
#: Bounds the point search: the candidate points tried at most.
MAX_POINTS = 400


@dataclass(frozen=True)
class Sameness:
    """The decided relation between readings ``a`` and ``b`` under ``parameter_map``."""

    a: str
    b: str
    parameter_map: tuple[tuple[str, str], ...]
    relation: str
    argument: str
    #: where the readings differ (names -> exact values), if they do
    point: tuple[tuple[str, str], ...] = ()
    #: what differs there ("loss", "d_x1" or "d_x2") and the certified difference a - b
    quantity: str = ""
    difference: str = ""

    @property
    def same(self) -> bool | None:
        return {"same function": True, "same field": True, "different": False}.get(
            self.relation)

    def __repr__(self) -> str:
        return f"<Sameness {self.describe()}>"

    def describe(self) -> str:
        mapping = (" with " + ", ".join(f"{k} -> {v}" for k, v in self.parameter_map)
                   if self.parameter_map else "")
        text = f"{self.a} vs {self.b}{mapping}: {self.relation} ({self.argument})"
        if self.point:
            at = ", ".join(f"{k}={v}" for k, v in self.point)
            text += f"; at {at} the difference of {self.quantity} {self.difference}"
        return text

    def to_json(self) -> dict:
        return {"a": self.a, "b": self.b, "parameter_map": dict(self.parameter_map),
                "relation": self.relation, "argument": self.argument,
                "point": dict(self.point), "quantity": self.quantity,
                "difference": self.difference}


def _parsed_map(a: Loss, b: Loss, parameter_map) -> dict[sp.Symbol, sp.Expr]:
    names = {p.name: p.symbol for p in a.parameters}
    out = {}
    for name, value in (parameter_map or {}).items():
        target = b.parameter(name).symbol
        if isinstance(value, sp.Basic):
            expr = value
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            expr = sp.Rational(repr(value))
        else:
            expr = parse_expression(str(value), names)
        stray = {s.name for s in expr.free_symbols} - set(names)
        if stray:
            raise InvalidArgument(f"the map of {name} uses {', '.join(sorted(stray))}, which "
                                  f"{a.name} does not have")
        out[target] = expr
    return out


def _values(p: Parameter) -> list[sp.Expr]:
    out = [p.default]
    for v in _OTHERS:
        v = sp.Integer(int(v)) if p.integer and v.is_integer else v
        if (not p.integer or v.is_integer) and p.domain.contains(v) is sp.true and v not in out:
            out.append(v)
    return out


def _points(a: Loss, b: Loss, mapping: dict[sp.Symbol, sp.Expr]):
    """Candidate points in both domains: a's constants (and b's unmapped ones), then x."""
    free = list(a.parameters) + [p for p in b.parameters if p.symbol not in mapping
                                 and p.symbol not in {q.symbol for q in a.parameters}]
    b_domain = {p.symbol: p.domain for p in b.parameters}
    grids = [_values(p) for p in free]
    # Vary one constant at a time before pairs of them: the defaults first. Lazily: the
    # full product of 7 values for 6 constants is 117,649 tuples, far past MAX_POINTS.
    first = [tuple(g[0] for g in grids)]
    for i, g in enumerate(grids):
        first += [tuple(v if j == i else grids[j][0] for j in range(len(grids))) for v in g[1:]]
    seen = set(first)
    combos = itertools.chain(first, (c for c in itertools.product(*grids) if c not in seen))
    count = 0
    for combo in combos:
        at = dict(zip([p.symbol for p in free], combo))
        mapped = {s: e.xreplace(at) for s, e in mapping.items()}
        if any(b_domain[s].contains(v) is not sp.true for s, v in mapped.items()):
            continue
        for pair in _PAIRS:
            count += 1
            if count > MAX_POINTS:
                return
            yield {x1: pair[0], x2: pair[1], **at}


def _differs(quantities, a: Loss, b: Loss, mapping) -> tuple[dict, str, str] | None:
    """The first candidate point where a quantity (already mapped) is certified != 0."""
    for point in _points(a, b, mapping):
        for name, expr in quantities:
            value = expr.xreplace(point)
            cert = certified_sign(value, {s.name: v for s, v in point.items()})
            if cert is not None and cert.sign != 0:
                return point, name, cert.describe()
    return None


def compare_readings(a: Loss, b: Loss, parameter_map: Mapping[str, object] | None = None,
                     budget: float | None = 60.0) -> Sameness:
    """Decide whether ``a`` and ``b`` (b's constants mapped by ``parameter_map``) are the
    same function of (x1, x2), the same gradient field, or different (with a point).

    Order: the canonical form of the difference (cheap, decides most identities); then
    the bounded point search on the partials (a certified difference settles
    "different" without a proof attempt that could not succeed); then the proofs.
    """
    mapping = _parsed_map(a, b, parameter_map)
    shown = tuple((s.name, sp.sstr(e)) for s, e in mapping.items())
    ea, eb = to_elementary(a.expr), to_elementary(b.expr).xreplace(mapping)
    out = dict(a=a.name, b=b.name, parameter_map=shown)
    partials = [(f"d_{v.name}", sp.diff(ea - eb, v)) for v in (x1, x2)]
    try:
        with time_budget(budget, f"comparing {a.name} with {b.name}"):
            if canonical(ea - eb) == 0:
                return Sameness(**out, relation="same function",
                                argument="canonical form of the difference is 0")
            differs = _differs(partials, a, b, mapping)
            if differs:
                point, quantity, cert = differs
                return Sameness(**out, relation="different",
                                argument="a certified point where the gradients differ",
                                point=_shown(point), quantity=quantity, difference=cert)
            same, argument = prove_equal(ea, eb)
            if same:
                return Sameness(**out, relation="same function", argument=argument)
            field_same = all(prove_equal(sp.diff(ea, v), sp.diff(eb, v))[0] for v in (x1, x2))
            found = _differs([("loss", ea - eb)], a, b, mapping)
    except DerivationTimeout as error:
        return Sameness(**out, relation="undecided", argument=str(error))
    if field_same:
        return Sameness(**out, relation="same field",
                        argument="both partials agree identically (the difference is a "
                                 "function of the constants alone)"
                                 + ("; the values differ" if found else ""),
                        **(dict(point=_shown(found[0]), quantity="loss", difference=found[2])
                           if found else {}))
    if found:
        point, quantity, cert = found
        return Sameness(**out, relation="different", argument="a certified point where the "
                        "values differ (the gradients were not separated)",
                        point=_shown(point), quantity=quantity, difference=cert)
    return Sameness(**out, relation="undecided",
                    argument=f"not proved equal ({argument}) and no point of the bounded "
                             "search certifies a difference")


def _shown(point: Mapping) -> tuple[tuple[str, str], ...]:
    return tuple((s.name, sp.sstr(v)) for s, v in point.items())


@dataclass(frozen=True)
class FindingResult:
    """A finding of the catalogue and the relation the package decided for it."""

    finding: Finding
    sameness: Sameness

    @property
    def agrees(self) -> bool | None:
        """Whether the decided relation is what the source states (None: undecided)."""
        same = self.sameness.same
        return None if same is None else same == (self.finding.stated == "same")

    def to_json(self) -> dict:
        f = self.finding
        return {"key": f.key, "title": f.title, "source": f.source, "a": f.a, "b": f.b,
                "stated": f.stated, "fixed_a": {k: str(v) for k, v in f.fixed_a},
                "fixed_b": {k: str(v) for k, v in f.fixed_b}, "note": f.note,
                "agrees": self.agrees, "decided": self.sameness.to_json()}


def _resolved(name: str, fixed) -> Loss:
    loss = get_variant(name)
    return loss.with_parameters(dict(fixed)) if fixed else loss


def decide_finding(finding: Finding, budget: float | None = 60.0) -> FindingResult:
    """Compare the finding's two readings (constants fixed and mapped as it says)."""
    a, b = _resolved(finding.a, finding.fixed_a), _resolved(finding.b, finding.fixed_b)
    return FindingResult(finding, compare_readings(a, b, dict(finding.parameter_map), budget))


def decide_findings(keys=None, budget: float | None = 60.0) -> tuple[FindingResult, ...]:
    """Every finding (or those named), decided in the catalogue's order."""
    known = {f.key: f for f in FINDINGS}
    for k in keys or ():
        if k not in known:
            from difflib import get_close_matches

            near = get_close_matches(k, list(known), n=1)
            raise InvalidArgument(f"unknown finding {k!r}"
                                  + (f"; did you mean {near[0]!r}?" if near else ""))
    chosen = [known[k] for k in keys] if keys else list(FINDINGS)
    return tuple(decide_finding(f, budget) for f in chosen)

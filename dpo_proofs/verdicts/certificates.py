"""The certificate language of the proof kernel: what a prover hands in.

A certificate is a frozen value naming exactly what ``kernel.verify`` re-checks: the
slack substitutions that encode domain relations, the factors and the signs claimed for
them, the pieces of a piecewise claim, the branches of a union domain, an interval box
cover. The normal forms (``normalize``, ``split_cases``, ``piece_domains``) are shared by
the prover and the kernel so that both read a claim the same way; the kernel re-derives
them from the claim, never takes them from the prover.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Union

import sympy as sp

from ..field.signs import RELATION_OPS
from ..loss.functions import to_elementary
from ..loss.symbols import PROBABILITIES, REFERENCES
from ..phrases import Phrase

__all__ = ["Slack", "Factor", "SignProof", "CaseProof", "UnionProof", "IntervalProof",
           "RootBoundProof", "root_bound_parts",
           "DefinedProof", "EmptyProof", "negation",
           "Proof", "KernelError", "OPS", "SIGN_SETS", "CASES", "normalize", "split_cases",
           "piece_domains", "sign_text", "UNDEFINED", "narrowed"]

#: relation class -> operator text
OPS = RELATION_OPS
#: the signs an ``expr op 0`` allows
SIGN_SETS = {">": frozenset({1}), ">=": frozenset({0, 1}), "<": frozenset({-1}),
             "<=": frozenset({-1, 0}), "=": frozenset({0}), "!=": frozenset({-1, 1})}
CASES = (sp.Piecewise, sp.Max, sp.Min, sp.Abs, sp.Heaviside, sp.sign)


class KernelError(Exception):
    """A certificate does not check: the message says which rule failed and where."""


def normalize(relation: sp.Basic) -> tuple[sp.Expr, str]:
    """``a op b`` as ``g op' 0`` with op' in '>', '>=', '=', '!='."""
    op = OPS.get(type(relation))
    if op is None:
        raise KernelError(f"{sp.sstr(relation)} is not a relation")
    gap = relation.lhs - relation.rhs
    if op in ("<", "<="):
        return -gap, op.replace("<", ">")
    return gap, op


def gap_of(relation: sp.Basic) -> tuple[sp.Expr, str] | None:
    """``normalize(relation)``, or None for what is no relation (true, false)."""
    return normalize(relation) if type(relation) in OPS else None


#: the claim ``gap op' 0`` that holds exactly where ``gap op 0`` fails
_NEGATED = {">": ">=", ">=": ">", "=": "!=", "!=": "="}


def negation(relation: sp.Basic) -> tuple[sp.Expr, str]:
    """The complement of a relation as ``g op 0``: not (g > 0) is -g >= 0, not (g >= 0)
    is -g > 0, not (g = 0) is g != 0, not (g != 0) is g = 0."""
    gap, op = normalize(relation)
    return (-gap if op in (">", ">=") else gap), _NEGATED[op]


def _linear_bounds(domain: Sequence[sp.Basic]):
    """(op, poly) for each relation of the domain that reads g > 0 or g >= 0 with g of
    degree 1 in its free symbols (``poly`` is g over them, in a fixed order)."""
    for relation in domain:
        try:
            gap, op = normalize(relation)
        except KernelError:
            continue
        free = sorted(gap.free_symbols, key=str)
        if op not in (">", ">=") or not free or not gap.is_polynomial(*free):
            continue
        poly = sp.Poly(gap, *free)
        if poly.total_degree() == 1:
            yield op, poly


def narrowed(domains: dict, domain: Sequence[sp.Basic]) -> dict:
    """Each constant's interval intersected with the domain's bounds on it alone (a
    relation k*v + m op 0 with k, m numbers, e.g. c > 0): the claim is about the domain,
    so reading its bounds into the constants' sets only restates a hypothesis."""
    out = dict(domains)
    for op, poly in _linear_bounds(domain):
        if len(poly.gens) != 1:
            continue
        (v,) = poly.gens
        if v not in out or not isinstance(out[v], sp.Interval):
            continue
        k, m = poly.all_coeffs()
        if not (k.is_number and m.is_number and k.is_real and m.is_real) or k == 0:
            continue
        edge, strict = -m / k, op == ">"
        bound = (sp.Interval(edge, sp.oo, left_open=strict) if k > 0 else
                 sp.Interval(-sp.oo, edge, right_open=strict))
        meet = out[v].intersect(bound)
        if isinstance(meet, sp.Interval):
            out[v] = meet
    for v in below_one(domain):
        out[v] = out.get(v, BELOW_ONE).intersect(BELOW_ONE)
    return out


#: a probability's set where the domain keeps it below 1 (``below_one``)
BELOW_ONE = sp.Interval.open(0, 1)


def below_one(domain: Sequence[sp.Basic]) -> frozenset:
    """The probabilities and references that the domain keeps strictly below 1 (each is
    in (0, 1] by definition): from a relation m - sum k_i*v_i >= 0 (> 0) with numbers
    m and k_i > 0 over probabilities v_i, v_j <= (m - sum_{i != j} k_i*v_i)/k_j, which
    is < 1 where m/k_j < 1, or m/k_j = 1 and the relation is strict or has another
    term (v_i > 0). So x1 + x2 <= 1 keeps both below 1, x1 <= 9/10 keeps x1; x1 <= x2
    keeps nothing (x1 = x2 = 1)."""
    out = set()
    variables = set(PROBABILITIES) | set(REFERENCES)
    for op, poly in _linear_bounds(domain):
        if not set(poly.gens) <= variables:
            continue
        m = poly.coeff_monomial(1)
        k = {v: poly.coeff_monomial(v) for v in poly.gens}
        if not (m.is_number and all(c.is_number and c.is_negative for c in k.values())):
            continue
        for v, c in k.items():
            edge = m / -c
            if edge < 1 or (edge == 1 and (op == ">" or len(k) > 1)):
                out.add(v)
    return frozenset(out)


def split_cases(expr: sp.Expr) -> sp.Expr:
    """Max, Min, Abs, Heaviside and sign as Piecewise, folded to the top (K1)."""
    expr = to_elementary(sp.sympify(expr))
    if expr.has(*CASES):
        expr = _one_spelling(sp.piecewise_fold(expr.rewrite(sp.Piecewise)))
    return expr


def _one_spelling(expr: sp.Expr) -> sp.Expr:
    """A Piecewise whose conditions spell one relation two ways (beta*(a - b) <= -1 and
    beta*a - beta*b <= -1, from two chain rules) with one spelling, the first in sympy's
    order: the same set, and the pieces 'A and not B' that are empty then vanish."""
    if not isinstance(expr, sp.Piecewise):
        return expr
    atoms = set().union(*[c.atoms(sp.core.relational.Relational) for _, c in expr.args])
    first, swap = {}, {}
    for r in sorted(atoms, key=sp.default_sort_key):
        normalized = gap_of(r)  # a <= b and b >= a alike
        if normalized is None:
            continue
        gap, op = normalized
        key = (op, sp.expand(gap))
        if key in first:
            swap[r] = first[key]
        else:
            first[key] = r
    return sp.Piecewise(*[(e, c.xreplace(swap)) for e, c in expr.args]) if swap else expr


# --- certificates ---------------------------------------------------------------------

@dataclass(frozen=True)
class Slack:
    """Domain relation ``relation`` encoded as ``variable = value`` (K4).

    ``slack`` is the new symbol (positive or nonnegative) or 0 for an equality;
    ``inverse`` is psi with slack = psi(x), and ``quotient`` q with psi = g * q.
    For an equality, ``quotient`` is A with g = A * (variable - value).
    """

    relation: sp.Basic
    variable: sp.Symbol
    value: sp.Expr
    slack: sp.Expr
    inverse: sp.Expr
    quotient: sp.Expr

    def text(self) -> Phrase:
        rel = self.relation  # an equality as a reader writes it, not sympy's Eq(a, b)
        where = Phrase(rel.lhs, " = ", rel.rhs) if isinstance(rel, sp.Eq) else Phrase(rel)
        if self.slack == 0:
            return Phrase("on ", where, " write ", self.variable, " = ", self.value)
        strict = " > 0" if self.slack.is_positive else " >= 0"
        return Phrase("on ", where, " write ", self.variable, " = ", self.value, " with ",
                      self.slack, strict)


@dataclass(frozen=True)
class Factor:
    """A factor ``base**exponent`` and the signs it may take (a subset of {-1, 0, 1})."""

    base: sp.Expr
    exponent: sp.Expr
    signs: frozenset
    #: a domain relation whose gap the base is (a nonzero number times it, after the
    #: proof's substitutions): its sign is the relation's, not the assumptions' (K9)
    relation: sp.Basic | None = None
    #: the Polya exponent N of a sign found on the domain's polygon (K12)
    polygon: int | None = None

    def text(self) -> Phrase:
        f = self.base if self.exponent == 1 else sp.Pow(self.base, self.exponent,
                                                           evaluate=False)
        by = Phrase(" (by ", self.relation, ")") if self.relation is not None else ""
        if self.polygon is not None:
            by = Phrase(" (by Polya's certificate on the triangles of the domain's "
                        "polygon", f", times (l1 + l2 + l3)**{self.polygon}"
                        if self.polygon else "", ")")
        return Phrase(f, " ", sign_text(self.signs), by)


@dataclass(frozen=True)
class SignProof:
    """expr∘slacks = constant * prod(factors), each factor's sign fixed (K1-K4)."""

    slacks: tuple[Slack, ...]
    constant: sp.Expr
    factors: tuple[Factor, ...]


@dataclass(frozen=True)
class CaseProof:
    """A piecewise expression proved piece by piece (K5); ``pieces`` = (expr, cond, proof).

    A piece whose value is nan (a quantity the package leaves undefined there, such as
    R = |dL/dx2|/|dL/dx1| where both partials vanish) has the proof ``UNDEFINED``: the
    claim is about the quantity where it is defined, and the verdict says where not.
    """

    pieces: tuple[tuple[sp.Expr, sp.Basic, "Proof | str"], ...]

    def undefined_where(self) -> tuple[sp.Basic, ...]:
        out = []
        for _, c, sub in self.pieces:
            if sub == UNDEFINED:
                out.append(c)
            elif isinstance(sub, CaseProof):
                out += [sp.And(c, w) for w in sub.undefined_where()]
        return tuple(out)


#: the proof of a piece on which the expression is nan (undefined)
UNDEFINED = "undefined"


@dataclass(frozen=True)
class UnionProof:
    """An equality domain g = 0 split into its branches f_i = 0 (K5).

    ``branches`` = (f_i, k_i, proof on the branch, or None when f_i != 0 on the domain).
    """

    relation: sp.Basic
    constant: sp.Expr
    branches: tuple[tuple[sp.Expr, sp.Expr, "Proof | None"], ...]


@dataclass(frozen=True)
class IntervalProof:
    """A re-checkable box cover (K6) of expr∘ties on the domain's other relations."""

    ties: tuple[Slack, ...]
    certificate: object  # cover.Certificate
    variables: tuple[sp.Symbol, ...]


@dataclass(frozen=True)
class DefinedProof:
    """The claim where its expression is defined (K7): the square without ``excluded``
    (the corner x1 = x2 = 1, an edge x1 = 1 or x2 = 1, or both edges), on which exact
    substitution gives no number, is covered by ``parts``: (extra relations, proof of
    the claim on the domain with them)."""

    excluded: str   # "corner", "x1", "x2" or "edges"
    parts: tuple[tuple[tuple[sp.Basic, ...], "Proof"], ...]


@dataclass(frozen=True)
class EmptyProof:
    """The domain is empty (K10): ``relation``, one of its relations, fails wherever the
    others hold; ``proof`` proves its negation (``negation``) on the others. Any claim
    holds on an empty set; a piece of a piecewise claim that the domain excludes (the
    hinge's flat part where x1/x2 cannot reach e**(1/beta)) is proved this way."""

    relation: sp.Basic
    proof: "Proof"


@dataclass(frozen=True)
class RootBoundProof:
    """expr = P * (A - k*c) on a domain holding ``relation``: Q - m*c**2 >= 0 (m > 0) (K11).

    With P > 0, A > 0 and m*A**2 - k**2*Q > 0 (each proved on the domain), A exceeds
    |k|*sqrt(Q/m) >= |k|*|c| >= k*c, so expr > 0 (>= 0 from the non-strict ones): the
    AM-GM step c <= sqrt(a*b) <= (a + b)/2 of a Gram matrix, for instance.
    """

    relation: sp.Basic
    variable: sp.Symbol
    linear: sp.Expr          # A - k*c
    cofactor: sp.Expr        # P
    cofactor_proof: "Proof"
    constant_proof: "Proof"  # of A op 0
    bound_proof: "Proof"     # of m*A**2 - k**2*Q op 0


Proof = Union[SignProof, CaseProof, UnionProof, IntervalProof, DefinedProof, EmptyProof,
              RootBoundProof]




def sign_text(signs: frozenset) -> str:
    """'> 0', '>= 0', ... for a set of signs."""
    return {frozenset({1}): "> 0", frozenset({-1}): "< 0", frozenset({0}): "= 0",
            frozenset({0, 1}): ">= 0", frozenset({-1, 0}): "<= 0",
            frozenset({-1, 1}): "!= 0"}.get(frozenset(signs), "of any sign")


def _condition_relations(cond: sp.Basic) -> list[sp.Basic]:
    if cond is sp.true:
        return []
    if isinstance(cond, sp.And):
        return [r for a in cond.args for r in _condition_relations(a)]
    if type(cond) in OPS:
        return [cond]
    return []  # an Or, or anything else: dropped (a larger set; sound)


def _negation(cond: sp.Basic) -> list[sp.Basic]:
    if type(cond) in OPS and type(cond) is not sp.Equality:
        neg = sp.Not(cond)
        return [neg] if type(neg) in OPS else []
    if isinstance(cond, sp.Or):  # not (a or b) = not a and not b
        return [r for a in cond.args for r in _negation(a)]
    return []


#: conditions with at most this many distinct relations are put in disjunctive normal
#: form (propositional simplification is exponential in them)
DNF_MAX_ATOMS = 6


def _disjunctive(cond: sp.Basic) -> sp.Basic:
    """A nested And/Or condition (sympy folds Max(a, Min(b, z)) into a conjunction of
    disjunctions) in disjunctive normal form, each relation an atom: a propositional
    equivalence, so the pieces it gives are the same function."""
    if not isinstance(cond, sp.And) or not cond.has(sp.Or):
        return cond
    if len(cond.atoms(sp.core.relational.Relational)) > DNF_MAX_ATOMS:
        return cond
    return sp.to_dnf(cond, simplify=True)


def piece_domains(pw: sp.Piecewise, domain: Sequence[sp.Basic]):
    """(expr, cond, the domain where this piece applies) for each piece (K5).

    A piece whose condition is a disjunction a1 | a2 | ... is taken one disjunct at a
    time, as the pieces (e, a1), (e, a2), ...: a Piecewise takes its first true piece,
    so this is the same function, and each disjunct's relations join its domain (a
    clipped loss is constant where z >= 2R or z <= -2R: two pieces, each with its
    relation, where one piece with the Or would have had none)."""
    before: list[sp.Basic] = []
    out = []
    for e, c in pw.args:
        c = _disjunctive(c)
        for part in (c.args if isinstance(c, sp.Or) else (c,)):
            out.append((e, part, tuple(domain) + tuple(_condition_relations(part))
                        + tuple(before)))
            before += _negation(part)
    return out


def root_bound_parts(relation: sp.Basic, c: sp.Symbol, linear: sp.Expr
                     ) -> tuple[sp.Expr, sp.Expr, sp.Expr, sp.Expr] | None:
    """(m, Q, A, k) when ``relation`` reads Q - m*c**2 >= 0 (or > 0) with m a positive
    number and Q free of c, and ``linear`` is A - k*c with A, k free of c; else None."""
    gap, op = normalize(relation)
    if op not in (">", ">=") or not c.is_Symbol or not c.is_real:
        return None
    gap, linear = sp.expand(gap), sp.expand(linear)
    try:
        g, f = sp.Poly(gap, c), sp.Poly(linear, c)
    except sp.PolynomialError:
        return None
    if g.degree() != 2 or f.degree() != 1:
        return None
    m = -g.coeff_monomial(c ** 2)
    if g.coeff_monomial(c) != 0 or not (m.is_number and m.is_positive):
        return None
    Q = g.coeff_monomial(1)
    A, k = f.coeff_monomial(1), -f.coeff_monomial(c)
    if any(e.has(c) for e in (Q, A, k)) or not (A.is_real and k.is_real):
        return None   # k**2 = |k|**2 and A > 0 need real A and k
    return m, Q, A, k

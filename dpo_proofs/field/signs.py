"""Signs of expressions on the domain, factor by factor, and the regions they define.

An expression is factored; each factor's sign is decided from the assumptions
(every symbol positive, probabilities at most 1) or left undecided. The region where
the expression is positive is then the exact sign condition on the undecided factors.
sympy's three-valued answers are kept three-valued: None stays undecided.
"""
from __future__ import annotations

import contextlib
import contextvars
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import sympy as sp

from .canonical import canonical
from ..loss.symbols import PROBABILITIES, REFERENCES

__all__ = ["FactorSign", "SignAnalysis", "sign_of", "analyze_sign", "relation", "RELATION_OPS",
           "parameter_domains", "domain_substitution", "bounded", "active_domains",
           "domains_in_force"]

_slack_cache: dict[sp.Symbol, sp.Symbol] = {}
_domain_slacks: dict[tuple[str, bool], sp.Symbol] = {}
#: symbol -> interval of the constants of the loss being analysed (see parameter_domains).
_DOMAINS: contextvars.ContextVar[dict] = contextvars.ContextVar("dpo_proofs_domains",
                                                               default={})


def active_domains() -> dict:
    """symbol -> interval of the constants in force (see parameter_domains)."""
    return dict(_DOMAINS.get())


@contextlib.contextmanager
def parameter_domains(parameters: Iterable) -> Iterator[None]:
    """Within the block, sign decisions also use each Parameter's domain (eps < 1/2, ...)."""
    mapping = dict(_DOMAINS.get())
    mapping.update({p.symbol: p.domain for p in parameters})
    token = _DOMAINS.set(mapping)
    try:
        yield
    finally:
        _DOMAINS.reset(token)


@contextlib.contextmanager
def domains_in_force(mapping: dict) -> Iterator[None]:
    """Within the block, exactly ``mapping`` (symbol -> interval) is in force: lets a
    quantity derived later (lazily) see the constants' domains its field was derived with."""
    token = _DOMAINS.set(dict(mapping))
    try:
        yield
    finally:
        _DOMAINS.reset(token)


def _slack(name: str, strict: bool) -> sp.Symbol:
    key = (name, strict)
    if key not in _domain_slacks:
        _domain_slacks[key] = (sp.Symbol(f"_d_{name}", positive=True) if strict
                               else sp.Symbol(f"_d_{name}", nonnegative=True))
    return _domain_slacks[key]


def domain_substitution(symbol: sp.Symbol, domain: sp.Interval) -> sp.Expr | None:
    """symbol written as a bijection from a slack t >= 0 (or > 0) onto ``domain``.

    E.g. [0, 1/2) is t/(2(1+t)) with t >= 0. None when the symbol's own assumptions
    already say all sympy can use, or the interval is closed at both finite ends.
    """
    if not isinstance(domain, sp.Interval):
        return None
    lo, hi = domain.inf, domain.sup
    name = symbol.name
    if hi is sp.oo and lo.is_finite:
        if lo == 0 and (symbol.is_positive or (symbol.is_nonnegative and not domain.left_open)):
            return None
        return lo + _slack(name, domain.left_open)
    if lo is sp.S.NegativeInfinity and hi.is_finite:
        return hi - _slack(name, domain.right_open)
    if lo.is_finite and hi.is_finite:
        if domain.right_open:
            t = _slack(name, domain.left_open)
            return lo + (hi - lo) * t / (1 + t)
        if domain.left_open:
            t = _slack(name, False)
            return hi - (hi - lo) * t / (1 + t)
    return None


def _at_most_one(symbol: sp.Symbol) -> sp.Symbol:
    # x in (0, 1] is x = 1/(1 + a) with a >= 0: sympy then knows log(x) <= 0, x <= 1.
    if symbol not in _slack_cache:
        _slack_cache[symbol] = sp.Symbol(f"_a_{symbol.name}", nonnegative=True)
    return _slack_cache[symbol]


def sign_of(expr: sp.Expr, assumptions: dict | None = None) -> int | None:
    """+1, -1 or 0 if the sign of ``expr`` is the same on the whole domain, else None.

    ``assumptions`` maps symbols to substitutions that encode extra facts (for example
    x1 -> x2 + s with s > 0 for the region x1 > x2); they are applied first.
    """
    if assumptions:
        expr = expr.subs(assumptions)
    for candidate in _candidates(expr):
        if candidate.is_zero:
            return 0
        if candidate.is_positive:
            return 1
        if candidate.is_negative:
            return -1
    return None


#: Work bound of the last candidate of ``sign_of``: factoring the bounded form over one
#: denominator. Across the catalogue's fields in every frame it decided signs of factors
#: of at most ~40 operations and failed on every larger one, taking up to 10 s each on
#: the velocity factors of a frame; the bound keeps a field's derivation bounded by work
#: (not by a clock, so the result is the same on any machine). Sound either way: a sign
#: not found is reported unknown.
FACTOR_OPS = 100


def _candidates(expr: sp.Expr):
    # Cheapest first: the expression, then with the bounds substituted, then that
    # substitution over one denominator and factored (r(1-lam) + lam*x with lam in
    # (0, 1] only shows its sign once lam = 1/(1+t) is written out).
    yield expr
    encoded = bounded(expr)
    yield encoded
    if sp.count_ops(encoded) > FACTOR_OPS:
        return
    if encoded.is_Add or encoded.is_Pow and encoded.base.is_Add:
        try:
            yield sp.factor(sp.together(encoded))
        except (sp.PolynomialError, NotImplementedError):
            return


def bounded(expr: sp.Expr) -> sp.Expr:
    bounded = {s: 1 / (1 + _at_most_one(s)) for s in (*PROBABILITIES, *REFERENCES)
               if s in expr.free_symbols}
    for symbol, domain in _DOMAINS.get().items():
        if symbol in expr.free_symbols and symbol not in bounded:
            sub = domain_substitution(symbol, domain)
            if sub is not None:
                bounded[symbol] = sub
    return sp.expand_log(expr.subs(bounded), force=False) if bounded else expr


#: relation class -> operator text (the one table: the kernel's certificates, the interval
#: enclosures and the region forms read relations through it)
RELATION_OPS = {sp.StrictGreaterThan: ">", sp.GreaterThan: ">=", sp.StrictLessThan: "<",
                sp.LessThan: "<=", sp.Equality: "=", sp.Unequality: "!="}


def relation(factor: sp.Expr, op: str) -> sp.Basic:
    """``factor op 0`` written the way a reader expects: x1 - x2 > 0 becomes x1 > x2."""
    terms = sp.Add.make_args(factor)
    positive = [t for t in terms if not t.could_extract_minus_sign()]
    negative = [-t for t in terms if t.could_extract_minus_sign()]
    if factor.is_Add and positive and negative:
        lhs, rhs = sp.Add(*positive), sp.Add(*negative)
    else:
        lhs, rhs = factor, sp.S.Zero
    # A constant factor (E, when exp(A) was written E**A) is decided, not kept as the
    # unevaluated Eq(E, 0): whether sympy wrote exp(A) or E**A depends on what it built
    # before, and an unevaluated relation made the flow's limit depend on that history.
    evaluate = bool(factor.is_number)
    return {">": sp.StrictGreaterThan, "<": sp.StrictLessThan,
            "=": sp.Eq, "!=": sp.Ne}[op](lhs, rhs, evaluate=evaluate)


@dataclass(frozen=True)
class FactorSign:
    """A factor ``base**exponent`` of the expression and the sign of its base."""

    base: sp.Expr
    exponent: sp.Expr
    sign: int | None

    @property
    def in_denominator(self) -> bool:
        return bool(self.exponent.is_negative)

    @property
    def odd(self) -> bool | None:
        """Whether the factor's sign follows its base's (None: symbolic exponent)."""
        if self.exponent.is_integer:
            return bool(self.exponent.is_odd)
        return None


@dataclass(frozen=True)
class SignAnalysis:
    """expr = constant * prod(factors), with each factor's sign decided or not."""

    expr: sp.Expr
    factors: tuple[FactorSign, ...]

    @property
    def decided_sign(self) -> int:
        """Sign of the product of the decided factors."""
        sign = 1
        for f in self.factors:
            if f.sign is None:
                continue
            if f.sign == 0:
                return 0
            if f.sign < 0 and f.odd:
                sign = -sign
        return sign

    @property
    def undecided(self) -> tuple[FactorSign, ...]:
        return tuple(f for f in self.factors if f.sign is None)

    @property
    def sign(self) -> int | None:
        """The sign on the whole domain, or None if it changes or is undecided."""
        if self.decided_sign == 0:
            return 0
        if any(f.sign is None and f.odd is not False for f in self.factors):
            return None
        if any(f.sign is None for f in self.factors):
            return None  # even powers of an undecided base: zero somewhere, maybe
        return self.decided_sign

    def region(self, op: str) -> sp.Basic:
        """The exact set where ``expr op 0`` (op in '>', '<', '='), as a sympy boolean.

        Built from the undecided factors only; points where a denominator factor
        vanishes are outside the domain of the expression and are not included.
        """
        c = self.decided_sign
        if op == "=":
            if c == 0:
                return sp.true
            zeros = [relation(f.base, "=") for f in self.undecided if not f.in_denominator]
            return sp.Or(*zeros) if zeros else sp.false
        want = 1 if op == ">" else -1
        if c == 0:
            return sp.false
        odd = [f for f in self.undecided if f.odd is not False]
        even = [f for f in self.undecided if f.odd is False]
        nonzero = [relation(f.base, "!=") for f in even]
        if not odd:
            return sp.And(*nonzero) if c == want else sp.false
        if any(f.odd is None for f in odd):
            # base**(symbolic exponent) with undecided base sign: leave it as is.
            return relation(self.expr, ">" if want > 0 else "<")
        options = []
        for signs in itertools.product((1, -1), repeat=len(odd)):
            product = c
            for s in signs:
                product *= s
            if product == want:
                options.append(sp.And(*[relation(f.base, ">" if s > 0 else "<")
                                        for f, s in zip(odd, signs)], *nonzero))
        return sp.Or(*options)


@dataclass(frozen=True)
class PiecewiseSignAnalysis:
    """Sign analysis of a Piecewise expression: one SignAnalysis per (disjoint) piece."""

    expr: sp.Expr
    pieces: tuple[tuple[sp.Basic, "SignAnalysis"], ...]

    factors: tuple = ()
    undecided: tuple = ()

    @property
    def sign(self) -> int | None:
        signs = {p.sign for _, p in self.pieces}
        return signs.pop() if len(signs) == 1 else None

    @property
    def decided_sign(self) -> int:
        s = self.sign
        return 0 if s is None else s

    def region(self, op: str) -> sp.Basic:
        return sp.Or(*[sp.And(cond, p.region(op)) for cond, p in self.pieces])


def analyze_sign(expr: sp.Expr, assumptions: dict | None = None,
                 already_canonical: bool = False):
    """Factor ``expr`` and decide the sign of each factor on the domain."""
    expr = expr if already_canonical else canonical(expr)
    if assumptions:
        expr = canonical(expr.subs(assumptions))
    if isinstance(expr, sp.Piecewise):
        pieces, before = [], sp.false
        for e, c in expr.args:
            cond = sp.And(c, sp.Not(before))
            before = sp.Or(before, c)
            if cond is not sp.false:
                pieces.append((cond, analyze_sign(e, already_canonical=True)))
        return PiecewiseSignAnalysis(expr, tuple(pieces))
    factors = []
    for arg in sp.Mul.make_args(expr):
        base, exponent = arg.as_base_exp()
        if exponent.is_integer:
            sign = sign_of(base)
        else:
            # A real power of a positive base is positive; sympy knows when base > 0.
            sign = sign_of(arg)
            if sign is not None:
                base, exponent = arg, sp.S.One
        factors.append(FactorSign(base, exponent, sign))
    return SignAnalysis(expr, tuple(factors))

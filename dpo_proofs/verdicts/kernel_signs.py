"""The proof kernel's sign rules (K2, K3; see ``kernel``): the signs an expression may
take on the domain, read from sympy's assumptions after exact encodings of the domain.

Part of the trusted kernel: nothing here calls a prover. ``sign_set`` is also what the
untrusted symbolic prover uses to propose factorisations (the kernel re-checks them).
"""
from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable

import sympy as sp

from ..field.canonical import factorable
from ..loss.symbols import PROBABILITIES, REFERENCES
from .certificates import KernelError
from .kernel_monotone import MONOTONE_MAX_OPS, monotone_depth, monotone_signs

__all__ = ["sign_set", "quick_signs", "power_signs", "product_signs", "RELAX_MAX_OPS"]

_ANY = frozenset({-1, 0, 1})
#: The relaxed encoding (and its factoring) is tried only on expressions of at most this
#: many operations: factoring a large rational function can run for minutes.
RELAX_MAX_OPS = 60


# --- K2, K3: signs ----------------------------------------------------------------------

def _encoding(expr: sp.Expr, domains: dict, side: str | None = None) -> dict:
    """x in (0, 1] as 1/(1 + a), a >= 0; a constant's interval as a bijection (K2).

    A closed interval [lo, hi] has no bijection from a slack t >= 0; with ``side`` 'low'
    ('high') it is written as the half-line [lo, oo) ((-oo, hi]) that contains it, so a
    sign fixed there is fixed on the interval; for lo > 0, 'low_ratio' ('high_ratio')
    writes [lo, oo) as lo*(1 + t) ((0, hi] as hi/(1 + t)), which keeps 1/c and log(c)
    readable (1/(2*beta) <= (1 + t)/(2*lo) ... )."""
    from ..field.signs import domain_substitution

    out = {}
    for s in expr.free_symbols:
        if s in PROBABILITIES or s in REFERENCES:
            # (0, 1) where the domain keeps s below 1 (``narrowed``), else (0, 1]
            a = (sp.Symbol(f"_a_{s.name}", positive=True) if _below_one(s, domains)
                 else sp.Symbol(f"_a_{s.name}", nonnegative=True))
            out[s] = 1 / (1 + a)
        elif s in domains:
            sub = domain_substitution(s, domains[s])
            if sub is None and side is not None and _closed(domains[s]):
                t = sp.Symbol(f"_t_{s.name}", nonnegative=True)
                lo, hi = domains[s].inf, domains[s].sup
                # additive half-lines, or (lo > 0) multiplicative ones that keep the
                # constant positive: [lo, oo) as lo*(1 + t), (0, hi] as hi/(1 + t)
                sub = {"low": lo + t, "high": hi - t,
                       "low_ratio": lo * (1 + t) if lo > 0 else None,
                       "high_ratio": hi / (1 + t) if lo > 0 else None}[side]
            if sub is not None:
                out[s] = sub
    return out


#: the half-lines that contain a closed interval [lo, hi]: lo + t, hi - t, and for lo > 0
#: lo*(1 + t) and hi/(1 + t) (t >= 0)
SIDES = ("low", "high", "low_ratio", "high_ratio")


def _closed(domain) -> bool:
    return (isinstance(domain, sp.Interval) and domain.inf.is_finite and domain.sup.is_finite
            and not domain.left_open and not domain.right_open and domain.inf != domain.sup)


def sign_set(expr: sp.Expr, domains: dict | None = None) -> frozenset:
    """The signs ``expr`` may take on the domain, by sympy's assumptions (K2)."""
    expr = sp.sympify(expr)
    # A pure function of its arguments (Dummy variables included, by identity): the
    # prover and the kernel ask about the same factors again and again.
    # The K8 depth is part of the key: a sign asked inside nested K8 steps may be weaker
    # (cut off by the depth bound), and must not be served to a later top-level question,
    # or a verdict would depend on which claims the process decided before.
    return _sign_set(expr, frozenset((domains or {}).items()), monotone_depth())


def quick_signs(expr: sp.Expr, domains: dict | None = None) -> frozenset:
    """The signs by the assumptions alone, before and after the exact encodings of the
    domain (no factoring, no relaxation): a cheap first look for a prover."""
    expr = sp.sympify(expr)
    best = _assumed(expr)
    if len(best) > 1:
        best = best & _assumed(sp.expand_log(expr.subs(_encoding(expr, domains or {})),
                                             force=False))
    return best


@functools.lru_cache(maxsize=4096)
def _sign_set(expr: sp.Expr, domain_items: frozenset, depth: int = 0) -> frozenset:
    domains = dict(domain_items)
    if expr.is_number:
        if expr.is_zero:
            return frozenset({0})
        if expr.is_positive:
            return frozenset({1})
        if expr.is_negative:
            return frozenset({-1})
    if isinstance(expr, (sp.Pow, sp.exp)) and not expr.as_base_exp()[1].is_integer:
        base, exponent = expr.as_base_exp()
        if sign_set(base, domains) == {1}:
            return power_signs(frozenset({1}), exponent)  # K3: b**c > 0 for b > 0
    encoded = sp.expand_log(expr.subs(_encoding(expr, domains)), force=False)
    best = _ANY
    for c in itertools.chain((expr, encoded), _factored(encoded), _relaxed(expr, domains)):
        best = best & _assumed(c)
        if len(best) == 1:
            break
    if len(best) > 1 and sp.count_ops(expr) <= RELAX_MAX_OPS and \
            any(_closed(domains[v]) for v in expr.free_symbols if v in domains):
        for side in SIDES:  # each a half-line containing a closed interval
            half = sp.expand_log(expr.subs(_encoding(expr, domains, side)), force=False)
            # no factoring: over a shifted exponent (x1**(1/100 + t)) it runs for minutes
            for c in (half, sp.expand_mul(half)):
                best = best & _assumed(c)
    if len(best) > 1 and sp.count_ops(expr) <= MONOTONE_MAX_OPS:
        best = best & monotone_signs(expr, domains, sign_set)
    if len(best) > 1 and sp.count_ops(expr) <= MONOTONE_MAX_OPS:
        best = best & _grouped(expr, domains)
    return best


def _grouped(expr: sp.Expr, domains: dict) -> frozenset:
    """K2 term by term: ``expr`` expanded and grouped by its monomials in the
    probabilities and references, lam*x2 + (1 - lam)*r_l; each group's sign is its
    coefficient's times its monomial's, and a sum of terms >= 0 of which one is > 0 is
    > 0 (<= 0 and < 0 alike)."""
    expanded = sp.expand(expr)
    if not expanded.is_Add:
        return _ANY
    groups: dict = {}
    for term in expanded.args:
        factors = sp.Mul.make_args(term)
        mono = sp.Mul(*[f for f in factors if f.free_symbols & _VARIABLES])
        groups.setdefault(mono, []).append(
            sp.Mul(*[f for f in factors if not f.free_symbols & _VARIABLES]))
    if len(groups) < 2:
        return _ANY  # one group is the expression again (or its coefficient alone)
    sets = [product_signs([sign_set(sp.Add(*cs), domains), sign_set(mono, domains)])
            for mono, cs in sorted(groups.items(), key=lambda g: sp.default_sort_key(g[0]))]
    return _sum_signs(sets)


_VARIABLES = frozenset(PROBABILITIES) | frozenset(REFERENCES)


def _sum_signs(sets: list[frozenset]) -> frozenset:
    for sign in (1, -1):
        if all(s <= {0, sign} for s in sets):
            if all(s == {0} for s in sets):
                return frozenset({0})
            return frozenset({sign}) if any(s == {sign} for s in sets) else \
                frozenset({0, sign})
    return _ANY


def _relaxed(expr: sp.Expr, domains: dict | None):
    """K2, relaxed: x**c (c > 0) and log(x) of a probability x as free variables.

    x**c lies in (0, 1] and log(x) in (-oo, 0] (in (0, 1) and (-oo, 0) where the
    domain keeps x below 1: ``certificates.below_one``); replacing each such atom by a fresh
    variable over that set lets the expression take more values, never fewer, so a
    sign fixed after the replacement is fixed before it. The same for b**c (c of fixed
    sign, not an integer) with b > 0 on a known side of 1 by K2: b**c lies in (0, 1] or
    [1, oo) (open at 1 when b - 1 has a strict sign).
    """
    atoms = {}
    for a in expr.atoms(sp.Pow, sp.log):
        base = a.args[0]
        if base not in PROBABILITIES and base not in REFERENCES:
            side = _side_of_one(base)
            if side is not None and isinstance(a, sp.Pow) and not a.exp.is_Integer:
                atoms[a] = _power_atom(side, a.exp)
            continue
        # strictly inside where the domain keeps the base below 1 (``narrowed``)
        strict = _below_one(base, domains or {})
        if isinstance(a, sp.log):
            atoms[a] = -_slack("l", strict)
        elif a.exp.is_positive:
            atoms[a] = 1 / (1 + _slack("u", strict))
        elif a.exp.is_negative:
            atoms[a] = 1 + _slack("v", strict)
    atoms = {k: v for k, v in atoms.items() if v is not None}
    if not atoms or sp.count_ops(expr) > RELAX_MAX_OPS:
        return  # a bound on work, not time: the same expression is decided the same way
    relaxed = expr.xreplace(atoms)
    yield from (relaxed, sp.expand_log(relaxed.subs(_encoding(relaxed, domains or {})),
                                       force=False))
    yield from _factored(relaxed.subs(_encoding(relaxed, domains or {})))


def _below_one(v: sp.Symbol, domains: dict) -> bool:
    """v's set (narrowed by the domain) lies below 1: then v**c (c > 0) is in (0, 1)."""
    iv = domains.get(v)
    return isinstance(iv, sp.Interval) and (iv.sup < 1 or (iv.sup == 1 and iv.right_open))


def _slack(name: str, strict: bool) -> sp.Dummy:
    return sp.Dummy(name, positive=True) if strict else sp.Dummy(name, nonnegative=True)


def _side_of_one(base: sp.Expr) -> tuple[int, bool] | None:
    """(+1 if base >= 1, -1 if 0 < base <= 1; strict?) by K2, for a base such as 1 + s
    (s > 0) that the substitution of a domain relation leaves under a power."""
    if not base.is_positive:
        return None
    return {frozenset({1}): (1, True), frozenset({-1}): (-1, True),
            frozenset({0, 1}): (1, False), frozenset({-1, 0}): (-1, False)}.get(
        _assumed(base - 1))


def _power_atom(side: tuple[int, bool], exp: sp.Expr) -> sp.Expr | None:
    """b**c over the set it ranges in, given b's side of 1 and c's sign: (0, 1] (or
    (0, 1)) as 1/(1 + u), [1, oo) (or (1, oo)) as 1 + u (K2, relaxed as above)."""
    where, strict = side
    if exp.is_positive:
        up = where > 0
    elif exp.is_negative:
        up = where < 0
    else:
        return None
    u = sp.Dummy("w", positive=True) if strict else sp.Dummy("w", nonnegative=True)
    return 1 + u if up else 1 / (1 + u)


def _factored(encoded: sp.Expr):
    if any(not a.args[0].is_number for a in encoded.atoms(sp.exp)):
        # factor() takes each exp(f(a)) as a generator and together() multiplies out
        # their rational arguments: minutes on x1 - exp(2*x2 - 2*x1 + 40)*x2 encoded
        # (a bound on work, not on time: the same question is decided the same way)
        return
    if encoded.is_Add or (encoded.is_Pow and encoded.base.is_Add):
        expanded = sp.expand_log(encoded, force=False)
        if not factorable(expanded):
            return  # exp(82447/125000) is a polynomial of degree 82447 to factor()
        try:
            yield sp.factor(sp.together(expanded))
        except (sp.PolynomialError, NotImplementedError):
            return


def _assumed(e: sp.Expr) -> frozenset:
    if e.is_zero:
        return frozenset({0})
    if e.is_positive:
        return frozenset({1})
    if e.is_negative:
        return frozenset({-1})
    out = set(_ANY)
    if e.is_nonnegative:
        out.discard(-1)
    if e.is_nonpositive:
        out.discard(1)
    if e.is_nonzero:
        out.discard(0)
    if len(out) > 1 and e.is_Add:
        out &= _number_plus(e)
    return frozenset(out)


def _number_plus(e: sp.Expr) -> set:
    """c + rest with c a real number (3 - E) and rest of a weak sign: sympy's Add reads
    only a Rational c; a positive c plus a nonnegative rest is positive (K2)."""
    number = sp.Add(*[t for t in e.args if t.is_number])
    rest = sp.Add(*[t for t in e.args if not t.is_number])
    if number == 0 or rest == 0:
        return set(_ANY)
    if number.is_positive and rest.is_nonnegative:
        return {1}
    if number.is_negative and rest.is_nonpositive:
        return {-1}
    return set(_ANY)


def power_signs(base_signs: frozenset, exponent: sp.Expr) -> frozenset:
    """Signs of base**exponent from the base's signs (K3); raises if undefined."""
    if exponent == 0:
        return frozenset({1})
    if exponent.is_integer:
        if exponent.is_negative and 0 in base_signs:
            raise KernelError("a negative power of a base that may vanish")
        if exponent.is_even:
            return frozenset({0, 1} if 0 in base_signs else {1}) if base_signs != {0} \
                else frozenset({0})
        if exponent.is_odd:
            return base_signs
        if base_signs <= {0, 1}:
            return base_signs
        raise KernelError("an integer power of unknown parity of a base whose sign is "
                          "not fixed")
    if base_signs == {1}:
        return frozenset({1})
    if base_signs <= {0, 1} and exponent.is_positive:
        return base_signs
    raise KernelError("a non-integer power of a base not known to be positive")


def product_signs(sets: Iterable[frozenset]) -> frozenset:
    out = frozenset({1})
    for s in sets:
        out = frozenset(a * b for a in out for b in s)
    return out

"""The proof kernel's K8 (see ``kernel``): signs through increasing functions.

log, exp and sqrt are increasing, so a comparison through them is a sign question on a
simpler expression: a sum of logarithms becomes a difference of products, U - V with
U, V > 0 becomes log U - log V expanded, grouped logarithms are bounded by their tangent
lines (1 - 1/W <= log W <= W - 1, which gives Gibbs' inequality), exp(A) - exp(B) is A - B.
Part of the trusted kernel. Each rule asks the K2 sign function ``sign_set`` (passed in,
so this module does not import ``kernel_signs``) about the simpler expression, and every
step is bounded by a count (operations, powers, depth), never by a clock.
"""
from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from ..field.canonical import factorable

__all__ = ["monotone_signs", "monotone_depth", "MONOTONE_MAX_OPS"]

_ANY = frozenset({-1, 0, 1})
#: the K2 sign function: (expression, domains) -> the signs it may take
SignSet = Callable[[sp.Expr, dict], frozenset]

#: K8 compares through log, exp and sqrt only in expressions of at most this many
#: operations (each comparison is a sign question on a smaller expression).
MONOTONE_MAX_OPS = 80


def monotone_signs(expr: sp.Expr, domains: dict, sign_set: SignSet) -> frozenset:
    """K8 (monotone functions): a sum of logarithms plus a term free of them by
    ``_log_sum`` (log(W) has the sign of W - 1); U - V with U, V > 0 the sign of
    log(U) - log(V) expanded; exp(A) - exp(B) the sign of A - B;
    sqrt(P) + R is > 0 where P - R**2 > 0, and < 0 where P - R**2 < 0, R < 0 and P >= 0."""
    from ..field.canonical import canonical

    def signs(e: sp.Expr) -> frozenset:
        return sign_set(canonical(e), domains)

    global _DEPTH
    if _DEPTH >= MONOTONE_DEPTH:
        return _ANY  # log(U) - log(V) and U - V lead to each other: bounded by a count
    _DEPTH += 1
    try:
        return _monotone_rules(expr, domains, signs, sign_set)
    finally:
        _DEPTH -= 1


#: the largest power a sum of logarithms is compared through (m*q_i in ``_log_sum``)
LOG_POWER_MAX = 4
#: the largest number |c| a sum of logarithms is compared through as exp(c)
LOG_SHIFT_MAX = 40
#: nested K8 steps (a sum of logs becomes a difference of products, whose logs ...)
MONOTONE_DEPTH = 3
_DEPTH = 0


def _monotone_rules(expr: sp.Expr, domains: dict, signs, sign_set: SignSet) -> frozenset:
    from ..field.canonical import canonical

    logs = _log_sum(expr, domains, sign_set)
    if logs is not None:
        return logs
    if not expr.is_Add:
        return _ANY
    terms = sp.Add.make_args(expr)
    found = _log_compared(terms, domains, sign_set)
    if found is not None:
        return found
    found = _tangent(terms, domains, sign_set)
    if found is not None:
        return found
    if len(terms) == 2:
        (k1, f1), (k2, f2) = (t.as_coeff_Mul() for t in terms)
        if k1 == -k2 and k1 != 0 and type(f1) is type(f2) is sp.exp:
            (U,), (V,) = f1.args, f2.args
            if k1 < 0:
                U, V = V, U
            if not (U.is_real and V.is_real):
                return _ANY
            return signs(U - V)
    roots = [t for t in terms if t.as_coeff_Mul()[1].is_Pow
             and t.as_coeff_Mul()[1].exp == sp.Rational(1, 2)]
    if len(roots) == 1:
        # expr = k*(sqrt(P) + R) with k the root's numeric coefficient
        k, root = roots[0].as_coeff_Mul()
        P, R = root.base, canonical((expr - roots[0]) / k)
        gap, inner = signs(P - R ** 2), _ANY
        if gap == {1}:
            inner = frozenset({1})
        elif gap <= {-1} and sign_set(R, domains) == {-1} and \
                sign_set(P, domains) <= {0, 1}:
            # sqrt(P) < -R needs sqrt(P) real: P >= 0 (a negative P has no real root)
            inner = frozenset({-1})
        return frozenset(int(sp.sign(k)) * v for v in inner)
    return _ANY


def _log_compared(terms, domains: dict, sign_set: SignSet) -> frozenset | None:
    """U - V, U the sum of the positive terms and V of the negated negative ones (each
    factored, both > 0), has the sign of log(U) - log(V) expanded over their positive
    factors: (1 + s)**2 - (1 + s)**a is (2 - a)*log(1 + s) in logs."""
    if len(terms) > 8:
        return None
    split = {1: [], -1: []}
    for t in terms:
        sign = sign_set(t, domains)
        if len(sign) != 1 or 0 in sign:
            return None
        split[next(iter(sign))].append(t)
    if not split[1] or not split[-1] or len(terms) < 2:
        return None
    if not factorable(sp.Add(*terms)):
        return None
    try:
        U, V = sp.factor(sp.Add(*split[1])), sp.factor(-sp.Add(*split[-1]))
    except (RecursionError, sp.PolynomialError, NotImplementedError, TypeError):
        return None
    gap = sp.expand_log(sp.log(U) - sp.log(V), force=False)
    if gap.has(sp.log(U)) or gap.has(sp.log(V)):
        return None  # nothing expanded: the same question again
    found = sign_set(gap, domains)
    if len(found) > 1 and gap.is_Add and factorable(gap):
        found = found & sign_set(sp.factor(gap), domains)
    return found if len(found) < 3 else None


def _tangent(terms, domains: dict, sign_set: SignSet) -> frozenset | None:
    """The tangent bounds 1 - 1/U <= log(U) <= U - 1 (U > 0): the logs are grouped by
    their coefficient K (up to a rational factor q), K*sum q*log(U) = K*log(W) with
    W = prod U**q; replacing each log(W) by the bound below (above) it for K > 0 (K < 0)
    gives an expression <= the original, so if that is >= 0 (> 0) so is the original;
    the opposite bounds give one >= the original for <= 0. Gibbs' inequality,
    sum p_i*log(p_i/q_i) >= 0, is one case (the KL terms of EXO and RPO)."""
    from ..field.canonical import canonical

    if any(p.exp.is_Rational and p.exp.q > LOG_POWER_MAX
           for t in terms for p in t.atoms(sp.Pow)):
        return None  # x**(1/20) makes the bound a polynomial of degree 40: bounded work
    split = _log_terms(terms)
    if split is None:
        return None
    logs, rest = split
    groups: dict = {}
    for q, K, U in logs:
        groups.setdefault(K, []).append((q, U))
    if not groups or sp.Add(*rest).has(sp.log) or \
            sum(len(g) for g in groups.values()) < 2:
        return None
    signs, W = {}, {}
    for K, logs in groups.items():
        if any(sign_set(U, domains) != {1} for _, U in logs):
            return None
        signs[K] = sign_set(K, domains)
        if signs[K] not in ({1}, {-1}):
            return None
        W[K] = sp.Mul(*[U ** q for q, U in logs])
    for below in (True, False):
        # below: every log bounded so that the whole is bounded below (K > 0 takes
        # 1 - 1/W, K < 0 takes W - 1); above: the other way
        bound = sp.Add(*rest) + sp.Add(*[
            K * ((1 - 1 / W[K]) if (signs[K] == {1}) == below else (W[K] - 1))
            for K in groups])
        if sp.count_ops(bound) > 2 * MONOTONE_MAX_OPS:
            return None
        try:
            found = sign_set(canonical(bound), domains)
        except (RecursionError, sp.PolynomialError, NotImplementedError, TypeError):
            return None  # sympy's factor recursed too deep (CAL-DPO): no sign from here
        # the original is only >= (<=) the bound: a bound = 0 gives >= 0 (<= 0), not 0
        if below and found <= {0, 1}:
            return frozenset({1}) if found == {1} else frozenset({0, 1})
        if not below and found <= {-1, 0}:
            return frozenset({-1}) if found == {-1} else frozenset({-1, 0})
    return None


def _log_terms(terms) -> tuple[list, list] | None:
    """The terms q*K*log(U) of a sum (q rational, K the rest of the coefficient) as
    (q, K, U), and the terms with no single log; None if some q is not rational."""
    logs, rest = [], []
    for term in terms:
        found = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.log)]
        if len(found) != 1:
            rest.append(term)
            continue
        q, K = sp.Mul(*[f for f in sp.Mul.make_args(term) if f is not found[0]]).as_coeff_Mul()
        if not q.is_Rational:
            return None
        logs.append((q, K, found[0].args[0]))
    return logs, rest


def _log_sum(expr: sp.Expr, domains: dict, sign_set: SignSet) -> frozenset | None:
    """K8 for sums of logarithms: K*(sum q_i*log(U_i)) + R, q_i rational, K of fixed strict
    sign, U_i > 0, R free of log, has sign(K) times the sign of
    prod_{q_i > 0} U_i**(m*q_i) - exp(-m*R/K) * prod_{q_i < 0} U_i**(-m*q_i), m the
    common denominator of the q_i (log is increasing). None when expr is not of that form.
    """

    split = _log_terms(sp.Add.make_args(expr))
    if split is None or len({K for _, K, _ in split[0]}) > 1:
        return None
    logs, rest = [(q, U) for q, _, U in split[0]], split[1]
    common = split[0][0][1] if split[0] else None
    R = sp.Add(*rest)
    if not logs or R.has(sp.log) or R.is_extended_real is False or \
            any(U.has(sp.log) for _, U in logs):
        return None
    K = sign_set(common, domains)
    if K not in ({1}, {-1}) or any(sign_set(U, domains) != {1} for _, U in logs):
        return None
    m = sp.ilcm(1, *[q.q for q, _ in logs])
    if any(abs(m * q) > LOG_POWER_MAX for q, _ in logs):
        return None  # U**10 - V**3: expanding it is the work of minutes, bounded by a count
    shift = -m * R / common
    if shift.is_number and abs(shift) > LOG_SHIFT_MAX:
        return None  # exp(499) is a polynomial of degree 499 in E to sympy's factor
    above = sp.Mul(*[U ** (m * q) for q, U in logs if q > 0])
    below = sp.Mul(*[U ** (-m * q) for q, U in logs if q < 0])
    # expanded, not canonical: factoring over e**499 (beta = 1/1000) takes minutes
    gap = sign_set(sp.expand_mul(above - sp.exp(shift) * below), domains)
    return frozenset(next(iter(K)) * v for v in gap)


def monotone_depth() -> int:
    """How many K8 steps the current sign question is nested in (0 at the top)."""
    return _DEPTH

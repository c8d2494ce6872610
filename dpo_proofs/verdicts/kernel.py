"""The proof kernel: every ``proved`` is re-checked here before it is reported.

A prover (the symbolic step in ``engine``, the interval prover) returns a *certificate*
for ``expr op 0`` (op in '>', '>=', '=', '!=') on a domain; ``verify`` re-checks it from
the claim itself, without trusting anything the prover computed. A certificate the
kernel rejects makes the verdict ``unknown`` with the kernel's reason.

The rules the kernel trusts, and nothing else:

K1 (algebra) sympy's exact arithmetic: ``canonical(a - b) == 0`` shows a = b on the
   positive orthant, and ``split_cases`` (Max, Min, Abs, Heaviside, sign rewritten as
   Piecewise, then ``piecewise_fold``, a relation its conditions spell two ways given
   one spelling: the same normalized gap and op) returns an equal expression.
K2 (assumptions) sympy's assumption system decides the sign of an expression from the
   symbols' declared assumptions, with x1, x2, r_w, r_l in (0, 1] written as 1/(1 + a)
   (a >= 0) and each constant's interval written as a bijection from a slack t >= 0
   (a closed interval [lo, hi] as either half-line lo + t or hi - t, or for lo > 0 as
   lo*(1 + t) or hi/(1 + t), which contain it)
   (a sum of a real number c and terms of a weak sign: c > 0 plus terms >= 0 is > 0);
   an expanded sum is grouped by monomials in x1, x2, r_w, r_l, each group signed as
   coefficient times monomial, and terms >= 0 with one > 0 sum to > 0;
   relaxed, a power x**c of a probability, or b**c of a base b > 0 on a known side of 1,
   replaced by a free variable over the set it ranges in (``kernel_signs``): x**c in
   (0, 1] for c > 0, in (0, 1) where the domain keeps x below 1 (then also x itself is
   written 1/(1 + a) with a > 0) (a relation
   m - sum k_i*v_i >= 0 over probabilities with m/k_x < 1, or = 1 with another term or
   a strict relation: x1 + x2 <= 1 keeps both; ``certificates.below_one``).
K3 (powers) b**k with an integer k: even k gives b**k >= 0 (> 0 where b != 0), odd k
   the sign of b; a negative k needs b != 0; any other exponent needs b > 0 (b >= 0
   with k > 0), so a power of a base whose sign is not fixed is never decided.
K4 (substitution) a domain relation g > 0 (>=, =) is replaced by v = phi(s, rest)
   only with an inverse psi: phi(psi(x)) = v identically and psi = g * q with q > 0
   (>= 0) by K2, so every point of the domain has a slack value s = psi(x) that
   satisfies the slack's assumption; an equality g = 0 needs g = A*(v - phi) with
   A != 0 by K2. A relation that is not encoded is dropped: the proof then covers a
   larger set, which is sound.
K5 (cases) a piecewise expression is proved piece by piece, each on the domain
   intersected with its condition (and the negations of the conditions before it; a
   condition in disjunctive normal form, propositionally equivalent, is taken one
   disjunct at a time, as successive pieces with the same value),
   and the conditions must cover everything (the last is True); an equality domain
   g = 0 with g = c * prod f_i**k_i (c a nonzero number, k_i > 0) is the union of the
   branches f_i = 0, each proved or shown not to vanish on the domain.
K6 (intervals) a dyadic box cover re-checked by ``cover.recheck``: exact tiling
   and every box re-evaluated with outward-rounded ``mpmath.iv`` arithmetic.
K7 (where defined) an expression that exact substitution leaves undefined (zoo, nan, an
   infinity) at the corner x1 = x2 = 1, on a whole edge x1 = 1 or x2 = 1, or on both, is
   proved on the parts x1 < 1 and/or x2 < 1 that cover the rest of the square; the claim
   says nothing on the excluded set.
K8 (monotone) log(W) has the sign of W - 1 (W > 0 by K2); k*log(U) - k*log(V) the
   sign of U - V (U, V > 0); exp(A) - exp(B) that of A - B; sqrt(P) + R is > 0 where
   P - R**2 > 0, and < 0 where P - R**2 < 0, R < 0 and P >= 0 (``kernel_signs``). A domain
   relation bounding one constant by a number (c > 0) narrows that constant's set.
   A sum of logarithms with rational coefficients plus a term R free of logarithms,
   sum q_i*log(U_i) + R with every U_i > 0, has the sign of
   prod_{q_i > 0} U_i**(m*q_i) - exp(-m*R) * prod_{q_i < 0} U_i**(-m*q_i), m the
   common denominator (log is increasing); U - V with U, V > 0 has the sign of
   log(U) - log(V) expanded over U's and V's positive factors.
K9 (relation factors) a factor that is a nonzero number k times the gap g of a domain
   relation g op 0 (after the proof's substitutions) has the signs of k times those the
   relation allows: g > 0 gives k*g of sign(k), g = 0 gives 0.
K10 (empty) a domain one of whose relations fails wherever the others hold (its
   negation proved on them) is empty: every claim holds on it.
K11 (square bound) on a domain holding Q - m*c**2 >= 0 (m > 0 a number, Q free of c),
   expr = P*(A - k*c) with A, k free of c is > 0 where P > 0, A > 0 and
   m*A**2 - k**2*Q > 0 (each proved on the domain), since then
   A > |k|*sqrt(Q/m) >= |k|*|c| >= k*c; >= 0 from A >= 0 and m*A**2 - k**2*Q >= 0.
K12 (polygon) a polynomial in x1, x2 (coefficients signed by K2) is >= 0 on the convex
   polygon the domain's linear relations and the square cut out when, on each triangle
   of a fan from its first vertex, its form in barycentric coordinates times
   (l1 + l2 + l3)**N has coefficients >= 0 (Polya), and > 0 where every face of a
   triangle that lies in the domain has a positive coefficient of its own
   (``kernel_polygon``); the other relations are dropped, which enlarges the set.

A product of factors is never empty where it stands for a nonconstant expression: the
kernel multiplies the listed factors and compares with the claim (K1).
"""
from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from ..field.canonical import canonical
from ..loss.functions import to_elementary
from ..loss.symbols import x1, x2
from ..phrases import Phrase, join

from .cover import recheck, variable_bounds
from .kernel_polygon import polygon_factor_signs
from .kernel_signs import power_signs, product_signs, sign_set
from .certificates import (CASES, SIGN_SETS, CaseProof, DefinedProof, EmptyProof, Factor,
                           IntervalProof, KernelError, Proof, RootBoundProof, SignProof,
                           Slack, UnionProof, narrowed, negation, normalize, piece_domains,
                           root_bound_parts, sign_text, split_cases, UNDEFINED)

__all__ = ["verify", "sign_set", "power_signs", "undefined_value", "COVERS"]

# --- K4: substitutions ------------------------------------------------------------------

def _check_slack(slack: Slack, domain: Sequence[sp.Basic], domains: dict) -> None:
    if slack.relation not in domain:
        raise KernelError(f"{sp.sstr(slack.relation)} is not a relation of the domain")
    gap, op = normalize(slack.relation)
    v = slack.variable
    if op == "!=":
        raise KernelError("a '!=' relation cannot be encoded by a substitution")
    if op == "=":
        if slack.slack != 0:
            raise KernelError("an equality is encoded with slack 0")
        if slack.value.has(v) or slack.quotient.has(v):
            raise KernelError(f"{v} = {sp.sstr(slack.value)} is not solved for {v}")
        if canonical(gap - slack.quotient * (v - slack.value)) != 0:
            raise KernelError(f"{sp.sstr(gap)} != A*({v} - {sp.sstr(slack.value)})")
        if 0 in sign_set(slack.quotient, domains):
            raise KernelError(f"A = {sp.sstr(slack.quotient)} may vanish")
        return
    s = slack.slack
    if not isinstance(s, sp.Symbol) or not (s.is_positive or s.is_nonnegative):
        raise KernelError("a slack must be a positive or nonnegative symbol")
    if s.is_positive and op != ">":
        raise KernelError("a positive slack encodes only a strict relation")
    if slack.value.has(v) or slack.inverse.has(s):
        raise KernelError(f"{v} = {sp.sstr(slack.value)} is not solved for {v}")
    if canonical(slack.value.subs(s, slack.inverse) - v) != 0:
        raise KernelError(f"phi(psi(x)) != {v} for {sp.sstr(slack.relation)}")
    if canonical(slack.inverse - gap * slack.quotient) != 0:
        raise KernelError(f"psi != g*q for {sp.sstr(slack.relation)}")
    q = sign_set(slack.quotient, domains)
    if not (q == {1} or (s.is_nonnegative and not s.is_positive and q <= {0, 1})):
        raise KernelError(f"q = {sp.sstr(slack.quotient)} is not {'> 0' if s.is_positive else '>= 0'}")


def _substitute(expr: sp.Expr, slacks: Sequence[Slack], domain, domains) -> sp.Expr:
    seen: set = set()
    fresh: set = set()
    for sl in slacks:
        if sl.variable in seen or seen & sl.value.free_symbols:
            raise KernelError(f"{sl.variable}: substituted twice, or its value names a "
                              "variable substituted before")
        if sl.slack != 0 and sl.slack in fresh:
            raise KernelError("a slack symbol is used twice")
        if sl.slack != 0 and any(sl.slack in e.free_symbols for e in domain) or \
                sl.slack in expr.free_symbols:
            raise KernelError(f"the slack {sl.slack} is not a fresh symbol")
        _check_slack(sl, domain, domains)
        seen.add(sl.variable)
        fresh.add(sl.slack)
    for sl in slacks:
        expr = expr.subs(sl.variable, sl.value)
    return expr


# --- verification -----------------------------------------------------------------------

def verify(proof: Proof, expr: sp.Expr, op: str, domain: Sequence[sp.Basic],
           domains: dict | None = None) -> Phrase:
    """Re-check ``proof`` of ``expr op 0`` on ``domain`` (relations, conjoined).

    ``domains`` maps each free constant's symbol to its interval. Returns the argument
    as a ``Phrase`` (its mathematics kept for the printers); raises KernelError if any
    rule fails.
    """
    domain = tuple(domain)
    domains = narrowed(dict(domains or {}), domain)  # the domain's bounds on a constant
    if op not in (">", ">=", "=", "!="):
        raise KernelError(f"op {op!r} is not normalised")
    if isinstance(proof, SignProof):
        return _verify_sign(proof, expr, op, domain, domains)
    if isinstance(proof, CaseProof):
        return _verify_cases(proof, expr, op, domain, domains)
    if isinstance(proof, UnionProof):
        return _verify_union(proof, expr, op, domain, domains)
    if isinstance(proof, IntervalProof):
        return _verify_interval(proof, expr, op, domain, domains)
    if isinstance(proof, DefinedProof):
        return _verify_defined(proof, expr, op, domain, domains)
    if isinstance(proof, EmptyProof):
        return _verify_empty(proof, domain, domains)
    if isinstance(proof, RootBoundProof):
        return _verify_root_bound(proof, expr, op, domain, domains)
    raise KernelError(f"unknown certificate {type(proof).__name__}")


def _verify_sign(proof: SignProof, expr, op, domain, domains) -> Phrase:
    substituted = _substitute(sp.sympify(expr), proof.slacks, domain, domains)
    if not proof.constant.is_number or not proof.constant.is_real:
        raise KernelError("the constant is not a real number")
    if not proof.factors and proof.constant != 0 and substituted.free_symbols:
        raise KernelError("an empty product stands for a nonconstant expression")
    product = proof.constant * sp.Mul(*[sp.Pow(f.base, f.exponent) for f in proof.factors])
    if any(f.base.has(*CASES) for f in proof.factors):
        raise KernelError("a factor is piecewise: prove it piece by piece")
    if canonical(split_cases(substituted) - product) != 0:  # K1: split_cases is equal
        raise KernelError("the expression is not the product of the listed factors")
    if proof.constant == 0:
        signs = frozenset({0})
    else:
        sets = [sign_set(proof.constant)]
        for f in proof.factors:
            if f.polygon is not None:
                base_signs = polygon_factor_signs(f, proof.slacks, domain, domains)
            else:
                base_signs = (sign_set(f.base, domains) if f.relation is None else
                              _relation_signs(f, proof.slacks, domain))
            derived = power_signs(base_signs, f.exponent)
            if not derived <= f.signs:
                raise KernelError(f"factor {f.text()}: the assumptions give only "
                                  f"{sign_text(derived)}")
            sets.append(derived)
        signs = product_signs(sets)
    if not signs <= SIGN_SETS[op]:
        raise KernelError(f"the product is {sign_text(signs)}, which does not give '{op} 0'")
    steps = [s.text() for s in proof.slacks]
    chain = Phrase(join(", ", steps), ": ") if steps else Phrase()
    if proof.constant == 0:
        return Phrase(chain, "the expression is identically 0")
    shown = [f.text() for f in proof.factors]
    return Phrase(chain, "it equals ", product,
                  Phrase("; by the assumptions ", join(", ", shown)) if shown else "",
                  "; so the expression is ", sign_text(signs))


def _verify_root_bound(proof: RootBoundProof, expr, op, domain, domains) -> Phrase:
    """K11: P*(A - k*c) with c**2 <= Q/m from a domain relation."""
    if op not in (">", ">="):
        raise KernelError("the square bound gives only '> 0' or '>= 0'")
    if proof.relation not in domain:
        raise KernelError(f"{sp.sstr(proof.relation)} is not a relation of the domain")
    parts = root_bound_parts(proof.relation, proof.variable, proof.linear)
    if parts is None:
        raise KernelError("the relation is not Q - m*c**2 >= 0 or the factor not A - k*c")
    m, Q, A, k = parts
    if canonical(to_elementary(sp.sympify(expr)) - proof.cofactor * proof.linear) != 0:
        raise KernelError("the expression is not the cofactor times the linear factor")
    c = proof.variable
    said = [verify(proof.cofactor_proof, proof.cofactor, ">", domain, domains),
            verify(proof.constant_proof, A, op, domain, domains),
            verify(proof.bound_proof, m * A ** 2 - k ** 2 * Q, op, domain, domains)]
    # c**2 <= Q/m and m*A**2 - k**2*Q >= 0 give (k*c)**2 <= A**2, so A - k*c >= 0 when A >= 0.
    return Phrase("it equals ", sp.Mul(proof.cofactor, proof.linear, evaluate=False),
                  "; from the domain's ", proof.relation, " with ", A, f" {op} 0 and ",
                  m * A ** 2 - k ** 2 * Q, f" {op} 0, ", sp.Abs(k * c),
                  " is below " if op == ">" else " is at most ", A, " (the cofactor: ", said[0], "; ", A, ": ", said[1],
                  "; the bound: ", said[2], ")")


def _relation_signs(factor: Factor, slacks, domain) -> frozenset:
    """K9: the signs of a factor that is a nonzero number times a domain relation's gap."""
    if factor.relation not in domain:
        raise KernelError(f"{sp.sstr(factor.relation)} is not a relation of the domain")
    gap, op = normalize(factor.relation)
    for sl in slacks:  # the proof's substitutions, in its order
        gap = gap.subs(sl.variable, sl.value)
    if canonical(gap) == 0:
        raise KernelError("the relation's gap is identically 0")
    k = canonical(factor.base / gap)
    if not (k.is_number and k.is_real and k.is_nonzero):
        raise KernelError(f"{sp.sstr(factor.base)} is not a nonzero number times the "
                          f"gap of {sp.sstr(factor.relation)}")
    return frozenset(int(sp.sign(k)) * v for v in SIGN_SETS[op])


def _verify_empty(proof: EmptyProof, domain, domains) -> Phrase:
    """K10: the domain is empty: one relation's negation holds on the others."""
    if proof.relation not in domain:
        raise KernelError(f"{sp.sstr(proof.relation)} is not a relation of the domain")
    rest = tuple(r for r in domain if r != proof.relation)
    gap, op = negation(proof.relation)
    argument = verify(proof.proof, gap, op, rest, domains)
    return Phrase("the domain is empty: ", proof.relation, " fails wherever the other "
                  "relations hold (", gap, f" {op} 0: ", argument, ")")


def _verify_cases(proof: CaseProof, expr, op, domain, domains) -> Phrase:
    folded = split_cases(expr)
    if not isinstance(folded, sp.Piecewise):
        raise KernelError("the expression is not piecewise")
    if folded.args[-1][1] is not sp.true:
        raise KernelError("the pieces do not cover the domain (the expression is undefined "
                          "where no condition holds)")
    expected = piece_domains(folded, domain)
    if len(expected) != len(proof.pieces):
        raise KernelError("the pieces differ from the expression's")
    parts = []
    for (e, c, where), (pe, pc, sub) in zip(expected, proof.pieces):
        if e != pe or c != pc:
            raise KernelError("the pieces differ from the expression's")
        label = "elsewhere" if c is sp.true else Phrase("where ", c)
        if sub == UNDEFINED:
            if e is not sp.nan:
                raise KernelError(f"the piece {label} is defined, and has no proof")
            parts.append(Phrase(label, ": undefined (the claim says nothing there)"))
            continue
        if sub is None:
            raise KernelError(f"no proof for the piece {label}")
        parts.append(Phrase(label, ": ", verify(sub, e, op, where, domains)))
    return Phrase("piece by piece: ", join("; ", parts))


def _verify_union(proof: UnionProof, expr, op, domain, domains) -> Phrase:
    if proof.relation not in domain:
        raise KernelError(f"{sp.sstr(proof.relation)} is not a relation of the domain")
    gap, rel = normalize(proof.relation)
    if rel != "=":
        raise KernelError("only an equality is split into branches")
    if not proof.constant.is_number or proof.constant == 0:
        raise KernelError("the constant of the factorisation must be a nonzero number")
    product = proof.constant * sp.Mul(*[sp.Pow(f, k) for f, k, _ in proof.branches])
    if canonical(gap - product) != 0:
        raise KernelError("the equality is not the product of the listed branches")
    rest = tuple(r for r in domain if r != proof.relation)
    parts = []
    for f, k, sub in proof.branches:
        if not (k.is_positive or k.is_negative):
            raise KernelError("a branch exponent must be a nonzero number")
        if k.is_negative or sub is None:
            # 1/f**k never vanishes; a factor of fixed nonzero sign has no zero.
            if k.is_positive and 0 in sign_set(f, domains):
                raise KernelError(f"the branch {sp.sstr(f)} = 0 is not proved")
            continue
        branch = sp.Eq(f, 0)
        parts.append(Phrase("on the branch ", f, " = 0: ",
                            verify(sub, expr, op, rest + (branch,), domains)))
    return Phrase(proof.relation, " is the union of its branches; ", join("; ", parts))


#: K7: what each exclusion leaves of the square, and the parts that cover the rest
COVERS = {"corner": ((x1 < 1,), (x2 < 1,)), "x1": ((x1 < 1,),), "x2": ((x2 < 1,),),
           "edges": ((x1 < 1, x2 < 1),)}
_EXCLUDED = {"corner": {x1: 1, x2: 1}, "x1": {x1: 1}, "x2": {x2: 1}}


def undefined_value(value: sp.Expr) -> bool:
    """Exact substitution gave no number: zoo, nan or an infinity (K7)."""
    return value in (sp.zoo, sp.nan, sp.oo, -sp.oo)


def _verify_defined(proof: DefinedProof, expr, op, domain, domains) -> Phrase:
    """K7: expr is undefined on the excluded set (exact substitution, the whole edge at
    once for an edge), and the listed parts, each proved, cover the rest of the square."""
    if proof.excluded not in COVERS:
        raise KernelError(f"unknown exclusion {proof.excluded!r}")
    if tuple(extra for extra, _ in proof.parts) != COVERS[proof.excluded]:
        raise KernelError("the parts do not cover the square without the excluded set")
    for key in (("x1", "x2") if proof.excluded == "edges" else (proof.excluded,)):
        if not undefined_value(expr.subs(_EXCLUDED[key])):
            raise KernelError(f"the expression is not undefined where {key} is excluded")
    texts = [Phrase("on ", join(", ", extra), ": ", verify(sub, expr, op, domain + extra,
                                                          domains))
             for extra, sub in proof.parts]
    return join("; ", texts)


def _verify_interval(proof: IntervalProof, expr, op, domain, domains) -> Phrase:
    if any(normalize(s.relation)[1] != "=" for s in proof.ties):
        raise KernelError("interval ties encode equalities only")
    substituted = _substitute(sp.sympify(expr), proof.ties, domain, domains)
    tied = {s.relation for s in proof.ties}
    relations = []
    for r in domain:
        if r in tied:
            continue
        if normalize(r)[1] == "=":
            raise KernelError(f"the equality {sp.sstr(r)} is neither tied nor covered")
        for s in proof.ties:
            r = r.subs(s.variable, s.value)
        relations.append(r)
    cert = proof.certificate
    free = set(substituted.free_symbols).union(*[r.free_symbols for r in relations])
    names = {v.name for v in proof.variables}
    if not {v.name for v in free} <= names:
        raise KernelError("the cover leaves a variable unbounded")
    bounds = variable_bounds(relations)
    for v, (lo, hi) in zip(proof.variables, cert.root):
        if v in (x1, x2):
            # the root may be clipped to bounds the domain states on v alone
            low, high = bounds.get(v, (None, None))
            if not ((lo <= 0 or (low is not None and low >= lo)) and
                    (hi >= 1 or (high is not None and high <= hi))):
                raise KernelError(f"the cover does not contain {v}'s part of the domain")
        elif v in domains:
            interval = domains[v]
            if not (sp.Interval(sp.Rational(lo.numerator, lo.denominator),
                                sp.Rational(hi.numerator, hi.denominator))
                    .is_superset(interval)):
                raise KernelError(f"the cover does not contain {v}'s range {interval}")
        elif v not in free:
            continue
    ok, why = recheck(cert, substituted, op, relations, list(proof.variables))
    if not ok:
        raise KernelError(f"interval cover: {why}")
    steps = [Phrase(s.text(), "; ") for s in proof.ties]
    return Phrase(*steps, f"interval cover of {len(cert.leaves)} boxes re-checked")

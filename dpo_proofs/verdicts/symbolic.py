"""The symbolic prover: finds certificates for ``expr op 0`` that ``kernel.verify`` checks.

Strategy, cheapest first, on each branch of the domain:

* an equality domain g = 0 whose g factors is split into the branches f_i = 0 (a union);
* a piecewise expression (Max, Min, Abs, Heaviside, sign, Piecewise) is proved piece by
  piece, each on its condition;
* otherwise the expression is put in canonical form and factored, and each factor's sign
  is read off the assumptions, first on the whole square (a proof there covers every
  sub-domain), then with domain relations encoded by substitutions: a relation
  a*v + b > 0 becomes v = (s - b)/a (additive) or v = w*(1 + s), v = w/(1 + s)
  (multiplicative, which keeps v positive) with a slack s > 0.

The prover may be wrong; the kernel decides. Nothing here is trusted.
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence

import sympy as sp

from ..field.canonical import canonical
from .certificates import (CASES, SIGN_SETS, CaseProof, Factor, KernelError, Proof,
                           RootBoundProof, SignProof, Slack, UnionProof, narrowed, normalize,
                           piece_domains, root_bound_parts, split_cases, UNDEFINED)
from .kernel_polygon import POLYA_MAX, polygon_applies, polygon_signs
from .kernel_signs import power_signs, quick_signs, sign_set
from ..loss.symbols import x1, x2

__all__ = ["prove", "tie_slacks", "relation_slacks"]

#: Substitution patterns tried per branch (bounds the work of one proof attempt).
MAX_ATTEMPTS = 12


def _linear(gap: sp.Expr, v: sp.Symbol) -> tuple[sp.Expr, sp.Expr] | None:
    """(a, b) with gap = a*v + b, a free of v, or None."""
    if v not in gap.free_symbols:
        return None
    expanded = sp.expand(gap)
    a = expanded.coeff(v, 1)
    b = sp.expand(expanded - a * v)
    if a == 0 or a.has(v) or b.has(v):
        return None
    return a, b


def _slack_symbol(index: int, strict: bool) -> sp.Symbol:
    # A Dummy: no name a user can type collides with it.
    return sp.Dummy(f"s{index}", positive=True) if strict else \
        sp.Dummy(f"s{index}", nonnegative=True)


def relation_slacks(relation: sp.Basic, variables: Sequence[sp.Symbol], index: int,
                    domains: dict) -> list[Slack]:
    """The substitutions that encode ``relation`` (each checked by the kernel later)."""
    gap, op = normalize(relation)
    out: list[Slack] = []
    if op == "!=":
        return out
    for v in variables:
        ab = _linear(gap, v)
        if ab is None:
            continue
        a, b = ab
        if op == "=":
            out.append(Slack(relation, v, sp.cancel(-b / a), sp.S.Zero, sp.S.Zero, a))
            continue
        s = _slack_symbol(index, op == ">")
        # additive: v = (s - b)/a, s = gap
        out.append(Slack(relation, v, (s - b) / a, s, gap, sp.S.One))
        w = sp.cancel(-b / a)
        if sign_set(w, domains) == {1} and sign_set(a, domains) <= {-1, 1}:
            if sign_set(a, domains) == {1}:   # v > w: v = w*(1 + s), s = v/w - 1
                out.append(Slack(relation, v, w * (1 + s), s, v / w - 1, 1 / (a * w)))
            else:                              # v < w: v = w/(1 + s), s = w/v - 1
                out.append(Slack(relation, v, w / (1 + s), s, w / v - 1, -1 / (a * v)))
    return out


def tie_slacks(domain: Sequence[sp.Basic]) -> list[Slack] | None:
    """Each equality of the domain solved for x1 or x2 (None if one cannot be)."""
    chosen: list[Slack] = []
    for i, r in enumerate(domain):
        if normalize(r)[1] != "=":
            continue
        options = [s for s in relation_slacks(r, (x1, x2), i, {})
                   if s.variable not in {c.variable for c in chosen}
                   and sign_set(s.quotient) <= {-1, 1}]
        if not options:
            return None
        chosen.append(options[0])
    return _order(chosen)


def prove(expr: sp.Expr, op: str, domain: Sequence[sp.Basic], domains: dict,
          variables: Sequence[sp.Symbol] = (x1, x2)) -> Proof | None:
    """A certificate of ``expr op 0`` on ``domain``, or None (nothing found)."""
    domain = tuple(domain)
    domains = narrowed(domains, domain)  # as the kernel reads them
    for r in domain:
        gap, rop = normalize(r)
        if rop == "=":
            union = _union(expr, op, r, gap, domain, domains, variables)
            if union is not False:
                return union
    folded = split_cases(expr)
    if isinstance(folded, sp.Piecewise):
        if folded.args[-1][1] is not sp.true:
            return None
        pieces = []
        for e, c, where in piece_domains(folded, domain):
            if e is sp.nan:
                pieces.append((e, c, UNDEFINED))
                continue
            sub = prove(e, op, where, domains, variables)
            if sub is None:
                return None
            pieces.append((e, c, sub))
        return CaseProof(tuple(pieces))
    if folded.has(*CASES):
        return None
    for slacks in _substitutions(domain, domains, variables):
        proof = _sign_proof(folded, op, slacks, domains, domain)
        if proof is not None:
            return proof
    # Last, and only then, so that the proofs the rules above find keep their form:
    # a polynomial factor signed on the domain's polygon (K12).
    return _sign_proof(folded, op, [], domains, domain, polygon=True) or \
        _root_bound(folded, op, domain, domains, variables)


def _root_bound(expr, op, domain, domains, variables) -> RootBoundProof | None:
    """K11: a factor A - k*c of ``expr`` bounded through a relation c**2 <= Q/m of the
    domain (a Gram matrix's c**2 <= a*b), the cofactor, A and m*A**2 - k**2*Q proved."""
    if op not in (">", ">="):
        return None
    factors = [b for b, e in (f.as_base_exp() for f in sp.Mul.make_args(canonical(expr)))
               if e == 1]
    for relation in domain:
        for c in sorted(relation.free_symbols, key=sp.default_sort_key):
            for linear in factors:
                parts = root_bound_parts(relation, c, linear) if linear.has(c) else None
                if parts is None:
                    continue
                m, Q, A, k = parts
                cofactor = sp.cancel(expr / linear)
                proofs = []
                for e, o in ((cofactor, ">"), (A, op), (m * A ** 2 - k ** 2 * Q, op)):
                    proofs.append(prove(e, o, domain, domains, variables))
                    if proofs[-1] is None:
                        break   # the next sub-proofs would be work for nothing
                else:
                    return RootBoundProof(relation, c, linear, cofactor, *proofs)
    return None


def _union(expr, op, relation, gap, domain, domains, variables):
    """UnionProof when g = 0 factors into several branches; False if it does not."""
    factored = canonical(gap)
    coeff, rest = factored.as_coeff_Mul()
    parts = [a.as_base_exp() for a in sp.Mul.make_args(rest)]
    zeros = [(f, k) for f, k in parts if k.is_positive and f.free_symbols
             and 0 in sign_set(f, domains)]
    if len(zeros) < 2:
        return False
    rest_domain = tuple(r for r in domain if r != relation)
    branches = []
    for f, k in parts:
        if (f, k) not in zeros:
            branches.append((f, k, None))
            continue
        sub = prove(expr, op, rest_domain + (sp.Eq(f, 0),), domains, variables)
        if sub is None:
            return None
        branches.append((f, k, sub))
    return UnionProof(relation, coeff, tuple(branches))


def _substitutions(domain, domains, variables):
    """[] (the whole square) first, then encodings of the domain's relations."""
    yield []
    params = [s for s in domains if s not in variables]  # x1, x2 narrowed below 1
    options = []
    for i, r in enumerate(domain):
        free = [v for v in (*variables, *params) if v in r.free_symbols]
        choices = relation_slacks(r, free, i, domains)
        if normalize(r)[1] == "=":
            options.append(choices or [None])
        else:
            options.append([None] + choices)
    tried = 0
    for combo in itertools.product(*options):
        chosen = [c for c in combo if c is not None]
        if not chosen or len({c.variable for c in chosen}) < len(chosen):
            continue
        ordered = _order(chosen)
        if ordered is None:
            continue
        tried += 1
        if tried > MAX_ATTEMPTS:
            return
        yield ordered


def _order(slacks: list[Slack]) -> list[Slack] | None:
    """Order substitutions so that no value names a variable substituted before it."""
    out: list[Slack] = []
    left = list(slacks)
    while left:
        done = {o.variable for o in out}
        for sl in left:
            if not sl.value.free_symbols & done:
                out.append(sl)
                left.remove(sl)
                break
        else:
            return None
    return out


#: Completing the square is tried on polynomial factors of at most this many operations,
#: to this depth (one variable per level).
SQUARE_OPS, SQUARE_DEPTH = 60, 3


def _completed_square(base: sp.Expr, domains: dict, depth: int = SQUARE_DEPTH
                      ) -> sp.Expr | None:
    """``base`` written as alpha*(v + beta/(2 alpha))**2 + rest with alpha > 0, rest
    completed in turn, when the assumptions then fix its sign (else None).

    E.g. a**2 - 2*a*c + c**2 + a*s = (c - a)**2 + a*s >= 0 for a > 0, s >= 0. The
    kernel re-checks the form (K1: equal to the factor) and its sign (K2)."""
    if depth == 0 or sp.count_ops(base) > SQUARE_OPS or any(
            p.exp.is_Integer and abs(p.exp) > 4 for p in base.atoms(sp.Pow)):
        return None  # bounded work: expanding (u + v)**50 is not a quadratic
    weak = None  # a form of fixed weak sign, kept while a strict one is looked for
    # Variables of the quadratic: the real symbols, and powers x**beta of a positive
    # symbol (A**2 - A*B + B**2 with A = (r_l*x1)**beta is a quadratic in x1**beta).
    powers = sorted((p for p in base.atoms(sp.Pow) if p.base.is_Symbol and p.base.is_positive
                     and not p.exp.is_Number and p.exp.is_positive), key=sp.default_sort_key)
    candidates = [(v, v, sp.expand(base)) for v in sorted(base.free_symbols,
                                                          key=lambda t: t.name)]
    for p in powers:
        t = sp.Dummy("t", positive=True)
        replaced = sp.expand(sp.expand_power_base(sp.expand(base)).subs(p, t))
        if p.base not in replaced.free_symbols:
            candidates.append((t, p, replaced))
    for v, original, expanded in candidates:
        if not v.is_real:
            continue
        try:
            poly = sp.Poly(expanded, v)
        except sp.PolynomialError:
            continue
        if poly.degree() != 2:
            continue
        alpha, beta_, gamma = (poly.coeff_monomial(v ** k) for k in (2, 1, 0))
        if quick_signs(alpha, domains) != {1}:
            continue
        rest = canonical(gamma - beta_ ** 2 / (4 * alpha))
        if len(quick_signs(rest, domains)) == 3:
            num, den = sp.fraction(sp.together(rest))
            inner = _completed_square(sp.expand(num), domains, depth - 1)
            if inner is None or len(quick_signs(den, domains)) == 3:
                continue
            rest = inner / den
        form = (alpha * (v + canonical(beta_ / (2 * alpha))) ** 2 + rest).subs(v, original)
        signs = quick_signs(form, domains)
        if len(signs) == 1:
            return form
        if len(signs) < 3 and weak is None:
            weak = form
    return weak


def _by_relation(base: sp.Expr, slacks, domain) -> Factor | None:
    """``base`` as a nonzero number times a domain relation's gap (K9), or None."""
    for r in domain:
        gap, rop = normalize(r)
        if not gap.free_symbols & base.free_symbols:
            continue
        for sl in slacks:
            gap = gap.subs(sl.variable, sl.value)
        try:
            k = canonical(base / gap)
        except (sp.PolynomialError, NotImplementedError, TypeError, ZeroDivisionError):
            continue
        if k.is_number and k.is_real and k.is_nonzero:
            return Factor(base, sp.S.One, frozenset(int(sp.sign(k)) * v
                                                    for v in SIGN_SETS[rop]), r)
    return None


def _polygon_factor(base, exponent, domain, domains) -> Factor | None:
    """``base`` signed on the domain's polygon by Polya's certificate (K12): the least N
    that gives a strict sign, else the least that gives a weak one; or None."""
    if not polygon_applies(base):
        return None
    best = None
    for N in range(POLYA_MAX + 1):
        signs = polygon_signs(base, N, domain, domains)
        if signs is not None and (best is None or len(signs) < len(best[1])):
            best = (N, signs)
        if best is not None and len(best[1]) == 1:
            break
    if best is None:
        return None
    try:
        return Factor(base, exponent, power_signs(best[1], exponent), polygon=best[0])
    except KernelError:
        return None


def _sign_proof(expr, op, slacks, domains, domain=(), polygon: bool = False
                ) -> SignProof | None:
    e = expr
    for sl in slacks:
        e = e.subs(sl.variable, sl.value)
    try:
        form = canonical(e)
    except (sp.PolynomialError, NotImplementedError, TypeError):
        return None
    if op == "=":
        return SignProof(tuple(slacks), sp.S.Zero, ()) if form == 0 else None
    if form.has(*CASES):
        return None
    coeff, rest = form.as_coeff_Mul()
    if not (coeff.is_real and coeff.is_finite):
        return None  # nan (an undefined piece) or an infinity: nothing to prove
    if coeff == 0:
        return SignProof(tuple(slacks), sp.S.Zero, ()) if SIGN_SETS[op] >= {0} else None
    factors = []
    total = {1 if coeff > 0 else -1}
    for arg in sp.Mul.make_args(rest):
        if arg == 1:
            continue
        base, exponent = arg.as_base_exp()
        if len(sign_set(base, domains)) == 3:
            # a sum of squares the assumptions can read: (c - a)**2 + a*s >= 0
            base = _completed_square(base, domains) or base
        try:
            signs = power_signs(sign_set(base, domains), exponent)
        except KernelError:
            signs = sign_set(arg, domains)
            base, exponent = (arg, sp.S.One) if len(signs) < 3 else (base, exponent)
        if len(signs) == 3 and exponent.is_integer and exponent.is_positive:
            related = _by_relation(base, slacks, domain)
            if related is not None:
                factors.append(related if exponent == 1 else Factor(
                    base, exponent, power_signs(related.signs, exponent), related.relation))
                total = {a * b for a in total for b in factors[-1].signs}
                continue
        if len(signs) == 3 and polygon and exponent.is_positive:
            signed = _polygon_factor(base, exponent, domain, domains)
            if signed is not None:
                factors.append(signed)
                total = {a * b for a in total for b in signed.signs}
                continue
        if len(signs) == 3:
            return None
        factors.append(Factor(base, exponent, signs))
        total = {a * b for a in total for b in signs}
    if not total <= SIGN_SETS[op]:
        return None
    return SignProof(tuple(slacks), coeff, tuple(factors))

"""The proof kernel accepts sound certificates and rejects forged ones.

Each forged certificate below is what a buggy prover could emit; the kernel must refuse
it (KernelError), whatever the prover claims.
"""
from __future__ import annotations

from fractions import Fraction

import pytest
import sympy as sp

from dpo_proofs.verdicts.cover import Certificate
from dpo_proofs.verdicts.certificates import (CaseProof, EmptyProof, Factor, IntervalProof,
                                             KernelError, SignProof, Slack, UnionProof)
from dpo_proofs.verdicts.kernel import power_signs, sign_set, verify
from dpo_proofs.loss.symbols import beta, x1, x2

POS, NEG, NONNEG, ANY = (frozenset({1}), frozenset({-1}), frozenset({0, 1}),
                         frozenset({-1, 0, 1}))
s = sp.Dummy("s", positive=True)


def test_a_true_factorisation_is_accepted():
    # x1*x2 > 0 on the square: one factor each.
    proof = SignProof((), sp.S.One, (Factor(x1, sp.S.One, POS), Factor(x2, sp.S.One, POS)))
    assert "> 0" in verify(proof, x1 * x2, ">", ())


def test_an_empty_product_never_stands_for_an_expression():
    with pytest.raises(KernelError, match="empty product"):
        verify(SignProof((), sp.S.One, ()), x1 - 1, ">=", ())


def test_factors_must_multiply_to_the_expression():
    proof = SignProof((), sp.S.One, (Factor(x1, sp.S.One, POS),))
    with pytest.raises(KernelError, match="not the product"):
        verify(proof, x1 - x2, ">", ())


def test_a_claimed_sign_must_follow_from_the_assumptions():
    proof = SignProof((), sp.S.One, (Factor(x1 - x2, sp.S.One, POS),))
    with pytest.raises(KernelError, match="assumptions give only"):
        verify(proof, x1 - x2, ">", ())


@pytest.mark.parametrize("exponent", [sp.Symbol("n", integer=True, positive=True),
                                      sp.Rational(1, 2), beta])
def test_powers_of_a_base_of_unfixed_sign_are_never_decided(exponent):
    with pytest.raises(KernelError):
        power_signs(ANY, exponent)
    proof = SignProof((), sp.S.One, (Factor(x2 - x1, exponent, NONNEG),))
    with pytest.raises(KernelError):
        verify(proof, (x2 - x1) ** exponent, ">=", ())


def test_even_and_odd_integer_powers():
    assert power_signs(ANY, sp.Integer(2)) == NONNEG
    assert power_signs(NEG, sp.Integer(3)) == NEG
    with pytest.raises(KernelError, match="negative power"):
        power_signs(ANY, sp.Integer(-2))


def test_a_slack_substitution_needs_an_inverse_that_covers_the_domain():
    domain = (sp.StrictGreaterThan(x1, x2),)
    good = Slack(domain[0], x1, x2 + s, s, x1 - x2, sp.S.One)
    proof = SignProof((good,), sp.S.One, (Factor(s, sp.S.One, POS),))
    verify(proof, x1 - x2, ">", domain)
    # Forged: the inverse is not the gap times a positive quantity (x1 = x2 + s but
    # s = x2 - x1): the substitution covers nothing of the domain.
    bad = Slack(domain[0], x1, x2 + s, s, x2 - x1, -sp.S.One)
    with pytest.raises(KernelError):
        verify(SignProof((bad,), sp.S.One, (Factor(s, sp.S.One, POS),)), x1 - x2, ">",
               domain)
    # Forged: a relation that is not in the domain.
    other = Slack(sp.StrictGreaterThan(x2, x1), x2, x1 + s, s, x2 - x1, sp.S.One)
    with pytest.raises(KernelError, match="not a relation of the domain"):
        verify(SignProof((other,), sp.S.One, (Factor(s, sp.S.One, POS),)), x2 - x1, ">",
               domain)


def test_a_piecewise_expression_needs_every_piece():
    pw = sp.Max(0, x1 - x2)  # 0 where x1 <= x2, x1 - x2 elsewhere: >= 0
    folded = sp.piecewise_fold(pw.rewrite(sp.Piecewise))
    (e1, c1), (e2, c2) = folded.args
    zero = SignProof((), sp.S.Zero, ())
    second = SignProof((), sp.S.One, (Factor(e2, sp.S.One, NONNEG),))
    # the second piece's sign is not fixed on the square alone, only with its condition
    with pytest.raises(KernelError):
        verify(CaseProof(((e1, c1, zero), (e2, c2, second))), pw, ">=", ())
    with pytest.raises(KernelError):
        verify(CaseProof(((e1, c1, zero),)), pw, ">=", ())


def test_a_union_domain_needs_every_branch():
    # (x1 - x2)*(x2 - 1/2) = 0, claim x1 - x2 = 0: true on one branch only.
    relation = sp.Eq((x1 - x2) * (x2 - sp.Rational(1, 2)), 0)
    tie = Slack(sp.Eq(x1 - x2, 0), x1, x2, sp.S.Zero, sp.S.Zero, sp.S.One)
    branch = SignProof((tie,), sp.S.Zero, ())
    # Forged: the second branch is declared "never zero", which it is not.
    forged = UnionProof(relation, sp.S.One, ((x1 - x2, sp.S.One, branch),
                                             (x2 - sp.Rational(1, 2), sp.S.One, None)))
    with pytest.raises(KernelError, match="branch"):
        verify(forged, x1 - x2, "=", (relation,))


def test_an_interval_cover_with_a_false_leaf_is_rejected():
    # Claim x1 - 1/2 > 0 on the square: false; a forged one-leaf cover says 'in'.
    cert = Certificate(("x1", "x2"), ((Fraction(0), Fraction(1)), (Fraction(0), Fraction(1))),
                       (("", "in"),), "0")
    with pytest.raises(KernelError, match="interval cover"):
        verify(IntervalProof((), cert, (x1, x2)), x1 - sp.Rational(1, 2), ">", ())


def test_sign_sets_use_the_unit_interval():
    assert sign_set(1 - x1) == NONNEG   # x1 <= 1
    assert sign_set(sp.log(x1)) <= frozenset({-1, 0})
    assert sign_set(x1 - x2) == ANY


@pytest.mark.parametrize("variant,claim,domain", [
    ("hinge", "d_x1 >= 1", None),
    ("dpop", "ratio >= 2", "x1 > x2"),
    ("simpo", "(x2 - x1)**n_w >= 0", None),
    ("dpo", "ratio > 1", "(x2 - 0.5)*(x1 - 0.5) == 0"),
    ("dpo", "ratio > 1", "(x1 - x2)*(x2 - 0.5) == 0"),
])
def test_reported_false_claims_are_not_proved(variant, claim, domain):
    from dpo_proofs import Status, check, get_variant
    from dpo_proofs.verdicts.claim_text import claim_from_text

    loss = get_variant(variant)
    verdict = check(claim_from_text(claim, loss, domain), loss, budget=60)
    assert verdict.status is not Status.PROVED, verdict.evidence


@pytest.mark.parametrize("domain", ["x1 > 1", "x1 > x2, x1 < x2"])
def test_an_empty_domain_is_reported_empty(domain):
    from dpo_proofs import Status, check, get_variant
    from dpo_proofs.verdicts.claim_text import claim_from_text

    loss = get_variant("dpo")
    verdict = check(claim_from_text("ratio > 1", loss, domain), loss, budget=60)
    assert verdict.status is Status.UNKNOWN
    assert "domain is empty" in verdict.evidence


def test_an_interval_cover_may_be_clipped_only_to_bounds_the_domain_states():
    # cDPO's dL/dx1 < 0 on x2 >= 1/1000 at fixed constants: the prover's root box starts
    # at x2 = 1/1000 (below it the boxes reach x2 = 0, where nothing evaluates). The
    # kernel accepts that root for the domain with the bound and refuses it without.
    from dpo_proofs import get_variant
    from dpo_proofs.verdicts.claim_text import claim_from_text
    from dpo_proofs.verdicts.intervals import interval_prover
    from dpo_proofs.verdicts.problem import constant_domains, reduce_claim
    loss = get_variant("cdpo")
    params = {"beta": "0.1", "r_w": "0.5", "r_l": "0.5", "eps": "0.1"}
    claim = claim_from_text("d_x1 < 0", loss, "x2 >= 0.001")
    problem = reduce_claim(claim, loss, params)
    verdict = interval_prover(problem)  # (check proves it symbolically first, by K8)
    assert verdict.status.name == "PROVED" and verdict.method == "interval", verdict.evidence
    proof = verdict.proof
    assert proof.certificate.root[1][0] == Fraction(1, 1000)  # x2's side, clipped
    domains = constant_domains(problem)
    verify(proof, problem.expr, problem.op, problem.domain, domains)
    with pytest.raises(KernelError, match="does not contain"):
        verify(proof, problem.expr, problem.op, (), domains)


def test_a_relation_factor_takes_the_relation_s_sign_and_nothing_else():
    # K9: on x1 > x2, 3*(x1 - x2) > 0 because the domain says so; a factor that is not a
    # number times the relation's gap, or a relation the domain does not state, is refused.
    rel = x1 > x2
    good = SignProof((), sp.Integer(3), (Factor(x1 - x2, sp.S.One, POS, rel),))
    assert "(by x1 > x2)" in verify(good, 3 * (x1 - x2), ">", (rel,))
    with pytest.raises(KernelError, match="not a relation of the domain"):
        verify(good, 3 * (x1 - x2), ">", (x1 >= x2 / 2,))
    forged = SignProof((), sp.S.One, (Factor(x1 - x2 / 2, sp.S.One, POS, rel),))
    with pytest.raises(KernelError, match="not a nonzero number times"):
        verify(forged, x1 - x2 / 2, ">", (rel,))
    # a negative multiple of the gap has the opposite sign: claiming > 0 is refused
    flipped = SignProof((), sp.S.One, (Factor(x2 - x1, sp.S.One, POS, rel),))
    with pytest.raises(KernelError, match="assumptions give only < 0"):
        verify(flipped, x2 - x1, ">", (rel,))


def test_an_empty_domain_needs_a_proof_that_a_relation_fails_on_the_others():
    # K10: x1 > 2 never holds on the square (2 - x1 >= 0 there); any claim holds on it.
    empty = EmptyProof(x1 > 2, SignProof((), sp.S.One, (Factor(2 - x1, sp.S.One, POS),)))
    assert "the domain is empty" in verify(empty, x1 - 5, ">", (x1 > 2,))
    # x1 > 1/2 is satisfiable: the 'proof' that 1/2 - x1 >= 0 is rejected
    forged = EmptyProof(x1 > sp.Rational(1, 2),
                        SignProof((), sp.S.One, (Factor(sp.Rational(1, 2) - x1, sp.S.One,
                                                        NONNEG),)))
    with pytest.raises(KernelError):
        verify(forged, x1 - 5, ">", (x1 > sp.Rational(1, 2),))
    with pytest.raises(KernelError, match="not a relation of the domain"):
        verify(empty, x1 - 5, ">", (x2 > 2,))


def test_k8_reads_a_sum_of_logarithms_through_its_product():
    # log(x1) - log(x2) - 1 >= 0 where x1 >= 3*x2 (3 > e), not where x1 >= 2*x2 (2 < e)
    u = sp.Dummy("u", nonnegative=True)
    assert sign_set(sp.log(3 * x2 * (1 + u)) - sp.log(x2) - 1) == POS
    assert sign_set(sp.log(2 * x2 * (1 + u)) - sp.log(x2) - 1) == ANY
    # a symbolic common factor of fixed sign: beta*(log(x2) - log(x1)) on x2 = x1*(1 + u)
    assert sign_set(beta * sp.log(x1 * (1 + u)) - beta * sp.log(x1)) == NONNEG


def test_tangent_bounds_give_gibbs_inequality_and_only_an_inequality():
    # p*log(p/a) + q*log(q/b) >= 0 for p + q = a + b = 1 (Gibbs): with p = x1/(x1 + x2)
    # and a = 1/3 it is >= 0, = 0 only where p = a, so it is never decided to be 0.
    p, q = x1 / (x1 + x2), x2 / (x1 + x2)
    kl = p * sp.log(3 * p) + q * sp.log(sp.Rational(3, 2) * q)
    assert sign_set(sp.expand(kl * (x1 + x2))) == NONNEG
    assert verify(SignProof((), sp.S.One, (Factor(1 / (x1 + x2), sp.S.One, POS),
                                           Factor(sp.expand(kl * (x1 + x2)), sp.S.One,
                                                  NONNEG))),
                  kl, ">=", ())
    with pytest.raises(KernelError):
        verify(SignProof((), sp.S.One, (Factor(1 / (x1 + x2), sp.S.One, POS),
                                        Factor(sp.expand(kl * (x1 + x2)), sp.S.One,
                                               frozenset({0})))), kl, "=", ())


def test_a_sign_cut_off_by_the_k8_depth_is_not_served_at_the_top(monkeypatch):
    # Asked first inside nested K8 steps (depth bound reached: no K8), the sign of
    # log(2*(1 + u)) - log(2) must still be decided when asked at the top afterwards:
    # a process's verdicts may not depend on the claims it decided before.
    import dpo_proofs.verdicts.kernel_monotone as km
    u = sp.Dummy("u", positive=True)
    expr = sp.log(3 * (1 + u)) - sp.log(2)
    monkeypatch.setattr(km, "_DEPTH", km.MONOTONE_DEPTH)
    nested = sign_set(expr)
    monkeypatch.setattr(km, "_DEPTH", 0)
    assert sign_set(expr) == POS and nested <= ANY


def test_k11_square_bound_gives_am_gm_and_refuses_forgeries():
    """On c**2 <= a*b: a + b - 2c > 0 where a > b (c <= sqrt(ab) < (a + b)/2), proved
    by the symbolic step and re-checked; forged certificates are rejected."""
    from dpo_proofs.verdicts.certificates import KernelError, RootBoundProof
    from dpo_proofs.verdicts.symbolic import prove

    a, b = sp.symbols("a b", positive=True)
    c = sp.Symbol("c", real=True)
    gram = sp.LessThan(c ** 2, a * b)
    domain = (gram, sp.StrictGreaterThan(a, b))
    expr = beta * (a + b - 2 * c)
    sets = {a: sp.Interval.open(0, sp.oo), b: sp.Interval.open(0, sp.oo),
            c: sp.Interval(-sp.oo, sp.oo)}
    proof = prove(expr, ">", domain, sets)
    assert isinstance(proof, RootBoundProof)
    said = verify(proof, expr, ">", domain, sets)
    assert "a + b > 0" in said
    # a sentence like the other rules' ("it equals ..."), not a bare "= ..."
    assert said.startswith("it equals ") and "is below a + b" in said, said
    # without a > b the strict claim fails at a = b = c: no proof of it may be found
    assert prove(expr, ">", (gram,), sets) is None
    # a forged certificate: a - 2c > 0 is false (a = 1, b = 4, c = 2 gives -3)
    forged = RootBoundProof(gram, c, a - 2 * c, beta, proof.cofactor_proof,
                            proof.constant_proof, proof.bound_proof)
    with pytest.raises(KernelError):
        verify(forged, beta * (a - 2 * c), ">", domain, sets)
    # the relation must be the domain's, and the expression the product
    with pytest.raises(KernelError):
        verify(proof, expr, ">", (sp.StrictGreaterThan(a, b),), sets)
    with pytest.raises(KernelError):
        verify(proof, beta * (a + b - 3 * c), ">", domain, sets)
    # only '> 0' and '>= 0' follow from the bound
    with pytest.raises(KernelError):
        verify(proof, expr, "!=", domain, sets)


def test_k11_in_the_gram_frame():
    """Chosen-minus-rejected log-probability grows under DPO wherever a != b (AM-GM),
    and under CPO wherever a > b: by hand, with s_w > s_l > 0 the rate is
    (a - c) s_w + (b - c) s_l and (a s_w + b s_l)^2 - (s_w + s_l)^2 ab =
    (a - b)(a s_w^2 - b s_l^2) > 0."""
    from dpo_proofs import check

    for variant, where in (("dpo", "a > b"), ("dpo", "a < b"), ("cpo", "a > b")):
        v = check(f"margin_rate > 0 where {where}", variant, frame="gram")
        assert str(v.status) == "proved", (variant, where, v.evidence)
    v = check("margin_rate > 0 where a >= b", "dpo", frame="gram")
    assert str(v.status) == "refuted"
    point = {k: sp.Rational(val) for k, val in v.counterexample.items()}
    assert point["a"] + point["b"] - 2 * point["c"] <= 0


def test_a_domain_that_keeps_a_probability_below_1_opens_its_power_at_1():
    """K2 relaxed: x**c (c > 0) is in (0, 1], and in (0, 1) only where the domain keeps x
    below 1 (x1 + x2 <= 1 with x2 > 0, or x1 <= 9/10); x1 <= x2 does not (x1 = x2 = 1)."""
    from dpo_proofs.verdicts.certificates import below_one
    from dpo_proofs.verdicts.symbolic import prove

    r_w, r_l = sp.symbols("r_w r_l", positive=True)
    assert below_one([x1 + x2 <= 1]) == {x1, x2}
    assert below_one([x1 <= sp.Rational(9, 10)]) == {x1}
    assert below_one([sp.StrictLessThan(x1, 1)]) == {x1}
    assert below_one([x1 <= 1]) == set() and below_one([x1 <= x2]) == set()
    assert below_one([2 * x1 + x2 <= 2]) == {x1}   # x2 <= 2 - 2*x1 is not below 1
    b = sp.Symbol("b", positive=True)
    sets = {b: sp.Interval.open(0, sp.oo)}
    expr = 1 - x1 ** b   # > 0 exactly where x1 < 1
    for domain in ((x1 + x2 <= 1,), (x1 <= sp.Rational(9, 10),)):
        proof = prove(expr, ">", domain, sets)
        assert proof is not None, domain
        verify(proof, expr, ">", domain, sets)
    for domain in ((), (x1 <= x2,), (x1 <= 1,)):   # x1 = 1 is in these: false there
        assert prove(expr, ">", domain, sets) is None, domain
    # the same for x itself (the exact encoding x = 1/(1 + a), a > 0 only below 1)
    for domain, proved in (((x1 + x2 <= 1,), True), ((x2 <= sp.Rational(99, 100),), False),
                           ((), False)):
        assert (prove(1 - x1, ">", domain, sets) is not None) is proved, domain
    # the certificate of the realizable set is refused on the square
    proof = prove(expr, ">", (x1 + x2 <= 1,), sets)
    with pytest.raises(KernelError):
        verify(proof, expr, ">", (), sets)
    # u + v - 2uv > 0 for u, v in (0, 1): ORPO's odds factor
    u, v = x1 ** b, x2 ** (1 / b)
    proof = prove(u + v - 2 * u * v, ">", (x1 + x2 <= 1,), sets)
    assert proof is not None
    verify(proof, u + v - 2 * u * v, ">", (x1 + x2 <= 1,), sets)
    assert prove(u + v - 2 * u * v, ">", (), sets) is None   # 0 at x1 = x2 = 1


def test_orpo_pushes_the_rejected_response_down_wherever_both_are_below_1():
    """By hand: d_x2 = lam*x2**(1/n_l - 1)*(1 - u)/(n_l*(1 - v)*(u + v - 2uv)) with
    u = x1**(1/n_w), v = x2**(1/n_l) in (0, 1), each factor positive; at x1 = 1, u = 1
    and d_x2 = 0, so on the closed square only the realizable set carries the proof."""
    from dpo_proofs import check

    v = check("d_x2 > 0 where x1 <= 0.9, x2 <= 0.9", "orpo")
    assert str(v.status) == "proved" and v.details.get("kernel") == "re-checked", v.evidence
    v = check("d_x2 > 0", "orpo")
    assert str(v.status) == "proved" and v.details["realizable_only"] == "x1 + x2 <= 1"
    assert sp.Rational(v.details["fails_off_it_at"]["x1"]) == 1


def test_orpo_at_unit_lengths_and_a_clipped_loss_by_its_disjunctive_pieces():
    """ORPO with n_w = n_l = 1: d_x2 = lam*(1 - x1)/((1 - x2)*(x1 + x2 - 2*x1*x2)) by
    hand, > 0 below 1 (and the domain x2 <= 0.99 is not empty). chi-PO clips
    z = beta*(log(2*x1) + 2*x1 - log(2*x2) - 2*x2) to [-2, 2] (R_max = 1); with
    x >= 1e-6 and beta = 1/20, |z| <= (log(1e6) + 2)/20 < 2, so d_x1 < 0 there; the
    clipped pieces come as one condition (z >= 2) | (z <= -2), taken one disjunct at a
    time. On the whole square it fails where z is clipped (x2 tiny)."""
    from dpo_proofs import check

    v = check("d_x2 > 0 where x2 <= 0.99, x1 <= 0.5", "orpo",
              params={"lam": "0.01..10", "n_w": "1", "n_l": "1"})
    assert str(v.status) == "proved" and v.method == "symbolic", v.evidence
    chi = {"beta": "0.05", "r_w": "0.5", "r_l": "0.5", "R_max": "1"}
    v = check("d_x1 < 0 where x1 >= 0.000001, x2 >= 0.000001", "chipo", params=chi)
    assert str(v.status) == "proved", v.evidence
    v = check("d_x1 < 0", "chipo", params=chi)
    assert str(v.status) == "refuted"

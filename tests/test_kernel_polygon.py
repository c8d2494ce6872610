"""K12: a polynomial's sign on the polygon the domain's linear relations cut out.

Sound certificates are accepted, forged ones refused, and whatever sign the rule gives
holds at every point of the polygon that is tried exactly (hypothesis: random polygons,
random polynomials, random Polya exponents).
"""
from __future__ import annotations

import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

from dpo_proofs import check, user_loss
from dpo_proofs.loss.symbols import x1, x2
from dpo_proofs.verdicts.certificates import (Factor, KernelError, SignProof, Slack,
                                             normalize)
from dpo_proofs.verdicts.kernel import verify
from dpo_proofs.verdicts.kernel_polygon import POLYA_MAX, polygon_signs

POS, NEG = frozenset({1}), frozenset({-1})

#: Ren and Sutherland's squeezing in the softmax frame over three responses, by hand:
#: d_x1 = x1*p with p = 2x1^2 + 2x1x2 - 3x1 + 2x2^2 - 3x2 + 1, and on the triangle
#: x2 > 0, 2x1 + x2 > 1, x1 + x2 < 1 (vertices (1/2, 0), (1, 0), (0, 1)),
#: -p = l1*l2/2 + 3*l1*l3/2 + 2*l2*l3 in barycentric coordinates: p < 0 inside, and
#: p = 0 at the three vertices, none of which is in the domain.
P = 2 * x1**2 + 2 * x1 * x2 - 3 * x1 + 2 * x2**2 - 3 * x2 + 1
TRIANGLE = (x1 + x2 < 1, x1 > 1 - x1 - x2)


def test_the_squeezing_polynomial_is_negative_on_its_triangle():
    assert polygon_signs(P, 0, TRIANGLE, {}) == NEG
    proof = SignProof((), sp.S.NegativeOne, (Factor(x1, sp.S.One, POS),
                                             Factor(P, sp.S.One, NEG, polygon=0)))
    assert "Polya" in str(verify(proof, -x1 * P, ">", TRIANGLE))
    # the same certificate on the whole square is refused: p > 0 near (0, 0)
    with pytest.raises(KernelError):
        verify(proof, -x1 * P, ">", ())


def test_a_zero_at_a_vertex_in_the_domain_gives_only_ge():
    # p = x1 + x2 - 1 on [1/2, 1]^2 vanishes at the vertex (1/2, 1/2): >= 0 there;
    # with x1 > 1/2 strict the vertex leaves the domain and p > 0.
    p = x1 + x2 - 1
    assert polygon_signs(p, 0, (x1 >= sp.S.Half, x2 >= sp.S.Half), {}) == frozenset({0, 1})
    assert polygon_signs(p, 0, (x1 > sp.S.Half, x2 >= sp.S.Half), {}) == POS
    # the squeezing polynomial keeps its strict sign on the closed triangle: its zeros
    # are the vertices (0, 1) and (1/2, 0), (1, 0), which the square's x1 > 0, x2 > 0 drop
    assert polygon_signs(P, 0, (x1 + x2 <= 1, 2 * x1 + x2 >= 1), {}) == NEG


def test_forged_polygon_certificates_are_refused():
    # p changes sign on the square: no N shows a sign.
    proof = SignProof((), sp.S.One, (Factor(P, sp.S.One, NEG, polygon=0),))
    with pytest.raises(KernelError, match="Polya"):
        verify(proof, P, ">", ())
    # a polygon factor inside a substitution: the polygon is read in x1, x2 only
    s = sp.Dummy("s", positive=True)
    slack = Slack(x1 > x2, x1, x2 + s, s, x1 - x2, sp.S.One)
    with pytest.raises(KernelError):
        verify(SignProof((slack,), sp.S.One, (Factor(P, sp.S.One, NEG, polygon=0),)),
               P, ">", (x1 > x2,))
    # an exponent past the count bound is refused
    assert polygon_signs(P, POLYA_MAX + 1, TRIANGLE, {}) is None


def test_the_engine_proves_the_squeezing_claim_and_refutes_its_converse():
    loss = user_loss("log(x2)", name="log(x2)")
    proved = check("d_x1 < 0 where x1 > 1 - x1 - x2", loss, frame="softmax", budget=None)
    assert proved.status.name == "PROVED" and "Polya" in str(proved.evidence)
    # on the other side, x1 < x3, the rich-get-richer push can fail: p > 0 near (0, 0)
    refuted = check("d_x1 < 0 where x1 < 1 - x1 - x2", loss, frame="softmax", budget=None)
    assert refuted.status.name == "REFUTED"


_coefficient = st.integers(-3, 3)


@st.composite
def _polygons(draw):
    relations = []
    for _ in range(draw(st.integers(0, 3))):
        a, b, c = draw(_coefficient), draw(_coefficient), draw(_coefficient)
        if a == b == 0:
            continue
        relations.append(a * x1 + b * x2 + c > 0 if draw(st.booleans())
                         else a * x1 + b * x2 + c >= 0)
    return tuple(r for r in relations if r not in (sp.true, sp.false))


@st.composite
def _polynomials(draw):
    terms = [draw(_coefficient) * x1**i * x2**j
             for i in range(3) for j in range(3 - i) if draw(st.booleans())]
    return sp.expand(sum(terms, sp.S.Zero))


def _inside(point, domain) -> bool:
    if not (0 < point[0] <= 1 and 0 < point[1] <= 1):
        return False
    for r in domain:
        gap, op = normalize(r)
        value = gap.subs({x1: point[0], x2: point[1]})
        if not (value > 0 if op == ">" else value >= 0):
            return False
    return True


@settings(max_examples=60, deadline=None, derandomize=True)
@given(_polygons(), _polynomials(), st.integers(0, 3))
def test_a_sign_the_rule_gives_holds_at_every_rational_point_tried(domain, p, N):
    signs = polygon_signs(p, N, domain, {})
    if signs is None:
        return
    grid = [sp.Rational(i, 12) for i in range(1, 13)]
    for a in grid:
        for b in grid:
            if _inside((a, b), domain):
                value = p.subs({x1: a, x2: b})
                assert int(sp.sign(value)) in signs, (p, domain, N, (a, b), value)


def test_one_relation_in_two_spellings_is_one_condition():
    # A piecewise form whose conditions spell beta*(a - b) <= -1 and beta*a - beta*b <= -1
    # (two chain rules): the pieces 'A and not B' are empty, and the form is its value.
    from dpo_proofs.verdicts.certificates import split_cases

    b = sp.Symbol("beta", positive=True)
    one = b * (sp.log(x2) - sp.log(x1)) <= -1
    two = b * sp.log(x2) - b * sp.log(x1) <= -1
    form = sp.Piecewise((0, one & two), (2 * b * (x1 - x2), one), (-2 * b * (x1 - x2), two),
                        (0, True))
    assert split_cases(form) == 0


def test_the_hinge_hessian_in_logits_is_zero_off_its_seam():
    # softmax over three responses: L = max(0, 1 - beta*(z1 - z2) + const), piecewise
    # linear in the logits z, so its Hessian in the frame's coordinates vanishes
    verdict = check("hess_trace = 0 where x2 >= 0.001", "hinge", frame="softmax", budget=None)
    assert verdict.status.name == "PROVED", verdict.evidence

"""DPO's gradient field against expectations derived by hand (independent route).

By hand: with h = beta*log(x1/r_w) - beta*log(x2/r_l) and L = -log sigma(h),
dL/dh = -sigma(-h), dh/dx1 = beta/x1, dh/dx2 = -beta/x2, so
dL/dx1 = -beta*sigma(-h)/x1 < 0, dL/dx2 = beta*sigma(-h)/x2 > 0, R = x1/x2.
"""
import pytest
import sympy as sp

import dpo_proofs
from dpo_proofs import beta, r_l, r_w, x1, x2

H = beta * sp.log(x1 / r_w) - beta * sp.log(x2 / r_l)
SIGMA_MINUS_H = 1 / (1 + sp.exp(H))
HAND_D_X1 = -beta * SIGMA_MINUS_H / x1
HAND_D_X2 = beta * SIGMA_MINUS_H / x2


@pytest.fixture(scope="module")
def result():
    return dpo_proofs.analyze("dpo")


def same(a, b):
    return sp.simplify(sp.expand_log(sp.powsimp(sp.expand_power_exp(a - b)), force=True)) == 0


@pytest.mark.parametrize("derived,hand", [("d_x1", HAND_D_X1), ("d_x2", HAND_D_X2)])
def test_partials_match_hand_derivation(result, derived, hand):
    expr = getattr(result.field, derived).closed_form
    # Compare at exact random points too: simplify alone proves nothing if it gives up.
    assert same(expr, hand)
    for point in ({x1: sp.Rational(3, 5), x2: sp.Rational(1, 7), r_w: sp.Rational(1, 3),
                   r_l: sp.Rational(2, 9), beta: sp.Rational(7, 3)},
                  {x1: sp.Rational(1, 10**9), x2: 1, r_w: 1, r_l: sp.Rational(1, 2),
                   beta: sp.Rational(1, 10)}):
        assert sp.N(expr.subs(point) - hand.subs(point), 50) == pytest.approx(0, abs=1e-45)


def test_closed_forms_are_canonical(result):
    f = result.field
    assert f.d_x1.closed_form == -beta * r_w**beta * x2**beta / (
        x1 * (r_l**beta * x1**beta + r_w**beta * x2**beta))
    assert f.ratio == x1 / x2


def test_signs_are_derived_for_whole_domain(result):
    assert result.field.d_x1.sign.sign == -1
    assert result.field.d_x2.sign.sign == 1


def test_exact_regions(result):
    f = result.field
    assert f.region_ratio_gt_1 == sp.StrictGreaterThan(x1, x2)
    assert f.region_ratio_eq_1 == sp.Eq(x1, x2)
    assert f.region_ratio_lt_1 == sp.StrictLessThan(x1, x2)


def test_radial_component_and_conserved_quantity(result):
    f = result.field
    assert f.radial == 0
    assert f.is_margin_loss
    assert f.curl == 0
    assert f.conserved is not None
    # Conserved up to a constant factor: compare the level sets' defining polynomial.
    assert sp.factor(f.conserved.expr / (x1**2 + x2**2)).free_symbols == set()
    along = sp.diff(x1**2 + x2**2, x1) * HAND_D_X1 + sp.diff(x1**2 + x2**2, x2) * HAND_D_X2
    assert sp.simplify(along) == 0


def test_divergence_is_laplacian(result):
    laplacian = sp.diff(HAND_D_X1, x1) + sp.diff(HAND_D_X2, x2)
    point = {x1: sp.Rational(2, 3), x2: sp.Rational(1, 5), r_w: sp.Rational(1, 4),
             r_l: sp.Rational(1, 2), beta: sp.Rational(3, 2)}
    assert sp.N((result.field.divergence - laplacian).subs(point), 40) == pytest.approx(0, abs=1e-35)


def test_limits_of_d_x2_at_zero(result):
    limits = {lim.case: lim.value for lim in result.field.limits}
    assert limits["beta < 1"] == sp.oo
    assert limits["beta > 1"] == 0
    assert sp.simplify(limits["beta = 1"] - r_w / (r_l * x1)) == 0


def test_reduced_form_is_proved_same_function(result):
    (form,) = result.equivalent_forms
    assert form.same is True


def test_a_wrong_reduced_form_is_not_accepted():
    from dpo_proofs.field.canonical import prove_equal

    wrong = -sp.log(x1**beta / (x1**beta + (r_l / r_w) ** beta * x2**beta))  # K inverted
    same, _ = prove_equal(dpo_proofs.get_variant("dpo").expr, wrong)
    assert same is not True


def test_verdicts_all_proved_symbolically(result):
    for v in result.verdicts:
        assert str(v.status) == "proved", v
        assert v.method == "symbolic"


def test_claim_false_for_dpo_is_refuted_with_confirmed_point():
    claim = dpo_proofs.Claim("wrong_side", sp.StrictGreaterThan(sp.Symbol("ratio", real=True), 1),
                             sp.StrictLessThan(x1, x2))
    verdict = dpo_proofs.check(claim, dpo_proofs.get_variant("dpo"))
    assert verdict.status is dpo_proofs.Status.REFUTED
    point = {k: sp.Rational(v) for k, v in verdict.counterexample.items()}
    assert point["x1"] < point["x2"]
    # the violation (R <= 1, i.e. ratio - 1 <= 0) is certified at the point: an exact
    # value or an enclosure that excludes 0
    assert verdict.details["exact"] or verdict.details["certified_bits"] >= 256


def test_fixed_parameters_are_validated():
    with pytest.raises(dpo_proofs.InvalidArgument, match="beta"):
        dpo_proofs.analyze("dpo", params={"beta": 0})
    with pytest.raises(dpo_proofs.InvalidArgument, match="r_w"):
        dpo_proofs.analyze("dpo", params={"r_w": "1.5"})
    with pytest.raises(dpo_proofs.UnknownVariant):
        dpo_proofs.analyze("no-such-loss")


def test_fixed_beta_analysis():
    res = dpo_proofs.analyze("dpo", params={"beta": 1})
    assert res.field.ratio == x1 / x2
    assert res.field.d_x1.closed_form == -r_w * x2 / (x1 * (r_l * x1 + r_w * x2))

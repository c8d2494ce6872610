"""Regions in their simplest equivalent form (field.region_forms), against hand
derivations: the cones and thresholds a reader of the papers would write."""
from __future__ import annotations

import random
import zlib

import pytest
import sympy as sp

from dpo_proofs import CATALOGUE, get_variant
from dpo_proofs.field.frames import get_parametrization
from dpo_proofs.field.in_frame import field_of, with_frame_constants
from dpo_proofs.field.region_forms import regions_of, simplest_region, simplest_relation
from dpo_proofs.loss.symbols import beta, r_l, r_w, x1, x2


def _regions(name: str) -> dict:
    return dict(regions_of(field_of(get_variant(name))))


def _constant(loss, name: str) -> sp.Symbol:
    return next(p.symbol for p in loss.parameters if p.name == name)


def test_hinge_is_a_threshold_on_the_margin():
    # hinge: L = max(0, 1 - h), h = beta*log(x1/r_w) - beta*log(x2/r_l); the gradient
    # vanishes exactly where h >= 1, i.e. x1 >= (r_w/r_l)*e^(1/beta)*x2 (by hand)
    regions = _regions("hinge")
    cone = r_w * sp.exp(1 / beta) * x2 / r_l
    assert regions["x1_not_pushed_up"] == sp.GreaterThan(x1, cone)
    assert regions["x2_not_pushed_down"] == sp.GreaterThan(x1, cone)
    assert regions["ratio_gt_1"] == sp.And(x1 > x2, x1 < cone)


def test_exo_pair_stops_at_its_smoothed_label():
    # EXO with label smoothing eps: the pull on x1 vanishes where sigma(h) = 1 - eps,
    # h = log((1 - eps)/eps), i.e. x1 = (r_w/r_l)*((1 - eps)/eps)**(1/beta)*x2 (by hand)
    loss = get_variant("exo_pair")
    eps = _constant(loss, "eps")
    region = _regions("exo_pair")["x1_not_pushed_up"]
    assert isinstance(region, sp.GreaterThan) and region.lhs == x1
    cone = r_w / r_l * ((1 - eps) / eps) ** (1 / beta) * x2
    point = {beta: sp.Rational(1, 10), r_w: sp.Rational(1, 2), r_l: sp.Rational(1, 3),
             eps: sp.Rational(1, 100), x2: sp.Rational(1, 7)}
    assert sp.simplify((region.rhs - cone).subs(point)) == 0


def test_dpo_shift_cone_and_fdpo_square_root():
    # DPO-Shift: R = lam*x1/x2; forward-KL f-DPO: R > 1 iff r_l*x1**2 > r_w*x2**2 (by hand)
    lam = _constant(get_variant("dpo_shift"), "lam")
    assert _regions("dpo_shift")["ratio_gt_1"] == sp.StrictGreaterThan(x1, x2 / lam)
    assert _regions("fdpo_forward_kl")["ratio_gt_1"] == sp.StrictGreaterThan(
        x1, sp.sqrt(r_w) * x2 / sp.sqrt(r_l))


def test_cpo_is_a_relation_in_x1_over_x2():
    # CPO: L = -log sigma(beta*log(x1/x2)) - alpha*log(x1); R > 1 iff
    # beta*rho > alpha*rho**beta + alpha + beta with rho = x1/x2 (by hand)
    alpha = _constant(get_variant("cpo"), "alpha")
    region = _regions("cpo")["ratio_gt_1"]
    rho = sp.Symbol("rho", positive=True)
    by_hand = beta * rho - alpha * rho ** beta - alpha - beta
    for a, b, values in ((sp.Rational(9, 10), sp.Rational(1, 10), (1, 1)),
                         (sp.Rational(1, 2), sp.Rational(1, 4), (sp.Rational(1, 2), 2)),
                         (sp.Rational(1, 5), sp.Rational(3, 5), (sp.Rational(1, 10), 1))):
        at = {x1: a, x2: b, beta: values[0], alpha: values[1]}
        expected = by_hand.subs({rho: a / b, beta: values[0], alpha: values[1]}) > 0
        assert bool(region.subs(at)) == bool(expected)


def test_thresholds_beyond_the_unit_interval_are_decided():
    # x1**(1/3) > 1 cannot hold for a probability; x1**(1/3) < 1 is x1 != 1 there
    assert simplest_relation(x1 ** sp.Rational(1, 3) > 1) is sp.false
    assert simplest_relation(x1 ** sp.Rational(1, 3) < 1) == sp.Ne(x1, 1)
    assert simplest_relation(2 * x1 - 3 < 0) is sp.true


def test_relations_that_do_not_reduce_are_kept():
    # 2*x1*x2 > x1 + x2 is not a relation in x1/x2 (its sign changes with x2 at fixed
    # x1/x2), and sympy's own spelling is kept
    rel = 2 * x1 * x2 > x1 + x2
    assert simplest_relation(rel) == rel
    assert simplest_region(sp.And(rel, x1 > x2)) == sp.And(rel, x1 > x2)


def test_relations_to_one_threshold_are_merged():
    t = r_w * x2 / r_l
    region = sp.Or(x1 >= t, sp.And(sp.Eq(x1, t), x1 < t), sp.And(x1 > t, x1 < t))
    assert simplest_region(region) == sp.GreaterThan(x1, t)
    assert simplest_region(sp.And(x1 > x2, x1 < t, sp.Ne(x1, t))) == sp.And(x1 > x2, x1 < t)
    # a relation that does not reduce is merged the same way, -g read as g flipped
    g = 2 * x1 * x2 - x1 - x2
    assert simplest_region(sp.Or(g > 0, sp.Eq(-g, 0))) == sp.LessThan(x1 + x2, 2 * x1 * x2)


def test_a_quadratic_without_real_roots_has_one_sign():
    # BPO (LSIF): the undecided factor is r_l^(2b)*u^2 - (r_l*r_w)^b*u + r_w^(2b) in
    # u = (x1/x2)^b, whose discriminant -3*(r_l*r_w)^(2b) < 0 (by hand): positive, so x1
    # is pushed up everywhere and R > 1 exactly where x1 > x2
    regions = _regions("bpo_lsif")
    assert regions["x1_not_pushed_up"] is sp.false
    assert regions["ratio_gt_1"] == sp.StrictGreaterThan(x1, x2)
    u = sp.Symbol("u", positive=True)
    assert simplest_relation(sp.StrictGreaterThan(u ** 2 - u + 1, 0).subs(u, x1)) is sp.true
    assert simplest_relation(sp.StrictGreaterThan(x1 ** 2 - 3 * x1 + 1, 0)) != sp.true


def test_x1_against_a_threshold_in_x2():
    # 2*log(x1) > 3*log(x2) + 1 iff x1 > x2**(3/2)*e**(1/2) (by hand); not a relation
    # in x1/x2, since the powers of x1 and x2 differ
    rel = sp.StrictGreaterThan(2 * sp.log(x1), 3 * sp.log(x2) + 1)
    assert simplest_relation(rel) == sp.StrictGreaterThan(x1, x2 ** sp.Rational(3, 2)
                                                          * sp.exp(sp.Rational(1, 2)))


def _edge(name: str) -> tuple:
    frame = get_parametrization("softmax:2")
    field = field_of(with_frame_constants(get_variant(name), frame), frame)
    return field, dict(regions_of(field, frame))


def test_on_the_edge_a_cone_becomes_a_threshold_on_x1():
    # softmax:2 (x2 = 1 - x1): the hinge stops pushing where h >= 1, i.e. where
    # x1/(1 - x1) >= T = (r_w/r_l)*e^(1/beta), i.e. x1 >= T/(1 + T) (by hand); on the
    # edge dx1/dt = -dx2/dt, so R = 1 wherever the field does not vanish
    _, regions = _edge("hinge")
    t = r_w * sp.exp(1 / beta) / r_l
    threshold = regions["x1_not_pushed_up"].args
    assert sp.Eq(x1 + x2, 1) in threshold
    (rel,) = [a for a in threshold if a != sp.Eq(x1 + x2, 1)]
    assert isinstance(rel, sp.GreaterThan) and rel.lhs == x1
    assert sp.simplify(rel.rhs - t / (1 + t)) == 0
    assert regions["ratio_gt_1"] is sp.false and regions["ratio_lt_1"] is sp.false
    # DPO pushes x1 up on the whole edge
    assert _edge("dpo")[1]["x1_not_pushed_up"] is sp.false


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_edge_regions_against_the_frame_field(name):
    # the printed region "x1 not pushed up" on the edge must be the set where the
    # frame's field component dL-velocity of x1 is >= 0, evaluated at 50 digits
    field, regions = _edge(name)
    region = regions["x1_not_pushed_up"]
    values = {p.symbol: p.default for p in get_variant(name).parameters}
    rng = random.Random(zlib.crc32(name.encode()))
    checked = 0
    for _ in range(12):
        a = sp.Rational(rng.randint(20, 980), 1000)
        at = {**values, x1: a, x2: 1 - a}
        value = field.d_x1.closed_form.xreplace(at).evalf(50)
        if not value.is_real or abs(value) < sp.Float(10) ** -30:
            continue  # undefined, or the boundary where the push vanishes
        shown = region.xreplace({s: v for s, v in at.items() if s in region.free_symbols})
        shown = shown if shown in (sp.true, sp.false) else sp.simplify(shown.evalf(50))
        assert bool(shown) == bool(value > 0), (name, a, region)
        checked += 1
    assert checked >= 6, name

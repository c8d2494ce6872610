"""Every catalogue variant: derived partials, signs and regions vs independent numerics."""
from __future__ import annotations

import random
import zlib

import mpmath
import pytest
import sympy as sp

from dpo_proofs import CATALOGUE, NOT_PER_PAIR, UnknownVariant, get_variant
from dpo_proofs.field.in_frame import field_of as cached_field
from dpo_proofs.field.region_forms import simplest_region
from dpo_proofs.numerics.confirm import confirm_partials
from dpo_proofs.loss.symbols import beta, r_l, r_w, x1, x2

NAMES = sorted(CATALOGUE)
DPS = 50


def _mp_fn(loss, expr):
    # Own numerics of the definition (not the package's mp_callable).
    syms = [x1, x2, *[p.symbol for p in loss.parameters]]
    blocks = {"sigmoid": lambda z: 1 / (1 + mpmath.exp(-z)),
              "log_sigmoid": lambda z: -mpmath.log(1 + mpmath.exp(-z)),
              "softplus": lambda z: mpmath.log(1 + mpmath.exp(z))}
    return syms, sp.lambdify(syms, expr, modules=[blocks, "mpmath"])


def _points(loss, n, seed):
    rng = random.Random(seed)
    for _ in range(n):
        point = {"x1": sp.Rational(repr(rng.uniform(0.05, 0.95))),
                 "x2": sp.Rational(repr(rng.uniform(0.05, 0.95)))}
        for p in loss.parameters:
            if p.name in ("r_w", "r_l"):
                point[p.name] = sp.Rational(repr(rng.uniform(0.05, 0.95)))
            elif p.name == "beta":
                point[p.name] = sp.Rational(repr(rng.uniform(0.05, 3)))
            elif p.integer:  # token lengths: equal defaults would make R = 1 a tie everywhere
                point[p.name] = sp.Integer(rng.randint(1, 20))
            else:
                point[p.name] = p.default
        yield point


def _near_kink(field, point):
    for kink in field.kinks:
        # numerically (50-digit Floats): an exact x1**(p/q) with a 16-digit q, from a
        # random beta, makes sympy factor huge integers (a worker grew to 21 GB on chipo)
        at = {s: sp.Float(point[s.name], DPS) for s in kink.free_symbols if s.name in point}
        gap = (kink.lhs - kink.rhs).evalf(30, subs=at)
        if abs(gap) < sp.Rational(1, 10**4):
            return True
    return False


def _numeric_partials(loss, point):
    syms, f = _mp_fn(loss, loss.expr)
    with mpmath.workdps(DPS):
        args = [mpmath.mpf(sp.Rational(point[s.name]).p) / sp.Rational(point[s.name]).q
                for s in syms]
        out = []
        for i in (0, 1):
            def along(t, i=i):
                a = list(args)
                a[i] = t
                return f(*a)
            out.append(mpmath.diff(along, args[i]))
        return out, syms, args


@pytest.fixture(scope="module", params=NAMES)
def variant(request):
    loss = get_variant(request.param)
    return loss, cached_field(loss)


def test_partials_signs_and_region_against_definition(variant):
    loss, field = variant
    checked = 0
    # a stable seed (str hash is salted per process); up to 48 points until 8 region
    # checks, since where the gradient vanishes (a saturated clip or hinge, the inactive
    # side of a min) R is undefined and the point checks the partials only
    # the regions as printed (each relation in its simplest form) must be the same sets
    shown = simplest_region(field.region_ratio_gt_1, field.domains)
    not_up = simplest_region(sp.Or(field.region_partial(x1, ">"), field.region_partial(x1, "=")),
                             field.domains)
    for point in _points(loss, 48, seed=zlib.crc32(loss.name.encode()) % 1000):
        if checked >= 8:
            break
        if field.kinks and _near_kink(field, point):
            continue
        (n1, n2), syms, args = _numeric_partials(loss, point)
        with mpmath.workdps(DPS):
            s1 = sp.lambdify(syms, field.d_x1.closed_form, "mpmath")(*args)
            s2 = sp.lambdify(syms, field.d_x2.closed_form, "mpmath")(*args)
            assert abs(s1 - n1) <= mpmath.mpf(10) ** -30 * max(1, abs(n1)), (loss.name, point)
            assert abs(s2 - n2) <= mpmath.mpf(10) ** -30 * max(1, abs(n2)), (loss.name, point)
            for sign, value in ((field.d_x1.sign.sign, n1), (field.d_x2.sign.sign, n2)):
                if sign is not None and sign != 0:
                    assert mpmath.sign(value) == sign, (loss.name, point)
            if abs(n1) > mpmath.mpf(10) ** -30:
                at = {s: sp.Float(point[s.name], DPS) for s in not_up.free_symbols}
                assert bool(not_up.subs(at)) == (n1 > 0), (loss.name, point, not_up)
            if n1 == 0 or abs(abs(n2 / n1) - 1) < mpmath.mpf(10) ** -30:
                continue  # R undefined or a tie: the region's boundary
            direct = abs(n2 / n1) > 1
        # 50-digit Floats: exact rational powers x1**(p/q) are far too slow in sympy.
        for region in (field.region_ratio_gt_1, shown):
            subs = {s: sp.Float(point[s.name], DPS) for s in region.free_symbols}
            assert bool(region.subs(subs)) == direct, (loss.name, point, region)
        checked += 1
    assert checked >= 6


def test_high_precision_confirmation(variant):
    loss, field = variant
    confirmations = confirm_partials(loss, field.d_x1.closed_form, field.d_x2.closed_form)
    low = min(c.digits for c in confirmations)
    assert all(c.passed for c in confirmations), (loss.name, low)


def test_every_variant_has_provenance():
    for loss in CATALOGUE.values():
        assert loss.citation and loss.reading and loss.title
        for p in loss.parameters:
            assert p.validate(p.default) == p.default


@pytest.mark.parametrize("name", sorted(NOT_PER_PAIR))
def test_not_per_pair_refused_with_reason(name):
    with pytest.raises(UnknownVariant, match="no per-pair form"):
        get_variant(name)


def _close(a, b, point):
    return abs(sp.N((a - b).subs(point), 40)) < 1e-30


def test_ipo_partials_by_hand():
    f = cached_field(get_variant("ipo"))
    inner = sp.log(x1 / r_w) - sp.log(x2 / r_l) - 1 / (2 * beta)
    point = {x1: sp.Rational(3, 7), x2: sp.Rational(2, 9), r_w: sp.Rational(1, 3),
             r_l: sp.Rational(3, 5), beta: sp.Rational(7, 10)}
    assert _close(f.d_x1.closed_form, 2 * inner / x1, point)
    assert _close(f.d_x2.closed_form, -2 * inner / x2, point)
    assert f.ratio == x1 / x2 and f.is_margin_loss


def test_simpo_partials_by_hand():
    loss = get_variant("simpo")
    f = cached_field(loss)
    names = {p.name: p.symbol for p in loss.parameters}
    n_w, n_l, gamma = names["n_w"], names["n_l"], names["gamma"]
    z = beta / n_w * sp.log(x1) - beta / n_l * sp.log(x2) - gamma
    w = 1 / (1 + sp.exp(z))  # sigma(-z)
    point = {x1: sp.Rational(3, 7), x2: sp.Rational(2, 9), beta: 2, gamma: sp.Rational(1, 2),
             n_w: 7, n_l: 3}
    assert _close(f.d_x1.closed_form, -beta / (n_w * x1) * w, point)
    assert _close(f.d_x2.closed_form, beta / (n_l * x2) * w, point)
    assert f.ratio == n_w * x1 / (n_l * x2)
    assert f.region_ratio_gt_1 == sp.StrictGreaterThan(n_w * x1, n_l * x2)


def test_hinge_is_analysed_piecewise():
    f = cached_field(get_variant("hinge"))
    assert f.pieces and f.kinks
    assert f.is_margin_loss
    # the gradient vanishes exactly where the hinge is inactive: 1 - h <= 0
    inactive = {x1: sp.Rational(9, 10), x2: sp.Rational(1, 10**6), r_w: sp.Rational(1, 2),
                r_l: sp.Rational(1, 2), beta: 1}
    assert bool(f.vanishing.subs(inactive))
    active = {**inactive, x2: sp.Rational(8, 10)}
    assert not bool(f.vanishing.subs(active))


def test_dpop_region_uses_penalty_piece():
    loss = get_variant("dpop")
    f = cached_field(loss)
    lam = loss.parameter("lam").symbol
    below = {x1: sp.Rational(1, 5), x2: sp.Rational(1, 10), r_w: sp.Rational(1, 2),
             r_l: sp.Rational(1, 2), beta: 1, lam: 50}
    # x1 < r_w: R = x1/((1+lam) x2) = 2/51 < 1 although x1 > x2
    assert not bool(f.region_ratio_gt_1.subs(below))
    assert bool(f.region_ratio_gt_1.subs({**below, x1: sp.Rational(9, 10)}))

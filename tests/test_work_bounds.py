"""Derivations bounded by work, not by a clock: what is beyond a bound is reported as not
derived, with the reason, the same on any machine; and the quantities derived on demand."""
from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import sympy as sp

from dpo_proofs.field.flow import limit_point
from dpo_proofs.field.frames import get_parametrization
from dpo_proofs.field.gradient import gradient_field
from dpo_proofs.field.limits import LIMIT_OPS, limits_at_zero
from dpo_proofs.loss.names import get_variant
from dpo_proofs.loss.symbols import x1, x2
from dpo_proofs.numerics.certify import certified_sign
from dpo_proofs.printers.text import analysis_text
from dpo_proofs.pipeline import analyze

_MOVING = SimpleNamespace(vanishing=sp.false)  # a field that vanishes nowhere


def test_a_limit_over_the_work_bound_is_not_derived_and_says_why():
    # Exponents k*(x1 - 1/2): their order changes with x1, so no term dominates.
    big = sp.Add(*[x2**(k * (x1 - sp.Rational(1, 2))) / (k + x1) for k in range(1, 60)])
    assert sp.count_ops(big) > LIMIT_OPS
    (limit,) = limits_at_zero(big)
    assert limit.value is None and "work bound" in limit.reason
    assert "dominant part is not decided" in limit.reason
    # With decided exponents the dominant term x2/(1 + x1) gives the limit 0 (by hand:
    # every term x2**k/(k + x1) tends to 0); each correction is checked to tend to 0.
    (reduced,) = limits_at_zero(sp.Add(*[x2**k / (k + x1) for k in range(1, 60)]) + 1 / x2)
    assert reduced.value == sp.oo
    (small,) = limits_at_zero(x2 / (1 + x1) + 1)
    assert small.value == 1


def test_a_piecewise_level_set_leaves_the_limit_point_undecided_not_a_corner():
    beta = sp.Symbol("beta", positive=True)
    I = sp.Piecewise((x1**2 + x2**2, sp.Gt(beta, 2)), (x1 + x2**2, True))
    point = limit_point(I, get_parametrization("probability"), True, _MOVING, {beta: 1}, 60)
    assert point.case == "not derived" and point.final_x1 is None
    assert "piecewise" in point.argument
    # by hand: on x1^2 + x2^2 = x1_0^2 + x2_0^2, x2 -> 0+ gives x1 -> sqrt(x1_0^2 + x2_0^2)
    smooth = limit_point(x1**2 + x2**2, get_parametrization("probability"), True, _MOVING,
                         {}, 60)
    assert smooth.case == "edge x2 -> 0"
    x10, x20 = sorted(smooth.final_x1.free_symbols, key=str)
    assert sp.simplify(smooth.final_x1.subs({x10: sp.Rational(3, 10), x20: sp.Rational(2, 5)})
                       - sp.Rational(1, 2)) == 0


def test_an_exact_zero_is_certified_exactly_and_a_tiny_value_by_intervals():
    n = sp.Symbol("n", positive=True)
    # zero, but only once the exponents are numbers: x2 * x2**(1/n - 1) = x2**(1/n)
    zero = x2 * x2 ** (1 / n - 1) - x2 ** (1 / n)
    cert = certified_sign(zero, {"x2": sp.Rational(1, 10**27), "n": 1})
    assert cert is not None and cert.sign == 0 and cert.exact
    tiny = sp.log(x1 + sp.Rational(1, 10**300)) - sp.log(x1)
    cert = certified_sign(tiny, {"x1": sp.Rational(1, 2)})
    assert cert is not None and cert.sign == 1 and not cert.exact


def test_norm_divergence_and_curl_are_derived_on_first_use():
    f = gradient_field(get_variant("dpo"))
    assert "divergence" not in f._lazy
    a, b = f.d_x1.closed_form, f.d_x2.closed_form
    assert sp.simplify(f.divergence - (sp.diff(a, x1) + sp.diff(b, x2))) == 0
    assert sp.simplify(f.curl) == 0  # a gradient has no curl
    assert sp.simplify(f.gradient_norm**2 - (a**2 + b**2)) == 0


def test_quantities_cut_short_are_printed_as_not_derived():
    f = gradient_field(get_variant("ipo"))
    f.not_derived("a budget ran out")
    assert f.divergence is None and f.quantities_reason == "a budget ran out"
    text = analysis_text(dataclasses.replace(analyze("ipo", quantities=False), field=f))
    assert "div grad L = not derived (a budget ran out)" in text


def test_verify_json_prints_quantities_derived_by_the_pipeline_not_the_printer(monkeypatch):
    from dpo_proofs.field import gradient
    from dpo_proofs.results import PRINTERS
    from cli_run import run

    monkeypatch.setenv("DPO_PROOFS_CACHE", "off")
    printing = []
    real_json, real_quantity = PRINTERS["json"], gradient.GradientField._derive_quantity

    def json_(a):
        printing.append(True)
        try:
            return real_json(a)
        finally:
            printing.pop()

    def quantity(self, name):
        assert not printing, f"the printer derived {name}"
        return real_quantity(self, name)

    monkeypatch.setitem(PRINTERS, "json", json_)
    monkeypatch.setattr(gradient.GradientField, "_derive_quantity", quantity)
    code, out, _ = run("verify", "dpo", "--json", "--jobs", "1")
    assert code == 0 and '"divergence"' in out


def test_a_decimal_threshold_never_reaches_factor_as_a_polynomial_of_huge_degree(monkeypatch):
    # "0.659576" is 82447/125000: sympy's polynomials write exp(82447/125000) as
    # exp(1/125000)**82447, whose factorisation ran for hours inside C calls that the
    # time budget cannot interrupt (a CI run of the soundness suite hung on this claim).
    from dpo_proofs import Status, check
    from dpo_proofs.verdicts.claim_text import claim_from_text
    from dpo_proofs.field.canonical import MAX_POLYNOMIAL_DEGREE, factorable, polynomial_degree

    y = sp.Symbol("y", positive=True)
    assert polynomial_degree(x1 - sp.exp(sp.Rational(82447, 125000)) * y) > 82447
    assert polynomial_degree(x1**sp.Rational(7, 1000) * (x1 + x2)**5) == 12
    assert polynomial_degree(sp.exp(2 * x1 / 3 + sp.Rational(5, 2))) == 7
    assert not factorable(x1**(MAX_POLYNOMIAL_DEGREE + 1) - x2) and factorable(x1**3 - x2)
    given = []
    for name in ("factor", "cancel"):
        original = getattr(sp, name)

        def bounded(expr, *args, _original=original, **kwargs):
            given.append(polynomial_degree(sp.sympify(expr)))
            assert given[-1] <= MAX_POLYNOMIAL_DEGREE, f"{expr} reached sympy"
            return _original(expr, *args, **kwargs)

        monkeypatch.setattr(sp, name, bounded)
    dpo = get_variant("dpo")
    claim = claim_from_text("loss > 0.659576", dpo, "(x1 - x2)*(x2 - 0.5) == 0")
    verdict = check(claim, dpo, budget=None)
    # by hand: on x1 = x2 the margin is beta*log(r_l/r_w), so the loss is
    # log(1 + (r_w/r_l)**beta), below log 2 whenever r_w < r_l; with beta = 1/10,
    # r_w = 1/10, r_l = 1/2 it is log(1 + 5**(-1/10)) = 0.6159 < 0.6596: the claim is false
    assert verdict.status is Status.REFUTED and given
    at = {k: sp.Rational(v) for k, v in verdict.counterexample.items()}
    assert (at["x1"] - at["x2"]) * (at["x2"] - sp.Rational(1, 2)) == 0
    h = at["beta"] * sp.log(at["x1"] / at["r_w"]) - at["beta"] * sp.log(at["x2"] / at["r_l"])
    assert sp.N(sp.log(1 + sp.exp(-h)), 30) <= sp.Rational(659576, 10**6)

"""Readings (NAME@CONVENTION), mixtures and findings: decided, never looked up.

Hand-derived here: TRL's new alpha-divergence score (u^(a-1) - 1)/(a-1) is the old
(1 - u^-alpha)/alpha at a = 1 - alpha; a mixture's gradient is the weighted sum of its
terms' gradients; and made-up readings (wrong maps, unseen mixtures) are decided.
"""
from __future__ import annotations

import json
import random

import mpmath
import pytest
import sympy as sp

from cli_run import run
from dpo_proofs import CATALOGUE, UnknownVariant, get_variant
from dpo_proofs.errors import InvalidArgument
from dpo_proofs.loss.functions import to_elementary
from dpo_proofs.loss.readings import FINDINGS, READINGS
from dpo_proofs.loss.symbols import x1, x2
from dpo_proofs.verdicts.sameness import compare_readings, decide_findings


def _value(loss, point):
    subs = {x1: point["x1"], x2: point["x2"]}
    subs.update({p.symbol: point.get(p.name, p.default) for p in loss.parameters})
    return sp.N(to_elementary(loss.expr).subs(subs), 40)


def test_every_reading_and_convention_name_resolves():
    for key in READINGS:
        assert get_variant(key).name == key
    assert get_variant("dpo@trl") is CATALOGUE["dpo"]       # TRL runs the catalogue's
    assert get_variant("IPO@TRL").name == "ipo@trl"


def test_every_finding_is_decided_as_its_source_states():
    results = decide_findings()
    assert len(results) == len(FINDINGS)
    for r in results:
        assert r.agrees is True, r.sameness.describe()


def test_the_alpha_map_is_proved_and_a_wrong_map_refuted_at_a_certified_point():
    new, old = get_variant("fdpo_alpha"), get_variant("fdpo_alpha@trl-0.28")
    assert compare_readings(new, old, {"alpha": "1 - alpha"}).relation == "same function"
    wrong = compare_readings(new, old, {"alpha": "alpha/2"})
    assert wrong.relation == "different"
    # the point is in both domains and the difference there is really nonzero (own check)
    point = {k: sp.Rational(v) for k, v in wrong.point}
    assert 0 < point["alpha"] < 1 and 0 < point["alpha"] / 2
    a = sp.diff(to_elementary(new.expr), x1)
    b = sp.diff(to_elementary(old.expr), x1).subs(old.parameter("alpha").symbol,
                                                  new.parameter("alpha").symbol / 2)
    subs = {x1: point["x1"], x2: point["x2"]}
    subs.update({p.symbol: point[p.name] for p in new.parameters})
    assert abs(sp.N((a - b).subs(subs), 30)) > 1e-12


def test_hand_derived_alpha_scores_agree_with_both_readings_at_unseen_points():
    new, old = get_variant("fdpo_alpha"), get_variant("fdpo_alpha@trl-0.28")
    rng = random.Random(11)
    for _ in range(5):
        a = sp.Rational(rng.randint(1, 99), 100)
        u_w, u_l = sp.Rational(rng.randint(1, 300), 100), sp.Rational(rng.randint(1, 300), 100)
        beta = sp.Rational(rng.randint(1, 50), 10)
        margin = beta * ((u_w ** (a - 1) - 1) / (a - 1) - (u_l ** (a - 1) - 1) / (a - 1))
        expected = sp.N(sp.log(1 + sp.exp(-margin)), 40)
        point = {"x1": u_w / 4, "x2": u_l / 4, "r_w": sp.Rational(1, 4),
                 "r_l": sp.Rational(1, 4), "beta": beta}
        assert abs(_value(new, {**point, "alpha": a}) - expected) < 1e-30
        assert abs(_value(old, {**point, "alpha": 1 - a}) - expected) < 1e-30


def test_a_mixture_field_is_the_weighted_sum_of_its_terms():
    mix = get_variant("0.3*simpo+0.7*sigmoid_norm+2*sft")
    parts = [(sp.Rational(3, 10), get_variant("simpo")), (sp.Rational(7, 10),
             get_variant("sigmoid_norm")), (2, get_variant("sft"))]
    rng = random.Random(3)
    for _ in range(6):
        point = {"x1": sp.Rational(rng.randint(1, 99), 100),
                 "x2": sp.Rational(rng.randint(1, 99), 100),
                 "n_w": rng.randint(1, 9), "n_l": rng.randint(1, 9)}
        for v in (x1, x2):
            subs = {x1: point["x1"], x2: point["x2"]}
            total = sum(w * sp.diff(to_elementary(t.expr), v).subs(
                {**subs, **{p.symbol: point.get(p.name, mix.parameter(p.name).default)
                            for p in t.parameters}})   # one shared value per constant
                for w, t in parts)
            got = sp.diff(to_elementary(mix.expr), v).subs(
                {**subs, **{p.symbol: point.get(p.name, p.default) for p in mix.parameters}})
            assert abs(sp.N(got - total, 40)) < 1e-30


def test_mixture_shares_constants_and_intersects_domains():
    mix = get_variant("dpo_shift+fdpo_alpha+rpo")
    alpha = mix.parameter("alpha")
    assert alpha.domain == sp.Interval.open(0, 1)     # fdpo_alpha (0, 1) and rpo (0, oo)
    assert alpha.default == sp.Rational(1, 2)         # rpo's default 1 lies outside
    assert {p.name for p in mix.parameters} >= {"beta", "lam", "alpha", "n_w"}
    same = get_variant("sigmoid+sft", weights=["1", "0.005"])
    assert compare_readings(get_variant("rpo").with_parameters({"alpha": "0.005"}),
                            same).relation == "same function"


def test_readings_cli_reports_and_compares():
    code, out, _ = run("readings")
    assert code == 0 and "findings decided as their source states" in out
    code, out, _ = run("readings", "--compare", "ipo@trl", "ipo@openrlhf", "--json")
    data = json.loads(out)
    assert code == 0 and data["relation"] == "different" and data["point"]
    code, out, _ = run("readings", "--compare", "sigmoid", "dpo@trl-0.28", "--map", "eps=0")
    assert code == 0 and "same function" in out
    code, out, _ = run("analyze", "sigmoid+bco_pair+sft", "--weights", "0.8,0.2,1", "--json")
    assert code == 0 and json.loads(out)["variant"] == "0.8*dpo+0.2*bco_pair+sft"


@pytest.mark.parametrize("argv, message", [
    (("analyze", "fdpo_alpha@trl-0.2"), "did you mean 'trl-0.28'"),
    (("analyze", "hinge@trl-0.28"), "no reading"),
    (("analyze", "sigmoid+sft", "--weights", "1"), "1 weights for 2 terms"),
    (("analyze", "sigmoid+sft", "--weights", "1,0"), "must be > 0"),
    (("analyze", "sigmoid", "--weights", "1,2"), "needs a mixture"),
    (("analyze", "sigmoid+sigmod"), "did you mean 'sigmoid'"),
    (("analyze", "0.5*sigmoid+__import__('os')"), "must be NAME or WEIGHT*NAME"),
    (("readings", "--compare", "dpo", "ipo", "--map", "gamma=1"), "has no parameter"),
    (("readings", "--compare", "dpo", "fdpo_alpha", "--map", "alpha=exec(1)"),
     "unknown function: 'exec'"),
    (("readings", "no-such-finding"), "unknown finding"),
])
def test_bad_input_is_one_line_exit_2(argv, message):
    code, out, err = run(*argv)
    assert code == 2, (code, out, err)
    assert message in err and err.count("\n") == 1


def test_unknown_names_raise_the_packages_errors():
    with pytest.raises(UnknownVariant):
        get_variant("dpo@nowhere")
    with pytest.raises(InvalidArgument):
        get_variant("+".join(["dpo"] * 9))


def test_ipo_readings_differ_exactly_by_the_length_normalisation():
    trl, summed = get_variant("ipo@trl"), get_variant("ipo@openrlhf")
    point = {"x1": sp.Rational(1, 3), "x2": sp.Rational(1, 5), "n_w": 3, "n_l": 2}
    with mpmath.workdps(40):
        # hand-derived: (log(x1/r_w)/n_w - log(x2/r_l)/n_l - 1/(2 beta))^2, beta = 1/10
        lw, ll = sp.log(sp.Rational(2, 3)), sp.log(sp.Rational(2, 5))
        assert abs(_value(trl, point) - sp.N((lw / 3 - ll / 2 - 5) ** 2, 40)) < 1e-30
        assert abs(_value(summed, point) - sp.N((lw - ll - 5) ** 2, 40)) < 1e-30

"""Published statements decided at run time: reproduced, imprecise, refuted, with evidence.

Expected outcomes are hand-derived here from the closed forms (DPO: v_w = s*(a - c),
v_l = s*(c - b), margin rate s*(a + b - 2c) >= 0 with equality iff a = b = c; SimPO:
chosen up iff c < a*n_l/n_w), and statements the package has not seen are made up here.
"""
from __future__ import annotations

import io
import json

import sympy as sp

from dpo_proofs.cli.app import main
from dpo_proofs.verdicts.literature import (STATEMENTS, Claimed, Statement, reproduce,
                                            reproduce_all)


def _point(verdict):
    return {k: sp.Rational(v) for k, v in verdict.counterexample.items()}


def test_feng_is_reproduced():
    assert reproduce("feng-ratio").outcome == "reproduced"


def test_yuan_margin_claim_is_imprecise_with_the_equal_gradients_point():
    r = reproduce("yuan-entanglement")
    assert r.outcome == "imprecise"
    claimed, verdict = r.failing()
    assert claimed.text == "margin_rate > 0"
    p = _point(verdict)
    assert p["a"] + p["b"] == 2 * p["c"] and p["c"] ** 2 <= p["a"] * p["b"]
    assert [str(w.status) for w in r.weaker] == ["proved"]


def test_an_existence_claim_is_shown_by_a_certified_point():
    r = reproduce("razin-displacement")
    assert r.outcome == "reproduced"
    exists = r.verdicts[1]
    p = _point(exists)
    assert p["c"] > p["a"]  # DPO's chosen falls exactly where c > a


def test_analogue_for_simpo_fails_where_the_threshold_moves():
    r = reproduce("yuan-entanglement", "simpo")
    assert r.outcome == "refuted"
    claimed, verdict = r.failing()
    p = _point(verdict)
    if claimed.text == "v_w > 0":      # fails with c < a but c >= a*n_l/n_w
        assert p["c"] >= p["a"] * p["n_l"] / p["n_w"]


def test_made_up_statements_are_decided_not_looked_up():
    false = Statement("made-up", "Nobody 2026", "0000.00000", "Thm 0",
                      "the chosen rises whenever c < 2a", "gram", "dpo",
                      (Claimed("v_w > 0", "c < 2*a"),))
    r = reproduce(false)
    assert r.outcome == "refuted"
    p = _point(r.verdicts[0])
    assert p["a"] <= p["c"] < 2 * p["a"]
    no_point = Statement("made-up-2", "Nobody 2026", "0000.00000", "Thm 0",
                         "the chosen can rise although c > a", "gram", "dpo",
                         (Claimed("v_w > 0", "c > a", exists=True),))
    assert reproduce(no_point).outcome == "refuted"
    true = Statement("made-up-3", "Nobody 2026", "0000.00000", "Thm 0",
                     "the rejected falls whenever c < b/2", "gram", "dpo",
                     (Claimed("v_l < 0", "2*c < b"),))
    assert reproduce(true).outcome == "reproduced"


def test_every_statement_has_a_citation_and_claims():
    keys = [s.key for s in STATEMENTS]
    assert len(keys) == len(set(keys))
    for s in STATEMENTS:
        assert s.arxiv and s.claims and s.frame in ("probability", "log", "softmax", "gram")


def test_literature_cli_json_and_bad_key():
    out, err = io.StringIO(), io.StringIO()
    code = main(["literature", "feng-ratio", "azar-ipo-target", "--json", "--quiet"],
                stdout=out, stderr=err)
    assert code == 0
    data = json.loads(out.getvalue())
    assert {s["statement"]: s["outcome"] for s in data["statements"]} == {
        "feng-ratio": "reproduced", "azar-ipo-target": "reproduced"}
    err = io.StringIO()
    assert main(["literature", "yuan-entanglemnt"], stdout=io.StringIO(), stderr=err) == 2
    assert "did you mean 'yuan-entanglement'" in err.getvalue()


def test_reproduce_all_keeps_the_order_asked():
    results = reproduce_all(["yan-3d", "feng-ratio"], ["dpo_shift"], jobs=1)
    assert [(r.statement.key, r.variant) for r in results] == [
        ("yan-3d", "dpo"), ("feng-ratio", "dpo"), ("yan-3d", "dpo_shift"),
        ("feng-ratio", "dpo_shift")]

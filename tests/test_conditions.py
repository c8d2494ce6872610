"""Exact parameter conditions of claims that fail for some constants only.

Hand-derived here: SimPO's R on the diagonal is n_w/n_l, so R = 1 there exactly when
n_w = n_l; DPO-Shift's x1 dL/dx1 + x2 dL/dx2 is a positive multiple of (lam - 1); for
L = -log sigmoid(beta*log(x1) - c*beta*log(x2)) R on the diagonal is c.
"""
from __future__ import annotations

import sympy as sp

from dpo_proofs import check, get_variant, user_loss
from dpo_proofs.verdicts.claim_text import claim_from_text
from dpo_proofs.verdicts.values import Status, builtin_claims

CLAIMS = {c.name: c for c in builtin_claims()}


def test_simpo_ratio_on_the_diagonal_holds_exactly_for_equal_lengths():
    verdict = check(CLAIMS["ratio_one_on_diagonal"], get_variant("simpo"))
    assert verdict.status is Status.REFUTED
    assert verdict.details["holds_exactly_when"] == "n_w = n_l"
    point = verdict.counterexample
    assert sp.Rational(point["n_w"]) != sp.Rational(point["n_l"])


def test_dpo_shift_scale_invariance_holds_exactly_at_lam_one():
    verdict = check(CLAIMS["conserves_x1_sq_plus_x2_sq"], get_variant("dpo_shift"))
    assert verdict.status is Status.REFUTED
    assert verdict.details["holds_exactly_when"] == "lam = 1"


def test_an_inequality_condition_and_no_condition_where_none_separates():
    loss = user_loss("-logsigmoid(beta*log(x1) - c*beta*log(x2))", {"c": "(0, oo)"})
    verdict = check(claim_from_text("ratio > 1", loss, "x1 = x2"), loss)
    assert verdict.status is Status.REFUTED
    assert verdict.details["holds_exactly_when"] == "c > 1"
    # CPO's R - 1 on the diagonal mixes x and constants: no condition is claimed
    cpo = check(CLAIMS["ratio_one_on_diagonal"], get_variant("cpo"))
    assert cpo.status is Status.REFUTED and "holds_exactly_when" not in cpo.details

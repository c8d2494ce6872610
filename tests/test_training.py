"""Training runs against the derived dynamics (needs torch; skipped with the reason else).

A correct first-order prediction leaves a residual that is O(eta^2): the absolute residual
at eta over that at eta/2 is about 4. A wrong prediction (the loss trained is not the one
whose dynamics are predicted) leaves an O(eta) residual: the ratio drops to about 2.
"""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="torch is an optional extra "
                            "(pip install torch==2.13.0)")

from dpo_proofs.testing import trl_losses  # noqa: E402
from dpo_proofs.testing.training import MODELS, train_check  # noqa: E402


@pytest.mark.parametrize("variant", ["dpo", "ipo", "simpo", "cpo", "hinge", "dpo_shift"])
@pytest.mark.parametrize("model", MODELS)
def test_derived_velocities_predict_real_steps_to_first_order(variant, model):
    for seed in (1, 2):  # seeds the package's own runs do not use
        r = train_check(variant, model, steps=8, lr=0.04, seed=seed)
        assert 3.5 <= r.order_ratio <= 4.5, (seed, r.order_ratio)
        assert r.cases_agree >= 7


def test_a_wrong_prediction_is_caught(monkeypatch):
    # train IPO while predicting DPO's dynamics: the residual is first order
    monkeypatch.setitem(trl_losses.TRL_STYLE, "dpo", trl_losses.ipo)
    r = train_check("dpo", "tabular", steps=6, lr=0.04, seed=3)
    assert r.order_ratio < 3 or r.residual > 0.5


def test_likelihood_displacement_is_predicted_and_observed():
    r = train_check("ipo", "tokens", steps=20, lr=0.05, seed=0)
    both = [s for s in r.records if s.observed_case.startswith("both down")]
    agree = [s for s in both if s.predicted_case == s.observed_case]
    # where v_w crosses 0 the O(eta^2) term decides the sign of one step: at most one
    assert len(both) >= 5 and len(agree) >= len(both) - 1


def test_train_check_cli_json():
    import io
    import json

    from dpo_proofs.cli.app import main

    out = io.StringIO()
    assert main(["train-check", "dpo", "--model", "shared", "--steps", "5", "--json"],
                stdout=out, stderr=io.StringIO()) == 0
    data = json.loads(out.getvalue())
    assert data["confirmed"] and data["reports"][0]["model"] == "shared"

"""check_implementation and check-impl: real implementations pass, planted bugs are caught."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from dpo_proofs import check_implementation

IMPLS = Path(__file__).parent / "impls"
sys.path.insert(0, str(IMPLS))

torch = pytest.importorskip("torch", reason="torch not installed: pip install .[torch] "
                            "(CPU build torch==2.13.0)")
import torch_losses  # noqa: E402
from cli_run import run  # noqa: E402


@pytest.mark.parametrize("fn,variant,params", [
    (torch_losses.dpo, "dpo", {"beta": "0.1"}),
    (torch_losses.dpo, "sigmoid", {"beta": "2"}),  # TRL's name, another beta
    (torch_losses.ipo, "ipo", {"beta": "0.1"}),
    (torch_losses.cpo, "cpo", {"beta": "0.1", "alpha": "1"}),
])
def test_correct_torch_implementations_agree(fn, variant, params):
    report = check_implementation(fn, variant, params)
    assert report.ok and report.framework == "torch", str(report)
    assert report.max_rel_error < 1e-10


@pytest.mark.parametrize("fn", [torch_losses.dpo_sign_flipped, torch_losses.dpo_beta_misplaced])
def test_planted_bugs_are_caught(fn):
    report = check_implementation(fn, "dpo", {"beta": "0.1"})
    assert not report.ok and report.max_rel_error > 1e-3
    assert report.worst_point and report.worst_quantity in ("loss", "d_x1", "d_x2")


def test_right_code_for_the_wrong_variant_is_caught():
    assert not check_implementation(torch_losses.dpo, "ipo", {"beta": "0.1"}).ok


def test_naive_log_sigmoid_agrees_but_its_precision_loss_is_reported():
    naive = check_implementation(torch_losses.dpo_naive, "dpo", {"beta": "0.1"})
    stable = check_implementation(torch_losses.dpo, "dpo", {"beta": "0.1"})
    assert naive.ok  # right at moderate margins ...
    assert any("float64" in f and "1e-200" in f for f in naive.findings)  # ... not at large ones
    assert not any("float64" in f for f in stable.findings)


def test_numpy_implementation_by_central_differences():
    import numpy_losses

    report = check_implementation(numpy_losses.dpo, "dpo", {"beta": "0.5"})
    assert report.ok and report.framework == "numpy"


def test_cli_check_impl():
    code, out, _ = run("check-impl", f"{IMPLS / 'torch_losses.py'}:dpo", "dpo",
                       "--param", "beta=0.1", "--json")
    assert code == 0 and json.loads(out)["ok"] is True
    code, out, _ = run("check-impl", f"{IMPLS / 'torch_losses.py'}:dpo_sign_flipped", "dpo",
                       "--param", "beta=0.1")
    assert code == 1 and "DISAGREES" in out
    code, _, err = run("check-impl", "missing.py:f", "dpo")
    assert code == 2 and "no such file" in err
    code, _, err = run("check-impl", f"{IMPLS / 'torch_losses.py'}:dpo", "nope")
    assert code == 2 and "unknown variant" in err


def test_an_implementation_in_another_argument_order_is_mapped_by_its_names():
    report = check_implementation(torch_losses.dpo_reordered, "dpo", {"beta": "0.1"})
    assert report.ok, str(report)
    assert dict(report.mapping)["ref_chosen_logps"].startswith("log r_w")
    assert report.warnings and "not TRL's" in report.warnings[0]
    assert "arguments: chosen_logps <- log x1" in str(report)


def test_a_trainer_method_and_a_user_loss_from_expr_or_module():
    method = f"{IMPLS / 'torch_losses.py'}:trainer.dpo_loss"
    code, out, err = run("check-impl", method, "sigmoid", "--param", "beta=0.1")
    assert code == 0, out + err
    code, out, err = run("check-impl", f"{IMPLS / 'torch_losses.py'}:dpo", "--expr",
                         "softplus(beta*log(x2/r_l) - beta*log(x1/r_w))", "--param", "beta=0.1")
    assert code == 0 and out.startswith("expr [torch]: agrees"), out + err
    code, out, err = run("check-impl", f"{IMPLS / 'torch_losses.py'}:dpo_sign_flipped",
                         "--expr", "softplus(beta*log(x2/r_l) - beta*log(x1/r_w))",
                         "--param", "beta=0.1")
    assert code == 1 and "DISAGREES" in out
    # one bug, one report: no precision findings listed after the disagreement
    assert "precision" not in out and out.count("\n") <= 3, out

"""The helpers and the pytest plugin that users' own test suites use."""
from __future__ import annotations

import json

import pytest

from dpo_proofs import user_loss
from dpo_proofs.testing.snapshot import SnapshotMismatch, compare_snapshot
from dpo_proofs.testing import assert_claim, assert_ratio, assert_same_field

pytest_plugins = ["pytester"]


def test_assert_claim_passes_true_and_fails_false_claims():
    assert str(assert_claim("ratio > 1", "dpo", domain="x1 > x2").status) == "proved"
    with pytest.raises(AssertionError, match="refuted.*counterexample"):
        assert_claim("ratio > 1", "cpo", domain="x1 > x2")


def test_assert_same_field():
    feng = user_loss("-log(x1**beta/(x1**beta + (r_w/r_l)**beta*x2**beta))")
    assert "identically" in assert_same_field("dpo", feng)
    with pytest.raises(AssertionError, match="different gradient fields"):
        assert_same_field("dpo", "ipo")
    # a constant shift of the loss keeps the field
    assert "identically" in assert_same_field("dpo", user_loss(
        "-logsigmoid(beta*log(x1/r_w) - beta*log(x2/r_l)) + 7"))


def test_assert_ratio():
    assert_ratio("dpo", "x1/x2")
    assert_ratio("simpo", "n_w*x1/(n_l*x2)")
    with pytest.raises(AssertionError, match="not x1/x2"):
        assert_ratio("cpo", "x1/x2")


def test_snapshot_records_compares_and_updates(tmp_path):
    path = tmp_path / "dpo.json"
    assert compare_snapshot("dpo", path).startswith("recorded")
    assert json.loads(path.read_text())["ratio"] == "x1/x2"
    assert compare_snapshot("dpo", path).endswith("matches")
    data = json.loads(path.read_text())
    data["ratio"] = "x1**2/x2"  # as if an older version had derived something else
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    with pytest.raises(SnapshotMismatch) as caught:
        compare_snapshot("dpo", path)
    assert '-  "ratio": "x1**2/x2"' in str(caught.value)
    assert '+  "ratio": "x1/x2"' in str(caught.value)
    assert compare_snapshot("dpo", path, update=True).startswith("updated")
    assert compare_snapshot("dpo", path).endswith("matches")


def test_plugin_in_a_fresh_project(pytester):
    pytester.makepyfile(test_user="""
        from dpo_proofs import user_loss
        from dpo_proofs.testing import assert_claim

        MY_LOSS = user_loss("-logsigmoid(beta*log(x1/r_w) - beta*log(x2/r_l)) - log(x1)")

        def test_snapshot(dpo_snapshot):
            dpo_snapshot(MY_LOSS, "my_loss")

        def test_x2_faster(dpo_assert):
            dpo_assert.claim("ratio > 1", MY_LOSS, domain="x1 > x2")
    """)
    result = pytester.runpytest_inprocess()
    # The plugin comes from the pytest11 entry point of the installed package.
    # The NLL term breaks the paper's claim: the helper reports the counterexample.
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*claim not proved*", "*counterexample*"])
    assert (pytester.path / "snapshots" / "my_loss.json").exists()
    # a planted change of the loss makes the snapshot test fail with a diff
    pytester.makepyfile(test_user="""
        from dpo_proofs import user_loss

        MY_LOSS = user_loss("-logsigmoid(2*beta*log(x1/r_w) - beta*log(x2/r_l)) - log(x1)")

        def test_snapshot(dpo_snapshot):
            dpo_snapshot(MY_LOSS, "my_loss")
    """)
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*derived results changed*"])
    result = pytester.runpytest_inprocess("--dpo-update-snapshots")
    result.assert_outcomes(passed=1)

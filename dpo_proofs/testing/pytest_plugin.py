"""pytest plugin (entry point ``pytest11``): snapshot fixture and --dpo-update-snapshots.

    def test_my_loss_snapshot(dpo_snapshot):
        dpo_snapshot(my_loss)            # tests/snapshots/<test name>.json

The package is imported only when a fixture is used, so pytest starts as fast as before.
"""
from __future__ import annotations

from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dpo_proofs")
    group.addoption("--dpo-update-snapshots", action="store_true", default=False,
                    help="rewrite dpo_proofs snapshot files instead of comparing them")


@pytest.fixture
def dpo_snapshot(request: pytest.FixtureRequest):
    """compare(loss, name=None): compare the loss's derived results with its snapshot file.

    Files live in ``snapshots/`` next to the test module, one per test (and name).
    """
    from dpo_proofs.testing.snapshot import compare_snapshot

    update = request.config.getoption("--dpo-update-snapshots")
    folder = Path(request.node.path).parent / "snapshots"

    def compare(loss, name: str | None = None) -> str:
        stem = request.node.name if name is None else name
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem)
        return compare_snapshot(loss, folder / f"{safe}.json", update=update)

    return compare


@pytest.fixture
def dpo_assert():
    """The assertion helpers: dpo_assert.claim, dpo_assert.same_field, dpo_assert.ratio."""
    from dpo_proofs import testing

    class _Helpers:
        claim = staticmethod(testing.assert_claim)
        same_field = staticmethod(testing.assert_same_field)
        ratio = staticmethod(testing.assert_ratio)

    return _Helpers()

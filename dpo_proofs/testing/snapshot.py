"""Regression snapshots of a loss's derived results: record once, fail on any change.

A snapshot is a JSON file of what the package *derives* for a loss (partials, R, the
regions of R vs 1, signs, margin-loss flag, verdict and method of each built-in
claim). ``compare_snapshot`` re-derives and fails with a unified diff when anything
differs; rewriting the file is explicit (``update=True`` or pytest's
``--dpo-update-snapshots``). Files are written atomically with stable key order.
"""
from __future__ import annotations

import difflib
import json
from pathlib import Path

from ..pipeline import analyze
from ..printers.pdf import write_atomic
from ..loss.loss import Loss
from ..printers.text import SIGN_WORDS, expr_str

__all__ = ["snapshot_of", "compare_snapshot", "SnapshotMismatch"]


class SnapshotMismatch(AssertionError):
    """The derived results differ from the recorded snapshot (the message is a diff)."""


def snapshot_of(loss: Loss | str) -> dict:
    """The derived results of ``loss`` that a regression test pins down."""
    a = analyze(loss, confirm=False)
    f = a.field
    out: dict = {"variant": a.loss.name, "loss": expr_str(a.loss.elementary)}
    if f is None:
        out["incomplete"] = a.incomplete
    else:
        out.update({
            "d_x1": expr_str(f.d_x1.closed_form), "d_x2": expr_str(f.d_x2.closed_form),
            "sign_d_x1": SIGN_WORDS[f.d_x1.sign.sign], "sign_d_x2": SIGN_WORDS[f.d_x2.sign.sign],
            "ratio": expr_str(f.ratio),
            "region_ratio_gt_1": expr_str(f.region_ratio_gt_1),
            "region_ratio_eq_1": expr_str(f.region_ratio_eq_1),
            "region_ratio_lt_1": expr_str(f.region_ratio_lt_1),
            "margin_loss": f.is_margin_loss,
        })
    out["verdicts"] = {v.claim: f"{v.status} ({v.method})" for v in a.verdicts}
    return out


def _text(data: dict) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def compare_snapshot(loss: Loss | str, path: str | Path, update: bool = False) -> str:
    """Compare ``loss``'s derived results with the file at ``path``.

    A missing file is recorded (and reported as such); with ``update`` the file is
    rewritten. Otherwise any difference raises SnapshotMismatch with a unified diff.
    """
    path = Path(path)
    current = _text(snapshot_of(loss))
    if update or not path.exists():
        write_atomic(path, current)
        return f"{'updated' if update else 'recorded'} {path}"
    recorded = path.read_text()
    if recorded == current:
        return f"{path} matches"
    diff = "".join(difflib.unified_diff(recorded.splitlines(True), current.splitlines(True),
                                        f"{path} (recorded)", f"{path} (derived now)"))
    raise SnapshotMismatch(f"derived results changed; rerun with --dpo-update-snapshots "
                           f"(or update=True) if the change is intended:\n{diff}")

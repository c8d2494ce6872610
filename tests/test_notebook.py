"""The walkthrough notebook runs and shows the verdicts (not dataclass dumps)."""
from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "walkthrough.ipynb"


def _shown(cell) -> dict:
    out = {}
    for o in cell.get("outputs", []):
        assert o["output_type"] != "error", "".join(o.get("traceback", []))
        out.update(o.get("data", {}))
        if o["output_type"] == "stream":
            out["stream"] = out.get("stream", "") + o["text"]
    return out


def test_the_walkthrough_notebook_runs_and_shows_the_verdicts():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3").execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    analysis, verdict, loss, refuted, readings, flow, summary = (_shown(c) for c in code)
    md = analysis["text/markdown"]
    assert "### dpo: Direct Preference Optimization" in md
    assert "| dispreferred_faster | **proved** |" in md and "\\frac{x_{1}}{x_{2}}" in md
    assert len(analysis["text/plain"]) < 200          # a short repr, not a dataclass dump
    assert "**dispreferred_faster**: proved" in verdict["text/markdown"]
    assert "$$L(x_1, x_2) =" in loss["text/markdown"] and "\\gamma" in loss["text/markdown"]
    assert ": refuted (counterexample) at x1 = " in refuted["text/markdown"]
    assert "same function" in readings["text/plain"]
    assert "x_{1}^{2} + x_{2}^{2}" in flow["text/markdown"]
    assert "R = |dL/dx2|/|dL/dx1| = x1/x2" in summary["stream"]

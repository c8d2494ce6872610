"""Field figures: lambdified field, trajectories, output files, the optional extra."""
from __future__ import annotations

import io
import sys

import mpmath
import numpy as np
import pytest
import sympy as sp

from dpo_proofs.cli import main
from dpo_proofs.precision import mp_callable, to_mpf
from dpo_proofs.symbols import x1, x2
from dpo_proofs.variants import CATALOGUE

matplotlib = pytest.importorskip("matplotlib", reason="matplotlib (the [plot] extra) not installed")

from dpo_proofs.engine import cached_field  # noqa: E402
from dpo_proofs.plot import field_functions, plot_fields, trajectory  # noqa: E402

VARIANTS = list(CATALOGUE)


@pytest.mark.parametrize("variant", VARIANTS)
def test_lambdified_field_matches_an_independent_derivative(variant):
    loss = CATALOGUE[variant]
    ff = field_functions(loss)
    defaults = {p.symbol: p.default for p in loss.parameters}
    for a, b in ((0.6, 0.3), (0.2, 0.7), (0.9, 0.05)):
        for fn, symbol in ((ff.d_x1, x1), (ff.d_x2, x2)):
            # independent: mpmath.diff of the loss definition itself
            g = mp_callable(loss.expr.subs(defaults), [x1, x2])
            index = 0 if symbol == x1 else 1
            with mpmath.workdps(30):
                point = [to_mpf(sp.Rational(repr(a))), to_mpf(sp.Rational(repr(b)))]

                def along(t):
                    moved = list(point)
                    moved[index] = t
                    return g(*moved)

                exact = mpmath.diff(along, point[index])
            assert float(fn(a, b)) == pytest.approx(float(exact), rel=1e-9)


@pytest.mark.parametrize("variant", VARIANTS)
def test_trajectory_keeps_the_conserved_quantity(variant):
    loss = CATALOGUE[variant]
    field = cached_field(loss)
    if field.conserved is None:
        pytest.skip(f"{variant}: no conserved quantity derived ({field.conserved_reason})")
    defaults = {p.symbol: p.default for p in loss.parameters}
    invariant = sp.lambdify((x1, x2), field.conserved.expr.subs(defaults), "numpy")
    path = trajectory(field_functions(loss), (0.5, 0.4))
    assert len(path) > 20
    values = invariant(path[:, 0], path[:, 1])
    assert np.max(np.abs(values - values[0])) < 1e-6 * max(1.0, abs(values[0]))


@pytest.mark.parametrize("variant", VARIANTS)
def test_plot_cli_writes_a_png(variant, tmp_path):
    out = tmp_path / "field.png"
    code = main(["plot", variant, "-o", str(out), "--trajectories", "0.3,0.6;0.5,0.2"],
                io.StringIO(), io.StringIO())
    assert code == 0
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_figures_are_deterministic(suffix, tmp_path):
    losses = [CATALOGUE[v] for v in VARIANTS[:2]]
    a = plot_fields(losses, tmp_path / f"a{suffix}", starts=[(0.4, 0.5)]).read_bytes()
    b = plot_fields(losses, tmp_path / f"b{suffix}", starts=[(0.4, 0.5)]).read_bytes()
    assert a == b


def test_grid_of_several_variants_and_params(tmp_path):
    out = tmp_path / "grid.png"
    names = (VARIANTS * 2)[:2]
    assert main(["plot", *names, "-o", str(out), "--param", "beta=2"],
                io.StringIO(), io.StringIO()) == 0
    assert out.stat().st_size > 10_000


@pytest.mark.parametrize("argv, words", [
    (["plot", "dpo", "--trajectories", "0.3;0.5"], "x1,x2"),
    (["plot", "dpo", "--trajectories", "1.5,0.2"], "outside its domain"),
    (["plot", "dpo", "--trajectories", "__import__('os'),0.2"], "not a number"),
    (["plot", "dpo", "--param", "beta=-1"], "outside its domain"),
    (["plot", "dpo", "-o", "x.gif"], ".png, .pdf or .svg"),
])
def test_bad_plot_input_is_one_line(argv, words, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    err = io.StringIO()
    assert main(argv, io.StringIO(), err) == 2
    assert err.getvalue().count("\n") == 1 and words in err.getvalue()


def test_without_matplotlib_the_command_says_how_to_install(monkeypatch, tmp_path):
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import now raises ImportError
    err = io.StringIO()
    assert main(["plot", "dpo", "-o", str(tmp_path / "f.png")], io.StringIO(), err) == 2
    assert err.getvalue().count("\n") == 1
    assert "pip install 'dpo_proofs[plot]'" in err.getvalue()
    assert not (tmp_path / "f.png").exists()
    # derive still writes the document, with a note instead of the figure
    out, err = io.StringIO(), io.StringIO()
    assert main(["derive", "dpo", "-o", str(tmp_path / "dpo.tex")], out, err) == 0
    assert (tmp_path / "dpo.tex").exists() and "needs matplotlib" in err.getvalue()

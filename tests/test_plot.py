"""Field figures: lambdified field, trajectories, output files, the optional extra."""
from __future__ import annotations

import io
import math
import sys

import mpmath
import numpy as np
import pytest
import sympy as sp

from dpo_proofs.cli import main
from dpo_proofs.numerics.confirm import mp_callable, to_mpf
from dpo_proofs.loss.symbols import x1, x2
from dpo_proofs.loss.catalogue import CATALOGUE

matplotlib = pytest.importorskip("matplotlib", reason="matplotlib (the [plot] extra) not installed")

from dpo_proofs.pipeline import figure_fields  # noqa: E402
from dpo_proofs.printers.figures import plot_fields  # noqa: E402
from dpo_proofs.printers.frame_figures import (DEFAULT_FRAMES, plot_frames,  # noqa: E402
                                               plot_sensitivity)
from dpo_proofs.field.in_frame import field_of as cached_field  # noqa: E402

VARIANTS = list(CATALOGUE)
#: Variants whose frame fields derive in well under a second each (smooth, piecewise,
#: reference-free, with and without constants): the whole catalogue takes ~45 s per frame.
FRAME_SAMPLE = ["dpo", "ipo", "hinge", "simpo", "cpo", "slic_hf"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_lambdified_field_matches_an_independent_derivative(variant):
    loss = CATALOGUE[variant]
    (ff,) = figure_fields(loss)
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


def test_figure_fields_bind_the_constants_and_refuse_bad_input():
    from dpo_proofs.errors import InvalidArgument

    dpo = CATALOGUE["dpo"]
    (ff,) = figure_fields(dpo, params={"beta": "2"})
    assert dict(ff.values)["beta"] == "2"
    # beta = 2 by hand: dL/dx1 = -beta*sigmoid(-h)/x1 with h = 2 log(x1/x2) at r_w = r_l
    assert float(ff.d_x1(0.5, 0.25)) == pytest.approx(-2 * (1 / (1 + 4.0)) / 0.5, rel=1e-12)
    for frames, params in ((["bogus"], None), (None, {"beta": "-1"}),
                           (None, {"gamma": "1"})):
        with pytest.raises(InvalidArgument):
            figure_fields(dpo, frames, params)


@pytest.mark.parametrize("variant", VARIANTS)
def test_trajectory_keeps_the_conserved_quantity(variant):
    loss = CATALOGUE[variant]
    field = cached_field(loss)
    if field.conserved is None:
        pytest.skip(f"{variant}: no conserved quantity derived ({field.conserved_reason})")
    defaults = {p.symbol: p.default for p in loss.parameters}
    invariant = sp.lambdify((x1, x2), field.conserved.expr.subs(defaults), "numpy")
    path = figure_fields(loss)[0].trajectory((0.5, 0.4))
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
    functions = [figure_fields(CATALOGUE[v])[0] for v in VARIANTS[:2]]
    a = plot_fields(functions, tmp_path / f"a{suffix}", starts=[(0.4, 0.5)]).read_bytes()
    b = plot_fields(functions, tmp_path / f"b{suffix}", starts=[(0.4, 0.5)]).read_bytes()
    assert a == b


def test_grid_of_several_variants_and_params(tmp_path):
    out = tmp_path / "grid.png"
    names = (VARIANTS * 2)[:2]
    assert main(["plot", *names, "-o", str(out), "--param", "beta=2"],
                io.StringIO(), io.StringIO()) == 0
    assert out.stat().st_size > 10_000


@pytest.mark.parametrize("argv, words", [
    (["plot", "dpo", "--trajectories", "0.3;0.5"], "x1,x2"),
    (["plot", "dpo", "--parametrizations", "log,bogus"], "unknown parametrization 'bogus'"),
    (["plot", "dpo", "--sensitivity", "--parametrizations", "softmax:1"], "K must be"),
    (["plot", "dpo", "--parametrizations", "log,,softmax"], "comma-separated"),
    (["plot", "dpo", "ipo", "--sensitivity"], "one variant"),
    (["plot", "dpo", "--sensitivity", "--trajectories", "0.3,0.4"], "does not apply"),
    (["plot", "dpo", "--trajectories", "1.5,0.2"], "outside its domain"),
    (["plot", "dpo", "--trajectories", "__import__('os'),0.2"], "not a number"),
    (["plot", "dpo", "--param", "beta=-1"], "outside its domain"),
    (["plot", "dpo", "-o", "x.gif"], ".png, .pdf or .svg"),
    (["plot", "dpo", "--sensitivity", "-o", "x.gif"], ".png, .pdf or .svg"),
    (["plot", "dpo", "ipo", "--param", "gamma=1"], "no plotted variant has it"),
    (["plot", "dpo", "--parametrizations", "log", "--param", "gamma=1"],
     "no plotted variant has it"),
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
    for option in (["--sensitivity"], ["--parametrizations", "log"]):
        err = io.StringIO()
        assert main(["plot", "dpo", *option, "-o", str(tmp_path / "g.png")],
                    io.StringIO(), err) == 2
        assert err.getvalue().count("\n") == 1
        assert "pip install 'dpo_proofs[plot]'" in err.getvalue()
    # derive still writes the document, with a note instead of the figure
    out, err = io.StringIO(), io.StringIO()
    assert main(["derive", "dpo", "-o", str(tmp_path / "dpo.tex")], out, err) == 0
    assert (tmp_path / "dpo.tex").exists() and "needs matplotlib" in err.getvalue()


def _mp_partials(loss, a, b):
    """dL/dx1, dL/dx2 at (a, b) by mpmath.diff of the loss definition (independent of sympy's
    derivatives and of the metric)."""
    defaults = {p.symbol: p.default for p in loss.parameters}
    g = mp_callable(loss.expr.subs(defaults), [x1, x2])
    with mpmath.workdps(30):
        point = [to_mpf(sp.Rational(repr(a))), to_mpf(sp.Rational(repr(b)))]
        return (float(mpmath.diff(lambda t: g(t, point[1]), point[0])),
                float(mpmath.diff(lambda t: g(point[0], t), point[1])))


@pytest.mark.parametrize("variant", FRAME_SAMPLE)
def test_log_frame_arrows_point_along_minus_metric_times_gradient(variant):
    # x = exp(theta): J = diag(x1, x2), M = J J^T = diag(x1**2, x2**2) by hand.
    loss = CATALOGUE[variant]
    (ff,) = figure_fields(loss, ["log"])
    for a, b in ((0.6, 0.3), (0.2, 0.7), (0.9, 0.05)):
        g1, g2 = _mp_partials(loss, a, b)
        assert float(ff.d_x1(a, b)) == pytest.approx(a**2 * g1, rel=1e-9)
        assert float(ff.d_x2(a, b)) == pytest.approx(b**2 * g2, rel=1e-9)
        # the drawn direction: the first RK4 step from (a, b) goes along -(a^2 g1, b^2 g2)
        path = ff.trajectory((a, b), step=1e-4)
        moved = path[1] - path[0]
        expected = -np.array([a**2 * g1, b**2 * g2])
        cosine = moved @ expected / (np.linalg.norm(moved) * np.linalg.norm(expected))
        assert cosine > 1 - 1e-6


def test_softmax_edge_moves_along_the_edge():
    # softmax:2 by hand: J = x1 x2 [[1, -1], [-1, 1]], so M = J J^T = 2 (x1 x2)^2 [[1, -1],
    # [-1, 1]] and the velocity -M grad L is a multiple of (1, -1): it stays on x1 + x2 = 1.
    (ff,) = figure_fields(CATALOGUE["dpo"], ["softmax:2"])
    for a in (0.2, 0.5, 0.8):
        g1, g2 = _mp_partials(CATALOGUE["dpo"], a, 1 - a)
        factor = 2 * (a * (1 - a)) ** 2
        assert float(ff.d_x1(a, 1 - a)) == pytest.approx(factor * (g1 - g2), rel=1e-9)
        assert float(ff.d_x2(a, 1 - a)) == pytest.approx(factor * (g2 - g1), rel=1e-9)
    path = ff.trajectory((0.3, 0.7))
    assert len(path) > 20 and np.max(np.abs(path.sum(axis=1) - 1)) < 1e-9
    assert path[-1, 0] > 0.99  # dpo raises x1 along the whole edge


@pytest.mark.parametrize("frame", ["softmax", "softmax:4"])
@pytest.mark.parametrize("variant", FRAME_SAMPLE)
def test_trajectories_stay_in_the_simplex(variant, frame):
    (ff,) = figure_fields(CATALOGUE[variant], [frame])
    for start in ((0.3, 0.4), (0.1, 0.8), (0.6, 0.05)):
        path = ff.trajectory(start)
        assert np.all(path > 0) and np.all(path.sum(axis=1) < 1)
    assert len(ff.trajectory((0.6, 0.5))) == 1  # a start outside: no motion drawn


@pytest.mark.parametrize("start, expected", [
    # probability frame: -grad L of dpo is parallel to (x2, -x1), so orbits are circles
    # x1^2 + x2^2 = r^2 run until x2 -> 0 (x1 -> r) or x1 reaches 1 (hand derivation)
    ((0.3, 0.4), 0.5),
    ((0.1, 0.5), math.sqrt(0.26)),
    ((0.6, 0.8), 1.0),
    ((0.2, 0.2), math.sqrt(0.08)),
])
def test_sensitivity_of_dpo_follows_the_circles(start, expected):
    (ff,) = figure_fields(CATALOGUE["dpo"])
    assert ff.final_x1([start])[0] == pytest.approx(min(1.0, expected), abs=0.02)


@pytest.mark.parametrize("frame", ["probability", "log", "softmax", "softmax:2"])
def test_vectorised_final_x1_is_the_end_of_each_trajectory(frame):
    (ff,) = figure_fields(CATALOGUE["ipo"], [frame])  # ipo: the flow can stall
    starts = [(0.3, 0.4), (0.02, 0.9), (0.7, 0.3), (0.4, 0.6), (0.5, 0.45), (0.9, 0.004)]
    finals = ff.final_x1(starts)
    for start, final in zip(starts, finals):
        if not ff.inside(*start):
            assert math.isnan(final)
        else:
            assert final == pytest.approx(min(1.0, ff.trajectory(start)[-1, 0]), abs=1e-12)


@pytest.mark.parametrize("suffix", [".png", ".svg"])
@pytest.mark.parametrize("kind", ["frames", "sensitivity"])
def test_frame_figures_are_written_deterministically(kind, suffix, tmp_path):
    functions = figure_fields(CATALOGUE["dpo"], DEFAULT_FRAMES)

    def draw(name):
        if kind == "frames":
            return plot_frames(functions, tmp_path / f"{name}{suffix}",
                               starts=[(0.3, 0.4), (0.4, 0.6)])
        return plot_sensitivity(functions, tmp_path / f"{name}{suffix}", grid=12)

    a, b = draw("a").read_bytes(), draw("b").read_bytes()
    assert len(a) > 10_000 and a == b
    assert a.startswith(b"\x89PNG") if suffix == ".png" else b"<svg" in a[:2000]


@pytest.mark.parametrize("option", [["--parametrizations", "log,softmax:2"], ["--sensitivity"],
                                    ["--sensitivity", "--parametrizations", "softmax"]])
def test_plot_cli_frames_and_sensitivity(option, tmp_path):
    out = tmp_path / "fig.png"
    stdout = io.StringIO()
    extra = [] if "--sensitivity" in option else ["--trajectories", "0.3,0.4;0.4,0.6"]
    assert main(["plot", "dpo", *option, "-o", str(out), "--param", "beta=0.5", *extra],
                stdout, io.StringIO()) == 0
    assert stdout.getvalue() == f"wrote {out}\n"
    assert out.read_bytes().startswith(b"\x89PNG") and out.stat().st_size > 10_000


def test_gram_figure_uses_the_derived_weights(tmp_path):
    """SimPO's weight is n_l/n_w (hand-derived): with n_l = 2 the panel is drawn at w = 2;
    a variant whose weight is not one number (hinge: piecewise) is refused in one line."""
    from dpo_proofs import get_variant
    from dpo_proofs.field.gram import weight_at

    assert weight_at(get_variant("simpo"), {"n_l": 2})[0] == 2
    assert weight_at(get_variant("dpo"))[0] == 1
    out = tmp_path / "g.png"
    err = io.StringIO()
    code = main(["plot", "dpo", "simpo", "--gram", "--param", "n_l=2", "-o", str(out)],
                io.StringIO(), err)
    assert code == 0 and out.read_bytes().startswith(b"\x89PNG"), err.getvalue()
    err = io.StringIO()
    code = main(["plot", "hinge", "--gram", "-o", str(tmp_path / "h.png")], io.StringIO(), err)
    assert code == 2 and "weight" in err.getvalue() and "Traceback" not in err.getvalue()

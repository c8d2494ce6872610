"""Figures of one loss in several frames: the induced velocity, and where the flow ends.

In a frame (``field.frames``) with metric M = J J^T the field drawn is the velocity
dx/dt = -M grad L that gradient flow on the parameters induces on (x1, x2), restricted
to the frame's domain (the part of the square outside it is greyed out; on the edge
x1 + x2 = 1 the motion is drawn as arrows along the edge). Everything drawn comes from
the FieldFunctions values the caller built (``pipeline.figure_fields``): this module
evaluates their methods and draws; it derives nothing. Output is deterministic.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import sympy as sp

from ..numerics.trajectories import FieldFunctions
from .drawing import (DETERMINISTIC, GRID, LOW, check_figure_target, require_matplotlib,
                      row_of_panels, save_figure, shared_log_scale, square_axes, title)

__all__ = ["plot_frames", "plot_sensitivity", "DEFAULT_FRAMES", "SENSITIVITY_GRID"]

#: Frames drawn when none are named: the paper's, log-probabilities, softmax, its edge.
DEFAULT_FRAMES = ("probability", "log", "softmax", "softmax:2")
#: Starting points per axis of the sensitivity map (and along the edge: EDGE_SAMPLES).
SENSITIVITY_GRID = 30
EDGE_SAMPLES = 200
EDGE_ARROWS = 9
_FRAME_LABELS = {"probability": "probability frame", "log": "log frame",
                 "softmax": "softmax frame (K = 3)", "softmax:2": "softmax:2 (edge x1 + x2 = 1)"}


def _edge_points(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Samples of the segment x1 + x2 = 1 with both coordinates in [LOW, 1 - LOW]."""
    a = np.linspace(LOW, 1.0 - LOW, n)
    return a, 1.0 - a


def _frame_label(ff: FieldFunctions) -> str:
    return _FRAME_LABELS.get(ff.frame.name, ff.frame.name)


def _shade_outside(ax, ff: FieldFunctions, zorder: float = 0) -> None:
    """Grey out the part of the square outside a simplex domain x1 + x2 < 1 (or off
    the edge x1 + x2 = 1); nothing for the whole square."""
    if ff.frame.domain is sp.true:
        return
    ax.fill([1, 1, 0], [0, 1, 1], facecolor="0.88", edgecolor="none", hatch="//",
            zorder=zorder, label="outside the frame's domain")
    ax.plot([0, 1], [1, 0], color="0.3", lw=1.0, zorder=6)  # the simplex edge x1 + x2 = 1
    if ff.on_edge:
        ax.fill([0, 1, 0], [0, 0, 1], facecolor="0.88", edgecolor="none", hatch="//",
                zorder=zorder)


def _skipped_note(ax, skipped: Sequence[tuple[float, float]]) -> None:
    if skipped:
        where = "; ".join(f"({a:g}, {b:g})" for a, b in skipped)
        ax.text(0.02, 0.02, f"outside the domain, not drawn: {where}", transform=ax.transAxes,
                fontsize=6.5, color="tab:green", zorder=10,
                bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none", "pad": 1.5})


def plot_frames(functions: Sequence[FieldFunctions], output: Path,
                starts: Sequence[tuple[float, float]] = (), grid: int = GRID) -> Path:
    """Draw the induced velocity -M grad L of one loss in each frame, side by side
    (``functions``: one value per frame, the same loss and constants).

    Each panel: streamlines coloured by log of the speed ratio |dx2/dt| / |dx1/dt| (one
    scale for all panels), the diagonal, the boundary of the region ratio > 1, the frame's
    domain (outside greyed out; on the edge x1 + x2 = 1, arrows of the 1-D motion), and
    the trajectories from ``starts`` that lie in the domain (the others are listed).
    """
    matplotlib = require_matplotlib()
    check_figure_target(output)
    axis = np.linspace(LOW, 1.0, grid)
    a, b = np.meshgrid(axis, axis)
    edge_a, edge_b = _edge_points(EDGE_ARROWS)
    log_ratios = []
    for ff in functions:
        pa, pb = (edge_a, edge_b) if ff.on_edge else (a, b)
        with np.errstate(all="ignore"):
            log_r = np.log(ff.ratio_values(pa, pb))
        log_ratios.append(np.where(ff.inside(pa, pb), log_r, np.nan))
    norm = shared_log_scale(log_ratios)

    n = len(functions)
    with matplotlib.rc_context({**DETERMINISTIC, "hatch.color": "0.7"}):
        fig, axes = row_of_panels(n)
        mappable = None
        for ax, ff, log_r in zip(axes, functions, log_ratios):
            _shade_outside(ax, ff)
            if ff.on_edge:
                mappable = _draw_edge_motion(ax, ff, edge_a, edge_b, log_r, norm)
            else:
                mappable = _draw_streamlines(ax, ff, a, b, log_r, norm)
            ax.plot([0, 1], [0, 1], ls="--", color="0.6", lw=1.0, zorder=5,
                    label="diagonal x1 = x2")
            ax.plot([], [], color="k", lw=1.6, label="boundary of speed ratio > 1")
            skipped = []
            for start in starts:
                if not bool(ff.inside(*start)):
                    skipped.append(start)
                    continue
                path = ff.trajectory(start)
                ax.plot(path[:, 0], path[:, 1], color="tab:green", lw=1.8, zorder=7)
                ax.plot([start[0]], [start[1]], "o", color="tab:green", ms=4, zorder=7)
            _skipped_note(ax, skipped)
            square_axes(ax, _frame_label(ff))
        _figure_legend(fig, axes)
        fig.suptitle(title(functions[0]), fontsize=10)
        if mappable is not None:
            fig.colorbar(mappable, ax=axes.tolist(), shrink=0.85,
                         label=r"$\log$ speed ratio $|dx_2/dt| \,/\, |dx_1/dt|$")
        save_figure(fig, output)
    return output


def _figure_legend(fig, axes) -> None:
    """One legend below the panels, each label once."""
    handles = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    fig.legend(list(handles.values()), list(handles), loc="outside lower center",
               ncols=len(handles), fontsize=7, frameon=False)


def _draw_streamlines(ax, ff: FieldFunctions, a, b, log_r, norm):
    """Streamlines of the unit velocity, masked outside the domain, and the ratio = 1 set."""
    u, v = ff.direction(a, b)
    bad = ~(np.isfinite(u) & np.isfinite(v) & ff.inside(a, b))
    u = np.ma.array(np.where(bad, 0.0, u), mask=bad)
    v = np.ma.array(np.where(bad, 0.0, v), mask=bad)
    colour = np.ma.array(np.where(np.isfinite(log_r), log_r, 0.0), mask=~np.isfinite(log_r))
    stream = ax.streamplot(a, b, u, v, color=colour, cmap="coolwarm", norm=norm,
                           density=1.0, linewidth=0.9, arrowsize=0.9, broken_streamlines=True)
    excess = np.where(ff.inside(a, b), ff.excess_values(a, b), np.nan)
    if np.any(excess > 0) and np.any(excess < 0):
        # under the dashed diagonal: for margin losses the two coincide
        ax.contour(a, b, excess, levels=[0.0], colors="k", linewidths=1.6, zorder=4)
    return stream.lines


def _draw_edge_motion(ax, ff: FieldFunctions, edge_a, edge_b, log_r, norm):
    """The segment x1 + x2 = 1 with arrows of the 1-D motion along it, coloured like the
    streamlines; points where the ratio crosses 1 on the edge are marked."""
    ax.plot([0, 1], [1, 0], color="0.3", lw=1.2, zorder=3)
    u, v = ff.direction(edge_a, edge_b)
    ok = np.isfinite(u) & np.isfinite(v)
    # black edges: log ratio 0 is the colour map's pale middle, invisible on the grey
    quiver = ax.quiver(edge_a[ok], edge_b[ok], u[ok], v[ok], np.nan_to_num(log_r[ok]),
                       cmap="coolwarm", norm=norm, angles="xy", scale_units="xy", scale=16,
                       width=0.011, headwidth=3.5, headlength=4, headaxislength=3.5,
                       edgecolor="k", linewidth=0.5, zorder=6,
                       pivot="middle")
    fine_a, fine_b = _edge_points(EDGE_SAMPLES)
    excess = ff.excess_values(fine_a, fine_b)
    crossing = np.flatnonzero(np.sign(excess[:-1]) * np.sign(excess[1:]) < 0)
    ax.plot(fine_a[crossing], fine_b[crossing], "o", mfc="none", mec="k", ms=8, mew=1.6,
            zorder=7)
    return quiver


def plot_sensitivity(functions: Sequence[FieldFunctions], output: Path,
                     grid: int = SENSITIVITY_GRID) -> Path:
    """Map each start (x1_0, x2_0) in a frame's domain to the x1 where its flow ends
    (``functions``: one value per frame, the same loss and constants).

    The flow dx/dt = -M grad L is integrated (``FieldFunctions.final_x1``: RK4 in arc
    length, all starts at once) until it leaves the domain, stalls where the field
    vanishes, or runs out of steps. On the edge x1 + x2 = 1 (softmax:2) the map is a
    curve over x1_0.
    """
    matplotlib = require_matplotlib()
    from matplotlib.colors import Normalize

    check_figure_target(output)
    axis = np.linspace(LOW, 1.0, grid)
    # cell edges for pcolormesh: the starts are the cell centres
    half = (axis[1] - axis[0]) / 2
    cells = np.concatenate([axis - half, [axis[-1] + half]])
    a, b = np.meshgrid(axis, axis)
    norm = Normalize(0.0, 1.0)
    n = len(functions)
    with matplotlib.rc_context({**DETERMINISTIC, "hatch.color": "0.7"}):
        fig, axes = row_of_panels(n)
        mappable = None
        for ax, ff in zip(axes, functions):
            if ff.on_edge:
                mappable = _edge_sensitivity(ax, ff, grid * 4, norm)
                continue
            final = ff.final_x1(np.stack([a.ravel(), b.ravel()], axis=1)).reshape(a.shape)
            # A cell whose centre is outside the domain but whose lower-left corner is
            # inside (it straddles the edge x1 + x2 = 1) shows the flow from that corner.
            corner = np.isnan(final) & ff.inside(a - half, b - half)
            if corner.any():
                final[corner] = ff.final_x1(np.stack([a[corner] - half, b[corner] - half],
                                                     axis=1))
            _shade_outside(ax, ff, zorder=2)  # over the cells that straddle the edge
            mappable = ax.pcolormesh(cells, cells, np.ma.masked_invalid(final), cmap="viridis",
                                     norm=norm, shading="flat", zorder=1)
            ax.plot([0, 1], [0, 1], ls="--", color="0.6", lw=1.0, zorder=5)
            square_axes(ax, _frame_label(ff))
            ax.set_xlabel(r"start $x_1$")
            ax.set_ylabel(r"start $x_2$")
        fig.suptitle(title(functions[0]) + ": where the flow ends", fontsize=10)
        if mappable is not None:
            fig.colorbar(mappable, ax=axes.tolist(), shrink=0.85, label="final x1")
        save_figure(fig, output)
    return output


def _edge_sensitivity(ax, ff: FieldFunctions, samples: int, norm):
    """On the edge x1 + x2 = 1: the final x1 as a curve over the start's x1."""
    edge_a, edge_b = _edge_points(samples)
    final = ff.final_x1(np.stack([edge_a, edge_b], axis=1))
    ax.plot(edge_a, final, color="0.25", lw=1.0, zorder=4)
    mappable = ax.scatter(edge_a, final, c=final, cmap="viridis", norm=norm, s=9, zorder=5)
    ax.plot([0, 1], [0, 1], ls="--", color="0.6", lw=1.0, label="final x1 = x1_0")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.05)
    ax.set_box_aspect(1)
    ax.set_xlabel(r"start $x_1$ on the edge ($x_2 = 1 - x_1$)")
    ax.set_ylabel(r"final $x_1$")
    ax.set_title(_frame_label(ff), fontsize=9)
    ax.legend(loc="lower right", fontsize=6.5)
    return mappable

"""The field figure: -grad L of several losses over (0, 1]^2, side by side (matplotlib).

Each panel draws streamlines of the unit direction of -grad L coloured by log R (one
scale for all panels), the diagonal x1 = x2, the boundary of the region R > 1 and
gradient-flow trajectories from given starts. Everything drawn comes from the
FieldFunctions values the caller built (``pipeline.figure_fields``): this module
evaluates their methods and draws; it derives nothing. Output is deterministic.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..numerics.trajectories import FieldFunctions
from .drawing import (DETERMINISTIC, GRID, LOW, check_figure_target, require_matplotlib,
                      save_figure, shared_log_scale, square_axes, title)

__all__ = ["plot_fields"]


def plot_fields(functions: Sequence[FieldFunctions], output: Path,
                starts: Sequence[tuple[float, float]] = (), grid: int = GRID) -> Path:
    """Draw -grad L of each value (one loss each, probability frame) side by side and
    save to ``output`` (.png, .pdf, .svg)."""
    matplotlib = require_matplotlib()
    from matplotlib.figure import Figure

    check_figure_target(output)
    axis = np.linspace(LOW, 1.0, grid)
    a, b = np.meshgrid(axis, axis)
    log_ratios = []
    for ff in functions:
        with np.errstate(all="ignore"):
            log_ratios.append(np.log(ff.ratio_values(a, b)))
    norm = shared_log_scale(log_ratios)

    n = len(functions)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    with matplotlib.rc_context(DETERMINISTIC):
        fig = Figure(figsize=(4.6 * cols + 0.8, 4.4 * rows), layout="constrained")
        axes = fig.subplots(rows, cols, squeeze=False)
        mappable = None
        for i, (ff, log_r) in enumerate(zip(functions, log_ratios)):
            ax = axes[i // cols][i % cols]
            u, v = ff.direction(a, b)
            bad = ~(np.isfinite(u) & np.isfinite(v))
            u = np.ma.array(np.where(bad, 0.0, u), mask=bad)
            v = np.ma.array(np.where(bad, 0.0, v), mask=bad)
            colour = np.ma.array(np.where(np.isfinite(log_r), log_r, 0.0),
                                 mask=~np.isfinite(log_r))
            stream = ax.streamplot(a, b, u, v, color=colour, cmap="coolwarm", norm=norm,
                                   density=1.1, linewidth=0.9, arrowsize=0.9,
                                   broken_streamlines=True)
            mappable = stream.lines
            # Drawn over the boundary: for margin losses the two coincide.
            ax.plot([0, 1], [0, 1], ls="--", color="0.75", lw=1.0, zorder=5,
                    label="diagonal x1 = x2")
            excess = ff.excess_values(a, b)
            if np.any(excess > 0) and np.any(excess < 0):
                ax.contour(a, b, np.where(np.isfinite(excess), excess, np.nan), levels=[0.0],
                           colors="k", linewidths=1.6)
            ax.plot([], [], color="k", lw=1.6, label="boundary of R > 1")
            for start in starts:
                path = ff.trajectory(start)
                ax.plot(path[:, 0], path[:, 1], color="tab:green", lw=1.8)
                ax.plot([start[0]], [start[1]], "o", color="tab:green", ms=4)
            square_axes(ax, title(ff))
            if i == 0:
                ax.legend(loc="upper left", fontsize=7, framealpha=0.85)
        for j in range(n, rows * cols):
            axes[j // cols][j % cols].set_visible(False)
        if mappable is not None:
            fig.colorbar(mappable, ax=axes.ravel().tolist(), shrink=0.85,
                         label=r"$\log R$,  $R = |\partial L/\partial x_2| / |\partial L/\partial x_1|$")
        save_figure(fig, output)
    return output

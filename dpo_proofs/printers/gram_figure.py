"""The Gram figure: the (c/a, c/b) plane coloured by the four cases of motion.

For a loss with weight w = s_w/s_l (and s_w, s_l > 0) the chosen log-probability rises
iff c/a < w and the rejected falls iff c/b < 1/w; a Gram matrix exists iff
(c/a)(c/b) = c^2/(ab) <= 1 with c/a and c/b of one sign. The figure draws those
lines at the weight given (a number the caller evaluated from the derived w).
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .drawing import DETERMINISTIC, require_matplotlib, save_figure

__all__ = ["plot_gram", "CASE_COLOURS"]

#: the four cases' colours (colour-blind safe), in field.gram.CASES order
CASE_COLOURS = {"chosen up, rejected down": "#1b9e77",
                "both down (likelihood displacement)": "#d95f02",
                "both up": "#7570b3", "chosen down, rejected up": "#e7298a"}


def plot_gram(panels: Sequence[tuple[str, float, str]], output: Path, span: float = 3.0
              ) -> None:
    """One panel per (title, w, where): the admissible (c/a, c/b) coloured by case."""
    matplotlib = require_matplotlib()
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    with matplotlib.rc_context(DETERMINISTIC):
        n = len(panels)
        fig = Figure(figsize=(4.2 * n, 4.4))
        grid = np.linspace(-span, span, 601)
        P, Q = np.meshgrid(grid, grid)  # rows: c/b, columns: c/a (imshow's layout)
        admissible = (P * Q <= 1) & (P * Q >= 0)
        cmap = ListedColormap(list(CASE_COLOURS.values()))
        for i, (name, w, where) in enumerate(panels):
            ax = fig.add_subplot(1, n, i + 1)
            up, down = P < w, Q < 1 / w
            case = np.where(up & down, 0, np.where(~up & down, 1, np.where(up & ~down, 2, 3)))
            shown = np.ma.masked_where(~admissible, case.astype(float))
            # a raster (one image), not 360,000 vector cells: a PDF of 5 MB drew slowly
            ax.imshow(shown, cmap=cmap, vmin=-0.5, vmax=3.5, origin="lower",
                      extent=(-span, span, -span, span), interpolation="nearest")
            ax.axvline(w, color="k", lw=0.8)
            ax.axhline(1 / w, color="k", lw=0.8, ls="--")
            h = np.linspace(1 / span, span, 300)
            for sign in (1, -1):
                ax.plot(sign * h, sign / h, color="0.3", lw=0.8, ls=":")
            ax.set_xlim(-span, span)
            ax.set_ylim(-span, span)
            ax.set_aspect("equal")
            ax.set_xlabel(r"$c/a$")
            ax.set_ylabel(r"$c/b$")
            ax.set_title(f"{name}: w = {w:.4g}" + (f"\n{where}" if where else ""), fontsize=9)
        fig.legend(handles=[Patch(color=c, label=k) for k, c in CASE_COLOURS.items()],
                   loc="lower center", ncol=2, fontsize=8, frameon=False)
        fig.subplots_adjust(bottom=0.26, top=0.86, wspace=0.35)
        save_figure(fig, output)

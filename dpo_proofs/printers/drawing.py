"""What the figures share: the optional matplotlib, the output file, the colour scale.

matplotlib is an optional extra, imported only when a figure is drawn; without it
``require_matplotlib`` raises PlottingUnavailable, a one-line error that says how to
install it. Files are saved without dates or tool versions, with a fixed SVG salt,
and atomically, so the same figure gives the same bytes on every run.
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import DpoProofsError
from ..files import check_target, write_atomic
from ..numerics.trajectories import FieldFunctions

__all__ = ["PlottingUnavailable", "INSTALL_HINT", "require_matplotlib", "check_figure_target",
           "save_figure", "DETERMINISTIC", "GRID", "LOW", "AXIS_LABELS", "title",
           "shared_log_scale", "row_of_panels", "square_axes"]

INSTALL_HINT = ("plotting needs matplotlib, an optional extra: pip install 'dpo_proofs[plot]' "
                "(or pip install matplotlib)")

#: Grid resolution and the smallest probability drawn (the domain is open at 0).
GRID = 160
LOW = 0.01
#: rcParams that make the saved files byte-identical from run to run.
DETERMINISTIC = {"svg.hashsalt": "dpo_proofs", "path.simplify": True}
AXIS_LABELS = (r"$x_1 = \pi(y_w\mid x)$", r"$x_2 = \pi(y_l\mid x)$")


class PlottingUnavailable(DpoProofsError):
    """matplotlib is not installed."""


def require_matplotlib():
    """Import matplotlib lazily (it is an optional extra); one-line error without it."""
    try:
        import matplotlib
        from matplotlib.figure import Figure  # noqa: F401  (needed by every figure)
    except ImportError:
        raise PlottingUnavailable(INSTALL_HINT) from None
    return matplotlib


def check_figure_target(output: Path) -> None:
    """A supported suffix and a target that may be replaced, checked before any drawing
    (callers check it before deriving, too: a bad name should not cost a derivation)."""
    if output.suffix.lower() not in (".png", ".pdf", ".svg"):
        raise DpoProofsError(f"figure {output}: the format must be .png, .pdf or .svg")
    check_target(output)


def save_figure(fig, output: Path) -> None:
    """Save without dates or tool versions, atomically (never half a figure), through the
    package's one writer: rendered in memory, then written to a unique temporary file
    beside ``output`` and renamed (no fixed temporary name a symlink could be planted at;
    nothing left behind on failure)."""
    suffix = output.suffix.lower()
    metadata = {".png": {"Software": None},
                ".pdf": {"Creator": None, "Producer": None, "CreationDate": None,
                         "ModDate": None},
                ".svg": {"Date": None, "Creator": None}}[suffix]
    buffer = io.BytesIO()
    fig.savefig(buffer, format=suffix[1:], dpi=150, metadata=metadata)
    write_atomic(output, buffer.getvalue())


def title(ff: FieldFunctions) -> str:
    """The loss's name and the constants it was drawn at."""
    consts = ", ".join(f"{k}={v}" for k, v in ff.values)
    return ff.loss.name + (f"  ({consts})" if consts else "")


def shared_log_scale(log_ratios: Sequence[np.ndarray]):
    """One colour scale for every panel, symmetric about log R = 0 and reaching the 98th
    percentile of |log R| (a few points near a singularity would wash out the rest)."""
    from matplotlib.colors import Normalize

    finite = np.concatenate([np.abs(r[np.isfinite(r)]).ravel() for r in log_ratios])
    vmax = float(np.percentile(finite, 98)) if finite.size else 1.0
    return Normalize(-max(vmax, 1e-6), max(vmax, 1e-6))


def row_of_panels(n: int):
    """A figure with ``n`` square-ish panels side by side (frames, sensitivity)."""
    from matplotlib.figure import Figure  # matplotlib is optional: imported on use

    fig = Figure(figsize=(4.2 * n + 1.0, 4.6), layout="constrained")
    return fig, fig.subplots(1, n, squeeze=False)[0]


def square_axes(ax, heading: str) -> None:
    """The unit square, equal aspect, axes labelled x1 and x2."""
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel(AXIS_LABELS[0])
    ax.set_ylabel(AXIS_LABELS[1])
    ax.set_title(heading, fontsize=9)

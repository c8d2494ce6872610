"""Figures of the negative gradient field -grad L over (0, 1]^2 (matplotlib, optional).

The field, log R and the R > 1 boundary are evaluated with numpy code that
``sympy.lambdify`` generates from the derived closed forms; nothing is re-typed.
Trajectories follow the orbits of dx/dt = -grad L, integrated by classical RK4 in
arc length (the unit direction field has the same orbits and no stiffness from
|grad L| blowing up as x2 -> 0). Output is deterministic: no dates, fixed SVG salt.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sympy as sp

from .engine import cached_field
from .errors import DpoProofsError
from .loss import Loss
from .symbols import X1, X2, x1, x2

__all__ = ["PlottingUnavailable", "FieldFunctions", "field_functions", "trajectory",
           "plot_fields", "parse_trajectories", "require_matplotlib", "INSTALL_HINT"]

INSTALL_HINT = ("plotting needs matplotlib, an optional extra: pip install 'dpo_proofs[plot]' "
                "(or pip install matplotlib)")

#: Grid resolution and the smallest probability drawn (the domain is open at 0).
GRID = 160
LOW = 0.01


class PlottingUnavailable(DpoProofsError):
    """matplotlib is not installed."""


def require_matplotlib():
    """Import matplotlib lazily (it is an optional extra); one-line error without it."""
    try:
        import matplotlib
        from matplotlib.figure import Figure  # noqa: F401  (needed below)
    except ImportError:
        raise PlottingUnavailable(INSTALL_HINT) from None
    return matplotlib


@dataclass(frozen=True)
class FieldFunctions:
    """numpy callables (x1, x2) -> array, lambdified from the derived closed forms."""

    loss: Loss
    values: tuple[tuple[str, str], ...]  # the constants used, for the title
    d_x1: object
    d_x2: object
    ratio: object
    ratio_excess: object


def field_functions(loss: Loss, params: Mapping[str, object] | None = None) -> FieldFunctions:
    """Lambdify dL/dx1, dL/dx2, R and the R-vs-1 test at the given (else default) constants."""
    field = cached_field(loss)
    bound = {p.symbol: p.default for p in loss.parameters}
    bound.update(loss.bind(params or {}))

    def fn(expr: sp.Expr):
        return sp.lambdify((x1, x2), sp.sympify(expr).subs(bound), modules="numpy")

    shown = tuple((s.name, sp.sstr(v)) for s, v in bound.items() if s in loss.expr.free_symbols)
    return FieldFunctions(loss, shown, fn(field.d_x1.closed_form), fn(field.d_x2.closed_form),
                          fn(field.ratio), fn(field.ratio_excess_expr))


def _evaluate(f, a, b) -> np.ndarray:
    with np.errstate(all="ignore"):
        out = np.asarray(f(a, b), dtype=float)
    return np.broadcast_to(out, np.broadcast(a, b).shape).astype(float)


def _direction(ff: FieldFunctions, a, b) -> tuple[np.ndarray, np.ndarray]:
    """Unit vector of -grad L (NaN where the field is not finite or zero)."""
    u = -_evaluate(ff.d_x1, a, b)
    v = -_evaluate(ff.d_x2, a, b)
    with np.errstate(all="ignore"):
        scale = np.maximum(np.abs(u), np.abs(v))  # rescale first: no overflow in hypot
        u, v = u / scale, v / scale
        norm = np.hypot(u, v)
        return u / norm, v / norm


def trajectory(ff: FieldFunctions, start: tuple[float, float], step: float = 0.004,
               max_steps: int = 2000) -> np.ndarray:
    """An orbit of gradient flow from ``start`` (RK4 in arc length).

    It ends where it leaves (0, 1]^2 or reaches the set where grad L = 0 (there the unit
    direction flips sign, and stepping on would only jitter across that set).
    """
    points = [np.array(start, dtype=float)]

    def d(p):
        u, v = _direction(ff, np.array(p[0]), np.array(p[1]))
        return np.array([float(u), float(v)])

    for _ in range(max_steps):
        p = points[-1]
        k1 = d(p)
        k2 = d(p + step / 2 * k1)
        k3 = d(p + step / 2 * k2)
        k4 = d(p + step * k3)
        if min(float(np.dot(k1, k)) for k in (k2, k3, k4)) < 0:
            break  # the step straddles the set where grad L = 0
        nxt = p + step / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        if not np.all(np.isfinite(nxt)) or nxt.min() <= 0 or nxt.max() > 1:
            break
        points.append(nxt)
    return np.array(points)


def parse_trajectories(text: str | None) -> list[tuple[float, float]]:
    """'0.3,0.6;0.5,0.2' -> starting points, each coordinate validated in (0, 1]."""
    if not text:
        return []
    out = []
    for part in text.split(";"):
        coords = [c.strip() for c in part.split(",")]
        if len(coords) != 2:
            raise DpoProofsError(f"trajectory start {part!r} must look like x1,x2")
        out.append((float(X1.validate(coords[0])), float(X2.validate(coords[1]))))
    return out


def _title(ff: FieldFunctions) -> str:
    consts = ", ".join(f"{k}={v}" for k, v in ff.values)
    return ff.loss.name + (f"  ({consts})" if consts else "")


def plot_fields(losses: Sequence[Loss], output: Path, params: Mapping[str, object] | None = None,
                starts: Sequence[tuple[float, float]] = (), grid: int = GRID) -> Path:
    """Draw -grad L for each loss side by side and save to ``output`` (.png, .pdf, .svg)."""
    matplotlib = require_matplotlib()
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure

    suffix = output.suffix.lower()
    if suffix not in (".png", ".pdf", ".svg"):
        raise DpoProofsError(f"figure {output}: the format must be .png, .pdf or .svg")
    functions = []
    for loss in losses:
        names = {p.name for p in loss.parameters}
        functions.append(field_functions(loss, {k: v for k, v in (params or {}).items()
                                                 if k in names}))
    unknown = set(params or {}) - {p.name for l in losses for p in l.parameters}
    if unknown:
        raise DpoProofsError(f"--param {', '.join(sorted(unknown))}: no plotted variant has it")
    axis = np.linspace(LOW, 1.0, grid)
    a, b = np.meshgrid(axis, axis)
    log_ratios = []
    for ff in functions:
        with np.errstate(all="ignore"):
            log_ratios.append(np.log(_evaluate(ff.ratio, a, b)))
    finite = np.concatenate([np.abs(r[np.isfinite(r)]).ravel() for r in log_ratios])
    vmax = float(np.percentile(finite, 98)) if finite.size else 1.0
    norm = Normalize(-max(vmax, 1e-6), max(vmax, 1e-6))  # one scale for every panel

    n = len(functions)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    with matplotlib.rc_context({"svg.hashsalt": "dpo_proofs", "path.simplify": True}):
        fig = Figure(figsize=(4.6 * cols + 0.8, 4.4 * rows), layout="constrained")
        axes = fig.subplots(rows, cols, squeeze=False)
        mappable = None
        for i, (ff, log_r) in enumerate(zip(functions, log_ratios)):
            ax = axes[i // cols][i % cols]
            u, v = _direction(ff, a, b)
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
            excess = _evaluate(ff.ratio_excess, a, b)
            if np.any(excess > 0) and np.any(excess < 0):
                ax.contour(a, b, np.where(np.isfinite(excess), excess, np.nan), levels=[0.0],
                           colors="k", linewidths=1.6)
            ax.plot([], [], color="k", lw=1.6, label="boundary of R > 1")
            for start in starts:
                path = trajectory(ff, start)
                ax.plot(path[:, 0], path[:, 1], color="tab:green", lw=1.8)
                ax.plot([start[0]], [start[1]], "o", color="tab:green", ms=4)
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1)
            ax.set_aspect("equal")
            ax.set_xlabel(r"$x_1 = \pi(y_w\mid x)$")
            ax.set_ylabel(r"$x_2 = \pi(y_l\mid x)$")
            ax.set_title(_title(ff), fontsize=9)
            if i == 0:
                ax.legend(loc="upper left", fontsize=7, framealpha=0.85)
        for j in range(n, rows * cols):
            axes[j // cols][j % cols].set_visible(False)
        if mappable is not None:
            fig.colorbar(mappable, ax=axes.ravel().tolist(), shrink=0.85,
                         label=r"$\log R$,  $R = |\partial L/\partial x_2| / |\partial L/\partial x_1|$")
        metadata = {".png": {"Software": None},
                    ".pdf": {"Creator": None, "Producer": None, "CreationDate": None,
                             "ModDate": None},
                    ".svg": {"Date": None, "Creator": None}}[suffix]
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = output.with_name("." + output.name + ".tmp" + suffix)
        fig.savefig(tmp, dpi=150, metadata=metadata)
        tmp.replace(output)  # atomic: never half a figure
    return output

"""Figures of the velocity field dx/dt = -M grad L over (0, 1]^2 (matplotlib, optional).

In the probability frame M is the identity and the field is -grad L; in another frame
(``dpo_proofs.parametrizations``) M = J J^T and the field is the velocity that gradient
flow on the parameters induces on (x1, x2), restricted to the frame's domain.
The field, log R and the R > 1 boundary are evaluated with numpy code that
``sympy.lambdify`` generates from the derived closed forms; nothing is re-typed.
Trajectories follow the orbits of the field, integrated by classical RK4 in
arc length (the unit direction field has the same orbits and no stiffness from
|grad L| blowing up as x2 -> 0), every start stepped at once in numpy.
Output is deterministic: no dates, fixed SVG salt.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sympy as sp

from ..verdicts.engine import cached_field
from ..errors import DpoProofsError
from ..loss.loss import Loss
from ..field.frames import Parametrization, get_parametrization
from ..loss.symbols import X1, X2, x1, x2

__all__ = ["PlottingUnavailable", "FieldFunctions", "field_functions", "trajectory",
           "final_x1", "plot_fields", "plot_frames", "plot_sensitivity", "DEFAULT_FRAMES",
           "parse_trajectories", "require_matplotlib", "INSTALL_HINT"]

INSTALL_HINT = ("plotting needs matplotlib, an optional extra: pip install 'dpo_proofs[plot]' "
                "(or pip install matplotlib)")

#: Grid resolution and the smallest probability drawn (the domain is open at 0).
GRID = 160
LOW = 0.01
#: How far from the edge x1 + x2 = 1 a point may be and still count as on it (rounding).
EDGE_TOLERANCE = 1e-9


class PlottingUnavailable(DpoProofsError):
    """matplotlib is not installed."""


#: rcParams that make the saved files byte-identical from run to run.
_DETERMINISTIC = {"svg.hashsalt": "dpo_proofs", "path.simplify": True}


def _row_of_panels(n: int):
    """A figure with ``n`` square-ish panels side by side (frames, sensitivity)."""
    from matplotlib.figure import Figure  # matplotlib is optional: imported on use

    fig = Figure(figsize=(4.2 * n + 1.0, 4.6), layout="constrained")
    return fig, fig.subplots(1, n, squeeze=False)[0]


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
    """numpy callables (x1, x2) -> array, lambdified from the derived closed forms.

    ``d_x1``, ``d_x2`` are the components of M grad L (= -dx/dt) in ``frame``; ``ratio``
    is the speed ratio |dx2/dt| / |dx1/dt|; ``inside`` tests the frame's domain.
    """

    loss: Loss
    values: tuple[tuple[str, str], ...]  # the constants used, for the title
    d_x1: object
    d_x2: object
    ratio: object
    ratio_excess: object
    frame: Parametrization
    inside: object


def field_functions(loss: Loss, params: Mapping[str, object] | None = None,
                    parametrization: str | Parametrization | None = None) -> FieldFunctions:
    """Lambdify the components of M grad L, R and the R-vs-1 test in the frame (default:
    probability, M = identity) at the given (else default) constants."""
    frame = get_parametrization(parametrization or "probability")
    field = cached_field(loss, None if frame.is_identity else frame)
    bound = {p.symbol: p.default for p in loss.parameters}
    bound.update(loss.bind(params or {}))

    def fn(expr: sp.Expr):
        return sp.lambdify((x1, x2), sp.sympify(expr).subs(bound), modules="numpy")

    shown = tuple((s.name, sp.sstr(v)) for s, v in bound.items() if s in loss.expr.free_symbols)
    return FieldFunctions(loss, shown, fn(field.d_x1.closed_form), fn(field.d_x2.closed_form),
                          fn(field.ratio), fn(field.ratio_excess_expr), frame,
                          _domain_test(frame.domain))


def _domain_test(domain: sp.Basic):
    """numpy test of (0, 1]^2 intersected with the frame's domain (an edge x1 + x2 = 1 is
    met up to EDGE_TOLERANCE, since a float rarely lies on it exactly)."""
    relations = [] if domain is sp.true else (
        list(domain.args) if isinstance(domain, sp.And) else [domain])
    tests = []
    for relation in relations:
        if isinstance(relation, sp.Equality):
            gap = sp.lambdify((x1, x2), relation.lhs - relation.rhs, modules="numpy")
            tests.append(lambda a, b, gap=gap: np.abs(gap(a, b)) <= EDGE_TOLERANCE)
        else:
            tests.append(sp.lambdify((x1, x2), relation, modules="numpy"))

    def inside(a, b) -> np.ndarray:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        with np.errstate(invalid="ignore"):
            ok = (a > 0) & (a <= 1) & (b > 0) & (b <= 1)
            for test in tests:
                ok = ok & np.asarray(test(a, b), dtype=bool)
        return ok

    return inside


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


def _flow(ff: FieldFunctions, starts: np.ndarray, step: float, max_steps: int,
          record: bool = False) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """RK4 in arc length from every start at once; a start is frozen once it finishes.

    A start finishes where the next step would leave the frame's domain (or be not
    finite), or where the step straddles the set where the field vanishes (there the
    unit direction flips sign, and stepping on would only jitter across that set).
    Returns the final points, the number of steps each took, and (``record``) every
    intermediate array of points.
    """
    points = np.array(starts, dtype=float).reshape(-1, 2)
    steps = np.zeros(len(points), dtype=int)
    active = ff.inside(points[:, 0], points[:, 1])
    history = [points.copy()] if record else []

    def d(p):
        u, v = _direction(ff, p[:, 0], p[:, 1])
        return np.stack([u, v], axis=1)

    for _ in range(max_steps):
        if not active.any():
            break
        p = points[active]
        k1 = d(p)
        k2 = d(p + step / 2 * k1)
        k3 = d(p + step / 2 * k2)
        k4 = d(p + step * k3)
        with np.errstate(invalid="ignore"):
            straddle = np.min([np.sum(k1 * k, axis=1) for k in (k2, k3, k4)], axis=0) < 0
        nxt = p + step / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        moves = ~straddle & np.all(np.isfinite(nxt), axis=1) & ff.inside(nxt[:, 0], nxt[:, 1])
        index = np.flatnonzero(active)
        points[index[moves]] = nxt[moves]
        steps[index[moves]] += 1
        active[index[~moves]] = False
        if record:
            history.append(points.copy())
    return points, steps, history


def trajectory(ff: FieldFunctions, start: tuple[float, float], step: float = 0.004,
               max_steps: int = 2000) -> np.ndarray:
    """An orbit of the flow dx/dt = -M grad L from ``start`` (RK4 in arc length).

    It ends where it would leave (0, 1]^2 or the frame's domain, or reaches the set where
    the field vanishes; a start outside the domain gives that single point.
    """
    _, steps, history = _flow(ff, np.array([start], dtype=float), step, max_steps, record=True)
    return np.array([h[0] for h in history[:steps[0] + 1]])


def final_x1(ff: FieldFunctions, starts: np.ndarray, step: float = 0.004,
             max_steps: int = 2000) -> np.ndarray:
    """x1 where the flow from each start ends (it leaves the domain, stalls where the
    field vanishes, or after ``max_steps``), capped to (0, 1]; NaN for starts outside
    the frame's domain."""
    starts = np.asarray(starts, dtype=float).reshape(-1, 2)
    points, _, _ = _flow(ff, starts, step, max_steps)
    out = np.clip(points[:, 0], np.finfo(float).tiny, 1.0)
    return np.where(ff.inside(starts[:, 0], starts[:, 1]), out, np.nan)


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

    _check_format(output)
    functions = [field_functions(loss, _own_params(loss, params)) for loss in losses]
    _check_params(losses, params)
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
    with matplotlib.rc_context(_DETERMINISTIC):
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
        _save(fig, output)
    return output


def _check_format(output: Path) -> None:
    """A supported suffix and a target that may be replaced, checked before any drawing."""
    from ..files import check_target

    if output.suffix.lower() not in (".png", ".pdf", ".svg"):
        raise DpoProofsError(f"figure {output}: the format must be .png, .pdf or .svg")
    check_target(output)


def _own_params(loss: Loss, params: Mapping[str, object] | None) -> dict[str, object]:
    names = {p.name for p in loss.parameters}
    return {k: v for k, v in (params or {}).items() if k in names}


def _check_params(losses: Sequence[Loss], params: Mapping[str, object] | None) -> None:
    unknown = set(params or {}) - {p.name for l in losses for p in l.parameters}
    if unknown:
        raise DpoProofsError(f"--param {', '.join(sorted(unknown))}: no plotted variant has it")


def _save(fig, output: Path) -> None:
    """Save without dates or tool versions, atomically (never half a figure), through the
    package's one writer: rendered in memory, then written to a unique temporary file
    beside ``output`` and renamed (no fixed temporary name a symlink could be planted at;
    nothing left behind on failure)."""
    import io

    from ..files import write_atomic

    suffix = output.suffix.lower()
    metadata = {".png": {"Software": None},
                ".pdf": {"Creator": None, "Producer": None, "CreationDate": None,
                         "ModDate": None},
                ".svg": {"Date": None, "Creator": None}}[suffix]
    buffer = io.BytesIO()
    fig.savefig(buffer, format=suffix[1:], dpi=150, metadata=metadata)
    write_atomic(output, buffer.getvalue())


#: Frames drawn when none are named: the paper's, log-probabilities, softmax, its edge.
DEFAULT_FRAMES = ("probability", "log", "softmax", "softmax:2")
#: Starting points per axis of the sensitivity map (and along the edge: EDGE_SAMPLES).
SENSITIVITY_GRID = 30
EDGE_SAMPLES = 200
EDGE_ARROWS = 9
_FRAME_LABELS = {"probability": "probability frame", "log": "log frame",
                 "softmax": "softmax frame (K = 3)", "softmax:2": "softmax:2 (edge x1 + x2 = 1)"}
_AXIS_LABELS = (r"$x_1 = \pi(y_w\mid x)$", r"$x_2 = \pi(y_l\mid x)$")


def _frame_functions(loss: Loss, frames, params) -> list[FieldFunctions]:
    """One FieldFunctions per frame (names or Parametrizations; bad names raise
    InvalidArgument before anything is drawn)."""
    frames = [get_parametrization(f) for f in (frames or DEFAULT_FRAMES)]
    _check_params([loss], params)
    return [field_functions(loss, params, frame) for frame in frames]


def _on_edge(frame: Parametrization) -> bool:
    return isinstance(frame.domain, sp.Equality)


def _edge_points(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Samples of the segment x1 + x2 = 1 with both coordinates in [LOW, 1 - LOW]."""
    a = np.linspace(LOW, 1.0 - LOW, n)
    return a, 1.0 - a


def _frame_label(frame: Parametrization) -> str:
    return _FRAME_LABELS.get(frame.name, frame.name)


def _shade_outside(ax, frame: Parametrization, zorder: float = 0) -> None:
    """Grey out the part of the square outside a simplex domain x1 + x2 < 1 (or off
    the edge x1 + x2 = 1); nothing for the whole square."""
    if frame.domain is sp.true:
        return
    ax.fill([1, 1, 0], [0, 1, 1], facecolor="0.88", edgecolor="none", hatch="//",
            zorder=zorder, label="outside the frame's domain")
    ax.plot([0, 1], [1, 0], color="0.3", lw=1.0, zorder=6)  # the simplex edge x1 + x2 = 1
    if _on_edge(frame):
        ax.fill([0, 1, 0], [0, 0, 1], facecolor="0.88", edgecolor="none", hatch="//",
                zorder=zorder)


def _square_axes(ax, title: str) -> None:
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel(_AXIS_LABELS[0])
    ax.set_ylabel(_AXIS_LABELS[1])
    ax.set_title(title, fontsize=9)


def _skipped_note(ax, skipped: Sequence[tuple[float, float]]) -> None:
    if skipped:
        where = "; ".join(f"({a:g}, {b:g})" for a, b in skipped)
        ax.text(0.02, 0.02, f"outside the domain, not drawn: {where}", transform=ax.transAxes,
                fontsize=6.5, color="tab:green", zorder=10,
                bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none", "pad": 1.5})


def plot_frames(loss: Loss, frames: Sequence[str | Parametrization] | None, output: Path,
                params: Mapping[str, object] | None = None,
                starts: Sequence[tuple[float, float]] = (), grid: int = GRID) -> Path:
    """Draw the induced velocity -M grad L of one loss in each frame, side by side.

    Each panel: streamlines coloured by log of the speed ratio |dx2/dt| / |dx1/dt| (one
    scale for all panels), the diagonal, the boundary of the region ratio > 1, the frame's
    domain (outside greyed out; on the edge x1 + x2 = 1, arrows of the 1-D motion), and
    the trajectories from ``starts`` that lie in the domain (the others are listed).
    """
    matplotlib = require_matplotlib()
    from matplotlib.colors import Normalize

    _check_format(output)
    functions = _frame_functions(loss, frames, params)
    axis = np.linspace(LOW, 1.0, grid)
    a, b = np.meshgrid(axis, axis)
    edge_a, edge_b = _edge_points(EDGE_ARROWS)
    log_ratios = []
    for ff in functions:
        pa, pb = (edge_a, edge_b) if _on_edge(ff.frame) else (a, b)
        with np.errstate(all="ignore"):
            log_r = np.log(_evaluate(ff.ratio, pa, pb))
        log_ratios.append(np.where(ff.inside(pa, pb), log_r, np.nan))
    finite = np.concatenate([np.abs(r[np.isfinite(r)]).ravel() for r in log_ratios])
    vmax = float(np.percentile(finite, 98)) if finite.size else 1.0
    norm = Normalize(-max(vmax, 1e-6), max(vmax, 1e-6))  # one scale for every panel

    n = len(functions)
    with matplotlib.rc_context({**_DETERMINISTIC, "hatch.color": "0.7"}):
        fig, axes = _row_of_panels(n)
        mappable = None
        for ax, ff, log_r in zip(axes, functions, log_ratios):
            _shade_outside(ax, ff.frame)
            if _on_edge(ff.frame):
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
                path = trajectory(ff, start)
                ax.plot(path[:, 0], path[:, 1], color="tab:green", lw=1.8, zorder=7)
                ax.plot([start[0]], [start[1]], "o", color="tab:green", ms=4, zorder=7)
            _skipped_note(ax, skipped)
            _square_axes(ax, _frame_label(ff.frame))
        _figure_legend(fig, axes)
        fig.suptitle(_title(functions[0]), fontsize=10)
        if mappable is not None:
            fig.colorbar(mappable, ax=axes.tolist(), shrink=0.85,
                         label=r"$\log$ speed ratio $|dx_2/dt| \,/\, |dx_1/dt|$")
        _save(fig, output)
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
    u, v = _direction(ff, a, b)
    bad = ~(np.isfinite(u) & np.isfinite(v) & ff.inside(a, b))
    u = np.ma.array(np.where(bad, 0.0, u), mask=bad)
    v = np.ma.array(np.where(bad, 0.0, v), mask=bad)
    colour = np.ma.array(np.where(np.isfinite(log_r), log_r, 0.0), mask=~np.isfinite(log_r))
    stream = ax.streamplot(a, b, u, v, color=colour, cmap="coolwarm", norm=norm,
                           density=1.0, linewidth=0.9, arrowsize=0.9, broken_streamlines=True)
    excess = np.where(ff.inside(a, b), _evaluate(ff.ratio_excess, a, b), np.nan)
    if np.any(excess > 0) and np.any(excess < 0):
        # under the dashed diagonal: for margin losses the two coincide
        ax.contour(a, b, excess, levels=[0.0], colors="k", linewidths=1.6, zorder=4)
    return stream.lines


def _draw_edge_motion(ax, ff: FieldFunctions, edge_a, edge_b, log_r, norm):
    """The segment x1 + x2 = 1 with arrows of the 1-D motion along it, coloured like the
    streamlines; points where the ratio crosses 1 on the edge are marked."""
    ax.plot([0, 1], [1, 0], color="0.3", lw=1.2, zorder=3)
    u, v = _direction(ff, edge_a, edge_b)
    ok = np.isfinite(u) & np.isfinite(v)
    # black edges: log ratio 0 is the colour map's pale middle, invisible on the grey
    quiver = ax.quiver(edge_a[ok], edge_b[ok], u[ok], v[ok], np.nan_to_num(log_r[ok]),
                       cmap="coolwarm", norm=norm, angles="xy", scale_units="xy", scale=16,
                       width=0.011, headwidth=3.5, headlength=4, headaxislength=3.5,
                       edgecolor="k", linewidth=0.5, zorder=6,
                       pivot="middle")
    fine_a, fine_b = _edge_points(EDGE_SAMPLES)
    excess = _evaluate(ff.ratio_excess, fine_a, fine_b)
    crossing = np.flatnonzero(np.sign(excess[:-1]) * np.sign(excess[1:]) < 0)
    ax.plot(fine_a[crossing], fine_b[crossing], "o", mfc="none", mec="k", ms=8, mew=1.6,
            zorder=7)
    return quiver


def plot_sensitivity(loss: Loss, frames: Sequence[str | Parametrization] | None, output: Path,
                     params: Mapping[str, object] | None = None,
                     grid: int = SENSITIVITY_GRID) -> Path:
    """Map each start (x1_0, x2_0) in a frame's domain to the x1 where its flow ends.

    The flow dx/dt = -M grad L is integrated (RK4 in arc length, all starts at once, see
    ``final_x1``) until it leaves the domain, stalls where the field vanishes, or runs
    out of steps. On the edge x1 + x2 = 1 (softmax:2) the map is a curve over x1_0.
    """
    matplotlib = require_matplotlib()
    from matplotlib.colors import Normalize

    _check_format(output)
    functions = _frame_functions(loss, frames, params)
    axis = np.linspace(LOW, 1.0, grid)
    # cell edges for pcolormesh: the starts are the cell centres
    half = (axis[1] - axis[0]) / 2
    cells = np.concatenate([axis - half, [axis[-1] + half]])
    a, b = np.meshgrid(axis, axis)
    norm = Normalize(0.0, 1.0)
    n = len(functions)
    with matplotlib.rc_context({**_DETERMINISTIC, "hatch.color": "0.7"}):
        fig, axes = _row_of_panels(n)
        mappable = None
        for ax, ff in zip(axes, functions):
            if _on_edge(ff.frame):
                edge_a, edge_b = _edge_points(grid * 4)
                final = final_x1(ff, np.stack([edge_a, edge_b], axis=1))
                ax.plot(edge_a, final, color="0.25", lw=1.0, zorder=4)
                mappable = ax.scatter(edge_a, final, c=final, cmap="viridis", norm=norm, s=9,
                                      zorder=5)
                ax.plot([0, 1], [0, 1], ls="--", color="0.6", lw=1.0, label="final x1 = x1_0")
                ax.set_xlim(0, 1)
                ax.set_ylim(0, 1.05)
                ax.set_box_aspect(1)
                ax.set_xlabel(r"start $x_1$ on the edge ($x_2 = 1 - x_1$)")
                ax.set_ylabel(r"final $x_1$")
                ax.set_title(_frame_label(ff.frame), fontsize=9)
                ax.legend(loc="lower right", fontsize=6.5)
                continue
            final = final_x1(ff, np.stack([a.ravel(), b.ravel()], axis=1)).reshape(a.shape)
            # A cell whose centre is outside the domain but whose lower-left corner is
            # inside (it straddles the edge x1 + x2 = 1) shows the flow from that corner.
            corner = np.isnan(final) & ff.inside(a - half, b - half)
            if corner.any():
                final[corner] = final_x1(ff, np.stack([a[corner] - half, b[corner] - half],
                                                      axis=1))
            _shade_outside(ax, ff.frame, zorder=2)  # over the cells that straddle the edge
            mappable = ax.pcolormesh(cells, cells, np.ma.masked_invalid(final), cmap="viridis",
                                     norm=norm, shading="flat", zorder=1)
            ax.plot([0, 1], [0, 1], ls="--", color="0.6", lw=1.0, zorder=5)
            _square_axes(ax, _frame_label(ff.frame))
            ax.set_xlabel(r"start $x_1$")
            ax.set_ylabel(r"start $x_2$")
        fig.suptitle(_title(functions[0]) + ": where the flow ends", fontsize=10)
        if mappable is not None:
            fig.colorbar(mappable, ax=axes.tolist(), shrink=0.85, label="final x1")
        _save(fig, output)
    return output

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

from .engine import cached_field
from .errors import DpoProofsError
from .loss import Loss
from .parametrizations import Parametrization, get_parametrization
from .symbols import X1, X2, x1, x2

__all__ = ["PlottingUnavailable", "FieldFunctions", "field_functions", "trajectory",
           "final_x1", "plot_fields", "parse_trajectories", "require_matplotlib",
           "INSTALL_HINT"]

INSTALL_HINT = ("plotting needs matplotlib, an optional extra: pip install 'dpo_proofs[plot]' "
                "(or pip install matplotlib)")

#: Grid resolution and the smallest probability drawn (the domain is open at 0).
GRID = 160
LOW = 0.01
#: How far from the edge x1 + x2 = 1 a point may be and still count as on it (rounding).
EDGE_TOLERANCE = 1e-9


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

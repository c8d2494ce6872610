"""Check a user's implementation of a loss (numpy, PyTorch or JAX) against its math.

The implementation takes the signature TRL and most training code use,
``fn(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps,
**params)``, with log-probabilities log x1, log x2, log r_w, log r_l. Its value and its
gradient with respect to the policy log-probabilities (autograd for torch and JAX,
central differences otherwise) are taken to the (x1, x2) frame by the chain rule,
dL/dx = (dL/d log x) / x, and compared with the symbolic loss and partials evaluated by
mpmath at 50 digits. Torch and JAX are imported only if ``fn`` returns their arrays.
"""
from __future__ import annotations

import inspect
import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import mpmath
import numpy as np

from ..field.in_frame import field_of
from ..errors import ImplementationError, InvalidArgument, Terminated
from ..loss.loss import Loss
from ..numerics.confirm import mp_callable, to_mpf
from ..loss.symbols import x1, x2
from ..loss.names import get_variant

__all__ = ["check_implementation", "ImplementationReport"]

#: Largest relative disagreement accepted in float64 (autograd; central differences get
#: their own, looser floor since they lose about half of the digits).
RTOL_AUTOGRAD = 1e-7
RTOL_DIFFERENCES = 1e-4


@dataclass(frozen=True)
class ImplementationReport:
    """Largest disagreement with the math, where it happens, and precision findings."""

    variant: str
    framework: str
    points: int
    max_rel_error: float
    worst_point: dict[str, str]
    worst_quantity: str
    tolerance: float
    findings: tuple[str, ...] = field(default=())
    #: fn's first four parameters -> the log-probability each receives
    mapping: tuple[tuple[str, str], ...] = field(default=())
    warnings: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.max_rel_error <= self.tolerance

    def to_json(self) -> dict:
        """The report as JSON values (a non-finite error, e.g. from a NaN, as "inf")."""
        error = self.max_rel_error
        return {"variant": self.variant, "framework": self.framework, "ok": self.ok,
                "points": self.points,
                "max_rel_error": error if math.isfinite(error) else
                ("nan" if math.isnan(error) else "inf"),
                "tolerance": self.tolerance, "worst_point": self.worst_point,
                "worst_quantity": self.worst_quantity, "findings": list(self.findings),
                "mapping": dict(self.mapping), "warnings": list(self.warnings)}

    def __str__(self) -> str:
        head = (f"{self.variant} [{self.framework}]: {'agrees' if self.ok else 'DISAGREES'} "
                f"with the math on {self.points} points; max relative error "
                f"{self.max_rel_error:.3g} (tolerance {self.tolerance:g}) in "
                f"{self.worst_quantity} at " + ", ".join(f"{k}={v}" for k, v in
                                                         self.worst_point.items()))
        mapping = ", ".join(f"{k} <- {v}" for k, v in self.mapping)
        shown = ([f"  arguments: {mapping}"] if mapping else []) + \
            ["  warning: " + w for w in self.warnings] + ["  " + f for f in self.findings[:6]]
        if len(self.findings) > 6:
            shown.append(f"  ... {len(self.findings) - 6} more precision findings (to_json())")
        return "\n".join([head, *shown])


#: What each of the four log-probabilities is called in TRL's order.
ROLES = ("log x1 (policy, chosen)", "log x2 (policy, rejected)",
         "log r_w (reference, chosen)", "log r_l (reference, rejected)")


def _role(name: str) -> int | None:
    """Which log-probability a parameter name denotes, if its words say so unambiguously."""
    n = name.lower()
    ref = any(w in n for w in ("ref", "reference", "old", "base"))
    chosen = any(w in n for w in ("chosen", "chos", "win", "pref", "good", "pos")) and \
        "unpref" not in n and "dispref" not in n
    rejected = any(w in n for w in ("reject", "rej", "los", "dispref", "unpref", "bad", "neg"))
    if n.endswith("_w") and not rejected:
        chosen = True
    if n.endswith("_l") and not chosen:
        rejected = True
    if chosen == rejected:
        return None
    return (2 if ref else 0) + (0 if chosen else 1)


def argument_order(names: list[str]) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """The order in which to pass (log x1, log x2, log r_w, log r_l) to parameters named
    ``names``, and warnings. TRL's order is kept unless the four names each denote a
    different log-probability and say another order; then that order is used, with a
    warning (a function taking (chosen, ref_chosen, rejected, ref_rejected) gets them so)."""
    roles = [_role(n) for n in names[:4]]
    if len(names) < 4 or None in roles or sorted(roles) != [0, 1, 2, 3]:
        unclear = [n for n, r in zip(names, roles) if r is None]
        notes = ((f"could not tell from the names {', '.join(unclear)} which log-probability "
                  "each is; TRL's order is assumed",) if unclear and len(names) >= 4 else ())
        return (0, 1, 2, 3), notes
    if roles == [0, 1, 2, 3]:
        return (0, 1, 2, 3), ()
    return tuple(roles), (f"the parameter names say the order ({', '.join(names[:4])}), "
                          "not TRL's (policy_chosen, policy_rejected, ref_chosen, "
                          "ref_rejected): the arguments are passed by their names' meaning",)


def _points(n: int, seed: int) -> list[dict[str, float]]:
    """Agreement points: moderate probabilities, both orders of x1, x2, and ties."""
    rng = random.Random(seed)
    out = [{"x1": 0.6, "x2": 0.3, "r_w": 0.5, "r_l": 0.5},
           {"x1": 0.3, "x2": 0.6, "r_w": 0.4, "r_l": 0.7},
           {"x1": 0.45, "x2": 0.45, "r_w": 0.5, "r_l": 0.5}]
    while len(out) < n:
        out.append({k: 10 ** rng.uniform(-3, 0) for k in ("x1", "x2", "r_w", "r_l")})
    return out


#: Stress points: large margins and tiny probabilities, for precision findings only.
_STRESS = [{"x1": 0.9, "x2": 1e-30, "r_w": 0.5, "r_l": 0.5},
           {"x1": 1e-30, "x2": 0.9, "r_w": 0.5, "r_l": 0.5},
           {"x1": 0.99, "x2": 1e-200, "r_w": 0.5, "r_l": 0.5}]


def _framework(fn: Callable) -> str:
    """torch or jax if ``fn``'s module uses them (they are never imported here), else numpy."""
    names = {getattr(v, "__name__", "").split(".")[0]
             for v in getattr(fn, "__globals__", {}).values()}
    for framework in ("torch", "jax"):
        if framework in names:
            return framework
    return "numpy"


def _call(fn, logs, kwargs):
    out = fn(*logs, **kwargs)
    out = out[0] if isinstance(out, tuple) and out else out
    _check_output(out)
    return out


class _BadOutput(TypeError):
    """The implementation returned something that is not real numbers."""


def _check_output(out) -> None:
    """Refuse None, strings, complex numbers and non-numeric arrays before summing them."""
    if out is None or isinstance(out, (str, bytes, bool, complex)):
        raise _BadOutput(f"returned {type(out).__name__} {out!r:.40}, not a real number or array")
    dtype = getattr(out, "dtype", None)
    if dtype is None:
        if not isinstance(out, (int, float, np.floating, np.integer)):
            raise _BadOutput(f"returned {type(out).__name__}, not a real number or array")
        return
    name = str(dtype)
    if "complex" in name or (isinstance(dtype, np.dtype) and dtype.kind not in "fiu"):
        raise _BadOutput(f"returned an array of {name}, not of real numbers")


def _torch_eval(fn, logs, kwargs, dtype_name):
    import torch

    dtype = getattr(torch, dtype_name)
    args = [torch.tensor([v], dtype=dtype, requires_grad=i < 2) for i, v in enumerate(logs)]
    value = _call(fn, args, kwargs).sum()
    g1, g2 = torch.autograd.grad(value, args[:2], allow_unused=True)
    grad = [0.0 if g is None else float(g.sum()) for g in (g1, g2)]
    return float(value.detach()), grad


def _jax_eval(fn, logs, kwargs, dtype_name):
    import jax
    import jax.numpy as jnp

    dtype = getattr(jnp, dtype_name)

    def total(a, b):
        return _call(fn, [a, b, jnp.asarray([logs[2]], dtype), jnp.asarray([logs[3]], dtype)],
                     kwargs).sum()

    a, b = jnp.asarray([logs[0]], dtype), jnp.asarray([logs[1]], dtype)
    value, grads = jax.value_and_grad(total, argnums=(0, 1))(a, b)
    return float(value), [float(g.sum()) for g in grads]


def _numpy_eval(fn, logs, kwargs, dtype_name):
    dtype = getattr(np, dtype_name)

    def total(values):
        with np.errstate(all="ignore"):
            return float(np.sum(_call(fn, [np.asarray([v], dtype=dtype) for v in values],
                                      kwargs)))

    value = total(logs)
    grad = []
    for i in (0, 1):
        h = 1e-5 * max(1.0, abs(logs[i]))  # central difference in log x
        up, down = list(logs), list(logs)
        up[i] += h
        down[i] -= h
        grad.append((total(up) - total(down)) / (2 * h))
    return value, grad


_EVALUATORS = {"torch": _torch_eval, "jax": _jax_eval, "numpy": _numpy_eval}


def _rel(a: float, b) -> float:
    if not math.isfinite(a):
        return math.inf
    b = float(b)
    scale = max(abs(b), 1e-300)
    return abs(a - b) / scale


def check_implementation(fn: Callable, loss: Loss | str,
                         params: Mapping[str, object] | None = None,
                         n_points: int = 24, seed: int = 0,
                         framework: str | None = None) -> ImplementationReport:
    """Compare ``fn``'s loss and (x1, x2)-gradient with the symbolic ones at ``n_points``.

    ``params`` fix the variant's constants (defaults otherwise); those that ``fn``
    accepts as keyword arguments are passed to it. ``framework`` ('torch', 'jax',
    'numpy') defaults to the one ``fn``'s module imports.
    """
    loss = get_variant(loss) if isinstance(loss, str) else loss
    if not callable(fn):
        raise InvalidArgument(f"{fn!r} is not callable")
    values = {p.name: p.default for p in loss.parameters}
    for name, value in (params or {}).items():
        values[name] = loss.parameter(name).validate(value)
    label = getattr(fn, "__qualname__", None) or repr(fn)
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # a builtin without a signature: called as it is
        signature = None
    if signature is not None:
        try:
            signature.bind(0.0, 0.0, 0.0, 0.0)
        except TypeError as error:
            raise ImplementationError(
                f"{label}{signature} cannot be called as (policy_chosen_logps, "
                f"policy_rejected_logps, ref_chosen_logps, ref_rejected_logps): {error}",
                "TypeError") from None
    accepted = signature.parameters if signature is not None else {}
    positional = [n for n, p in accepted.items()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    order, warnings = argument_order(positional)
    mapping = tuple((positional[i], ROLES[order[i]]) for i in range(min(4, len(positional))))

    def call(*logs, **kw):  # fn's i-th parameter receives the log-probability it denotes
        return fn(*[logs[order[i]] for i in range(4)], **kw)
    takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in accepted.values())
    kwargs = {k: float(v) for k, v in values.items()
              if k not in ("r_w", "r_l") and (k in accepted or takes_kwargs)}
    field_ = field_of(loss)
    symbols = [x1, x2, *[p.symbol for p in loss.parameters]]
    exact = {name: mp_callable(expr, symbols) for name, expr in
             (("loss", loss.elementary), ("d_x1", field_.d_x1.closed_form),
              ("d_x2", field_.d_x2.closed_form))}

    def reference(point):
        args = [mpmath.mpf(point["x1"]), mpmath.mpf(point["x2"])]
        for p in loss.parameters:
            args.append(mpmath.mpf(point[p.name]) if p.name in ("r_w", "r_l")
                        else to_mpf(values[p.name]))
        with mpmath.workdps(50):
            return {k: f(*args) for k, f in exact.items()}

    framework = framework or _framework(fn)
    if framework not in _EVALUATORS:
        raise InvalidArgument(f"framework must be one of {sorted(_EVALUATORS)}")

    def implementation(point, dtype_name, framework):
        logs = [math.log(point[k]) for k in ("x1", "x2", "r_w", "r_l")]
        where = ", ".join(f"{k}={v:g}" for k, v in point.items())
        try:
            value, (g1, g2) = _EVALUATORS[framework](call, logs, kwargs, dtype_name)
        except Terminated:
            raise
        except SystemExit as error:  # the user's sys.exit must not end check-impl silently
            raise ImplementationError(f"{label} called sys.exit({error.code!r}) at {where} "
                                      f"({dtype_name})", "SystemExit") from None
        except _BadOutput as error:
            raise ImplementationError(f"{label} {error} at {where} ({dtype_name})",
                                      "TypeError") from None
        except (MemoryError, KeyboardInterrupt):
            raise
        except Exception as error:  # noqa: BLE001 - the user's code: any failure is reported
            message = str(error).strip().splitlines()[0] if str(error).strip() else ""
            raise ImplementationError(
                f"{label} raised {type(error).__name__}"
                + (f": {message[:200]}" if message else "") + f" at {where} ({dtype_name})",
                type(error).__name__) from None
        return framework, {"loss": value, "d_x1": g1 / point["x1"], "d_x2": g2 / point["x2"]}

    worst, worst_point, worst_q = 0.0, {}, ""
    points = _points(n_points, seed)
    for point in points:
        ref = reference(point)
        _, got = implementation(point, "float64", framework)
        for q in ("loss", "d_x1", "d_x2"):
            err = _rel(got[q], ref[q])
            if err > worst or worst_q == "":
                worst, worst_point, worst_q = err, {k: repr(v) for k, v in point.items()}, q
    findings: list[str] = []
    tolerance = RTOL_DIFFERENCES if framework == "numpy" else RTOL_AUTOGRAD
    # After a disagreement the precision probes would list the same bug again: skip them.
    for dtype_name in ("float64", "float32") if worst <= tolerance else ():
        for point in _STRESS + points[:3]:
            ref = reference(point)
            try:
                _, got = implementation(point, dtype_name, framework)
            except ImplementationError as error:
                # precision trouble at a stress point is a finding; anything else is not
                if error.kind not in ("OverflowError", "ValueError", "ZeroDivisionError",
                                      "FloatingPointError"):
                    raise
                findings.append(f"{dtype_name} raises {error.kind} at {point}")
                continue
            for q in ("loss", "d_x1", "d_x2"):
                err = _rel(got[q], ref[q])
                if err > (1e-3 if dtype_name == "float32" else 1e-6):
                    findings.append(
                        f"{dtype_name}: {q} = {got[q]!r} vs {mpmath.nstr(ref[q], 12)} "
                        f"(relative error {err:.3g}) at " +
                        ", ".join(f"{k}={v:g}" for k, v in point.items()))
    return ImplementationReport(loss.name, framework, len(points), worst, worst_point,
                                worst_q, tolerance, tuple(findings), mapping, warnings)

"""Training runs that confirm the derived dynamics: small real models, TRL-style losses.

For a model with parameters theta trained by gradient descent with step eta on a loss of
the two log-probabilities u = (log pi(y_w), log pi(y_l)), one step changes u by

    Delta u = eta * (v_w, v_l) + O(eta^2),   (v_w, v_l) = -G grad_u L,

with G the Gram matrix of grad_theta u_w, grad_theta u_l. The package's derived
velocities (``field.gram``: v_w = a*s_w - c*s_l, v_l = c*s_w - b*s_l, closed forms from the
catalogue's loss) are evaluated at the measured x and G and compared with the real step
taken by autograd on an independent TRL-style implementation (``trl_losses``). The same
step is also taken with eta/2 from the same parameters: the residual of a first-order
prediction must shrink about 4x (it is O(eta^2)).

Models (all CPU, float64, seconds): ``tabular`` (softmax over K logits), ``shared``
(logits = W h with W and h trained: shared features, Razin et al.'s unconstrained
features), ``tokens`` (three-token sequences whose probability is a product of token
probabilities; y_w and y_l share their first two tokens).
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

import sympy as sp

from ..errors import InvalidArgument
from ..field.gram import CASES, gram_dynamics
from ..field.model_gram import ModelGram, shared_features, tabular, token_sequences
from ..loss.names import get_variant
from ..loss.symbols import GRAM_PARAMETERS, r_l, r_w, x1, x2

__all__ = ["TrainingReport", "StepRecord", "train_check", "MODELS"]

MODELS = ("tabular", "shared", "tokens")
#: the token model's y_w and y_l: three tokens, the first two shared
TOKENS = ((0, 1, 2), (0, 1, 3))


@dataclass(frozen=True)
class StepRecord:
    """One step: the state, the Gram entries measured by autograd, predicted and real
    changes of (u_w, u_l), and the relative residual at eta and at eta/2."""

    step: int
    x: tuple[float, float]
    gram: tuple[float, float, float]        # a, b, c
    predicted: tuple[float, float]          # eta * (v_w, v_l)
    actual: tuple[float, float]
    residual: float                         # |actual - predicted| / |predicted|
    residual_half: float                    # the same with eta/2
    gram_derived: tuple[float, float, float] | None = None   # field.model_gram's a, b, c

    @property
    def predicted_case(self) -> str:
        return _case(self.predicted)

    @property
    def observed_case(self) -> str:
        return _case(self.actual)


def _case(d: tuple[float, float]) -> str:
    signs = (1 if d[0] > 0 else -1, 1 if d[1] > 0 else -1)
    return next(k for k, v in CASES.items() if v == signs)


@dataclass(frozen=True)
class TrainingReport:
    variant: str
    model: str
    implementation: str
    lr: float
    seed: int
    constants: tuple[tuple[str, str], ...]
    records: tuple[StepRecord, ...]

    @property
    def residual(self) -> float:
        """Median relative residual of the first-order prediction at eta."""
        return statistics.median(r.residual for r in self.records)

    @property
    def residual_half(self) -> float:
        return statistics.median(r.residual_half for r in self.records)

    @property
    def order_ratio(self) -> float:
        """|actual - predicted| at eta over the same at eta/2 (medians): about 4 when the
        prediction is right to first order (the error is O(eta^2)), about 2 if it were
        off at first order. (The predicted change itself halves with eta.)"""
        return 2 * self.residual / self.residual_half if self.residual_half else math.inf

    @property
    def finite(self) -> bool:
        """Every measured quantity a float64 number (a step size too large for the loss's
        gradients -- sppo_hard's 1/beta = 1000 at the default -- leaves the range)."""
        return all(math.isfinite(v) for r in self.records
                   for v in (*r.x, *r.gram, *r.predicted, *r.actual))

    @property
    def confirmed(self) -> bool:
        """First order confirmed: the residual ratio near 4, or a residual at rounding
        level (then the prediction is exact to float64 and the ratio says nothing); and
        the derived Gram entries, where the model has them, equal autograd's to 1e-9."""
        if not self.finite or not self.records:
            return False
        if self.gram_error is not None and not self.gram_error < 1e-9:
            return False   # the derived Gram entries are not the model's
        return 3.5 <= self.order_ratio <= 4.5 or self.residual < 1e-9

    @property
    def gram_error(self) -> float | None:
        """Largest relative difference between the Gram entries derived symbolically
        (``field.model_gram``) and those measured by autograd, over the run; None where
        the model has no derived entries."""
        pairs = [(r.gram_derived, r.gram) for r in self.records if r.gram_derived]
        if not pairs:
            return None
        return max(abs(d - m) / max(abs(v) for v in measured)
                   for derived, measured in pairs for d, m in zip(derived, measured))

    @property
    def cases_agree(self) -> int:
        return sum(r.predicted_case == r.observed_case for r in self.records)

    def observed(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.records:
            out[r.observed_case] = out.get(r.observed_case, 0) + 1
        return out

    def to_json(self) -> dict:
        return {"variant": self.variant, "model": self.model,
                "implementation": self.implementation, "lr": self.lr, "seed": self.seed,
                "constants": dict(self.constants), "median_residual": self.residual,
                "median_residual_half_step": self.residual_half,
                "order_ratio": self.order_ratio, "confirmed": self.confirmed,
                "finite": self.finite, "cases_agree": self.cases_agree,
                "gram_derived_vs_autograd": self.gram_error,
                "steps": len(self.records), "observed_cases": self.observed(),
                "records": [{"step": r.step, "x": r.x, "gram": r.gram,
                             "gram_derived": r.gram_derived,
                             "predicted": r.predicted, "actual": r.actual,
                             "residual": r.residual, "residual_half": r.residual_half,
                             "predicted_case": r.predicted_case,
                             "observed_case": r.observed_case} for r in self.records]}


def _derived_gram(name: str, K: int) -> ModelGram | None:
    """The model's Gram entries derived symbolically (its parameters flattened in the
    order torch flattens them), where the model is a softmax of logits."""
    return {"tabular": lambda: tabular(K), "shared": lambda: shared_features(K, 3),
            "tokens": lambda: token_sequences(K, *TOKENS)}.get(
        name, lambda: None)()


def _model(name: str, seed: int, K: int):
    """(parameters, logps(params) -> (u_w, u_l)) for a model."""
    from .trl_losses import torch
    g = torch.Generator().manual_seed(seed)
    dt = torch.float64
    if name == "tabular":
        z = (0.5 * torch.randn(K, generator=g, dtype=dt)).requires_grad_()

        def logps(p):
            lp = torch.log_softmax(p[0], 0)
            return lp[0], lp[1]
        return [z], logps
    if name == "shared":
        W = (0.7 * torch.randn(K, 3, generator=g, dtype=dt)).requires_grad_()
        h = (0.7 * torch.randn(3, generator=g, dtype=dt)).requires_grad_()

        def logps(p):
            lp = torch.log_softmax(p[0] @ p[1], 0)
            return lp[0], lp[1]
        return [W, h], logps
    if name == "tokens":
        table = (0.5 * torch.randn(3, K, generator=g, dtype=dt)).requires_grad_()
        bias = (0.5 * torch.randn(K, generator=g, dtype=dt)).requires_grad_()
        y_w, y_l = TOKENS

        def logps(p):
            lp = torch.log_softmax(p[0] + p[1], 1)
            return (sum(lp[t, y_w[t]] for t in range(3)),
                    sum(lp[t, y_l[t]] for t in range(3)))
        return [table, bias], logps
    raise InvalidArgument(f"unknown model {name!r}: use {', '.join(MODELS)}")


def train_check(variant: str, model: str = "tabular", steps: int = 20, lr: float = 0.05,
                seed: int = 0, K: int = 5, params: dict | None = None) -> TrainingReport:
    """Train ``model`` on the TRL-style ``variant`` and compare each step with the
    derived velocities (see the module docstring)."""
    # torch is imported here, not with the module: the CLI loads this module for every
    # command, and importing torch costs about a second
    from .trl_losses import TRL_STYLE, torch

    if torch is None:
        raise InvalidArgument("train-check needs torch: pip install torch==2.13.0 (the CPU "
                              "wheel)")
    loss = get_variant(variant)
    impl = TRL_STYLE.get(loss.name)
    if impl is None:
        raise InvalidArgument(f"no TRL-style implementation of {loss.name} for training "
                              f"runs; available: {', '.join(sorted(TRL_STYLE))}")
    if model not in MODELS:
        raise InvalidArgument(f"unknown model {model!r}: use {', '.join(MODELS)}")
    if not (0 < lr <= 1) or not (1 <= steps <= 10000) or not (4 <= K <= 64):
        raise InvalidArgument("need 0 < lr <= 1, 1 <= steps <= 10000, 4 <= K <= 64")
    values = {p.name: p.validate(p.default) for p in loss.parameters}
    values.update({k: loss.parameter(k).validate(v) for k, v in (params or {}).items()})
    consts = {k: float(v) for k, v in values.items() if k not in ("r_w", "r_l")}
    g = gram_dynamics(loss)
    bound = {loss.parameter(k).symbol: v for k, v in values.items() if k not in ("r_w", "r_l")}
    a, b, c = (p.symbol for p in GRAM_PARAMETERS)
    args = (x1, x2, r_w, r_l, a, b, c)
    v_fn = sp.lambdify(args, [g.v_w.subs(bound), g.v_l.subs(bound)], "mpmath")

    theta, logps = _model(model, seed, K)
    derived = _derived_gram(model, K)
    gram_at = derived.evaluator() if derived is not None else None
    with torch.no_grad():
        ref_w, ref_l = (t.detach().clone() for t in logps(theta))
    ref = (math.exp(ref_w.item()), math.exp(ref_l.item()))
    records = []
    for step in range(steps):
        u_w, u_l = logps(theta)
        g_w = torch.cat([t.flatten() for t in torch.autograd.grad(u_w, theta,
                                                                  retain_graph=True)])
        g_l = torch.cat([t.flatten() for t in torch.autograd.grad(u_l, theta,
                                                                  retain_graph=True)])
        G = (float(g_w @ g_w), float(g_l @ g_l), float(g_w @ g_l))
        L = impl(u_w, u_l, ref_w, ref_l, **consts)
        grads = torch.autograd.grad(L, theta)
        x = (math.exp(u_w.item()), math.exp(u_l.item()))
        v = [float(e) for e in v_fn(*x, *ref, *G)]
        residuals, new = [], None
        for h in (lr, lr / 2):
            with torch.no_grad():
                moved = [t - h * d for t, d in zip(theta, grads)]
                w2, l2 = logps(moved)
            actual = (w2.item() - u_w.item(), l2.item() - u_l.item())
            pred = (h * v[0], h * v[1])
            norm = math.hypot(*pred)
            residuals.append(math.hypot(actual[0] - pred[0], actual[1] - pred[1]) /
                             norm if norm else math.inf)
            if new is None:
                new, first = moved, (pred, actual)
        flat = [float(v) for t in theta for v in t.detach().flatten()]
        records.append(StepRecord(step, x, G, first[0], first[1], *residuals,
                                  gram_at(*flat) if gram_at else None))
        theta = [t.detach().requires_grad_() for t in new]
    return TrainingReport(loss.name, model, f"{impl.__module__}.{impl.__name__}", lr, seed,
                          tuple((k, str(v)) for k, v in values.items()), tuple(records))

"""The Gram entries of a softmax model, derived: a, b, c as functions of its parameters.

A model whose responses' probabilities are a softmax of logits z(theta),
pi_i = exp(z_i) / sum_j exp(z_j), has u_i = log pi_i = z_i - log sum_j exp(z_j), so by
the chain rule (d log-sum-exp / dz_j = pi_j)

    grad_theta u_i = grad_theta z_i - sum_j pi_j grad_theta z_j,

and the Gram entries of ``field.gram`` are a = |grad u_w|^2, b = |grad u_l|^2,
c = <grad u_w, grad u_l>. They are derived here from the logits by sympy.diff, with each
pi_j kept as a symbol p_j (so the entries read as the papers write them), for

* ``tabular(K)``: z = theta, one free logit per response (the softmax frames' model):
  a = 1 - 2 p_w + sum p_j^2, c = sum p_j^2 - p_w - p_l;
* ``shared_features(K, d)``: z = W h with W (K x d) and h (d) both trained (shared
  features: Razin et al.'s unconstrained features), where the entries depend on the
  features as well as on the probabilities.

The model's own symbols are the package's input, not its answer: the entries are
derived from them at run time, and ``at`` evaluates them at a point of the parameters.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sympy as sp

from ..errors import InvalidArgument

__all__ = ["ModelGram", "model_gram", "tabular", "shared_features", "MAX_LOGITS"]

#: the largest model derived symbolically (K logits, K*d + d parameters): a count, so
#: the work is bounded the same on every machine
MAX_LOGITS, MAX_FEATURES = 16, 8


@dataclass(frozen=True)
class ModelGram:
    """A softmax model and its derived Gram entries.

    ``logits`` are z_1..z_K in ``params``; ``probs`` the symbols p_1..p_K standing for
    softmax(z); responses ``w`` and ``l`` (indices) are y_w and y_l; ``a, b, c`` the
    derived entries in ``params`` and ``probs``.
    """

    name: str
    logits: tuple[sp.Expr, ...]
    params: tuple[sp.Symbol, ...]
    probs: tuple[sp.Symbol, ...]
    w: int
    l: int
    a: sp.Expr
    b: sp.Expr
    c: sp.Expr

    def evaluator(self):
        """A function of the parameters' values (in ``params`` order) returning (a, b, c),
        the probabilities computed as the softmax of the logits at the same values."""
        import math

        entries = sp.lambdify([*self.params, *self.probs], [self.a, self.b, self.c], "math")
        logits = sp.lambdify(list(self.params), list(self.logits), "math")

        def evaluate(*values: float) -> tuple[float, float, float]:
            z = logits(*values)
            top = max(z)
            e = [math.exp(v - top) for v in z]
            total = sum(e)
            return tuple(entries(*values, *(v / total for v in e)))
        return evaluate

    def at(self, values: Mapping[str, float]) -> tuple[float, float, float]:
        """(a, b, c) at parameter values (by the names of ``params``)."""
        missing = [p.name for p in self.params if p.name not in values]
        if missing:
            raise InvalidArgument(f"no value for {', '.join(missing)}")
        return self.evaluator()(*(float(values[p.name]) for p in self.params))


def model_gram(name: str, logits: Sequence[sp.Expr], params: Sequence[sp.Symbol],
               w: int = 0, l: int = 1) -> ModelGram:
    """The Gram entries of softmax(``logits``) for responses ``w`` and ``l``, derived by
    the chain rule above (each derivative of a logit by sympy.diff)."""
    K = len(logits)
    if not 2 <= K <= MAX_LOGITS or not (0 <= w < K and 0 <= l < K and w != l):
        raise InvalidArgument(f"a softmax model needs 2 to {MAX_LOGITS} logits and two "
                              "different responses among them")
    probs = tuple(sp.Symbol(f"p_{j + 1}", positive=True) for j in range(K))
    jac = [[sp.diff(z, t) for t in params] for z in logits]

    def grad_u(i: int) -> list[sp.Expr]:
        return [jac[i][k] - sum(probs[j] * jac[j][k] for j in range(K))
                for k in range(len(params))]

    gw, gl = grad_u(w), grad_u(l)
    a, b, c = (sp.expand(sum(p * q for p, q in zip(u, v)))
               for u, v in ((gw, gw), (gl, gl), (gw, gl)))
    return ModelGram(name, tuple(logits), tuple(params), probs, w, l, a, b, c)


def tabular(K: int) -> ModelGram:
    """softmax over K free logits theta_1..theta_K (y_w, y_l the first two)."""
    _check(K, 1)
    theta = sp.symbols(f"theta_1:{K + 1}", real=True)
    return model_gram(f"tabular:{K}", list(theta), list(theta))


def shared_features(K: int, d: int) -> ModelGram:
    """softmax of z = W h, W (K x d) and h (d) all trained (y_w, y_l the first two)."""
    _check(K, d)
    W = sp.Matrix(K, d, lambda i, k: sp.Symbol(f"W_{i + 1}{k + 1}", real=True))
    h = sp.Matrix(d, 1, lambda k, _: sp.Symbol(f"h_{k + 1}", real=True))
    z = W * h
    return model_gram(f"shared:{K}x{d}", list(z), [*W, *h])


def _check(K: int, d: int) -> None:
    if not (2 <= K <= MAX_LOGITS and 1 <= d <= MAX_FEATURES):
        raise InvalidArgument(f"need 2 <= K <= {MAX_LOGITS} responses and 1 <= d <= "
                              f"{MAX_FEATURES} features")

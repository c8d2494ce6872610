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
  features as well as on the probabilities;
* ``token_sequences(K, y_w, y_l)``: sequences whose probability is the product of their
  tokens' (a softmax per position), u = sum_t log pi_t(y_t), so grad u sums the
  positions' terms and responses that share a prefix share those terms.

The model's own symbols are the package's input, not its answer: the entries are
derived from them at run time, and ``at`` evaluates them at a point of the parameters.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sympy as sp

from ..errors import InvalidArgument

__all__ = ["ModelGram", "model_gram", "tabular", "shared_features", "token_sequences",
           "MAX_LOGITS"]

#: the largest model derived symbolically (K logits, K*d + d parameters): a count, so
#: the work is bounded the same on every machine
MAX_LOGITS, MAX_FEATURES, MAX_POSITIONS = 16, 8, 8


@dataclass(frozen=True)
class ModelGram:
    """A softmax model and its derived Gram entries.

    ``logits[t]`` are the logits z_{t,1..K} of position t (one position: a softmax over
    responses; several: a sequence whose probability is the product of its tokens'),
    in ``params``; ``probs[t]`` the symbols p_{t,j} standing for softmax(z_t); the
    responses ``w`` and ``l`` are the token indices of y_w and y_l at each position;
    ``a, b, c`` the derived entries in ``params`` and ``probs``.
    """

    name: str
    logits: tuple[tuple[sp.Expr, ...], ...]
    params: tuple[sp.Symbol, ...]
    probs: tuple[tuple[sp.Symbol, ...], ...]
    w: tuple[int, ...]
    l: tuple[int, ...]
    a: sp.Expr
    b: sp.Expr
    c: sp.Expr

    def evaluator(self):
        """A function of the parameters' values (in ``params`` order) returning (a, b, c),
        the probabilities computed as the softmax of the logits at the same values."""
        import math

        flat = [q for row in self.probs for q in row]
        entries = sp.lambdify([*self.params, *flat], [self.a, self.b, self.c], "math")
        logits = sp.lambdify(list(self.params), [list(row) for row in self.logits], "math")

        def softmax(z: list[float]) -> list[float]:
            top = max(z)
            e = [math.exp(v - top) for v in z]
            return [v / sum(e) for v in e]

        def evaluate(*values: float) -> tuple[float, float, float]:
            p = [q for row in logits(*values) for q in softmax(list(row))]
            return tuple(entries(*values, *p))
        return evaluate

    def at(self, values: Mapping[str, float]) -> tuple[float, float, float]:
        """(a, b, c) at parameter values (by the names of ``params``)."""
        missing = [p.name for p in self.params if p.name not in values]
        if missing:
            raise InvalidArgument(f"no value for {', '.join(missing)}")
        return self.evaluator()(*(float(values[p.name]) for p in self.params))


def model_gram(name: str, logits: Sequence[Sequence[sp.Expr]], params: Sequence[sp.Symbol],
               w: Sequence[int], l: Sequence[int]) -> ModelGram:
    """The Gram entries of a product of softmaxes: u = sum_t log softmax(z_t)[y_t] for
    y = ``w`` and ``l``, derived by the chain rule above (each derivative of a logit by
    sympy.diff)."""
    T = len(logits)
    K = len(logits[0]) if T else 0
    if not (1 <= T <= MAX_POSITIONS and 2 <= K <= MAX_LOGITS) or \
            any(len(row) != K for row in logits) or len(w) != T or len(l) != T or \
            not all(0 <= i < K for i in (*w, *l)) or tuple(w) == tuple(l):
        raise InvalidArgument(f"a softmax model needs 1 to {MAX_POSITIONS} positions of 2 to "
                              f"{MAX_LOGITS} logits and two different responses")
    probs = tuple(tuple(sp.Symbol(f"p_{j + 1}" if T == 1 else f"p_{t + 1}_{j + 1}",
                                  positive=True) for j in range(K)) for t in range(T))
    jac = [[[sp.diff(z, v) for v in params] for z in row] for row in logits]

    def grad_u(y: Sequence[int]) -> list[sp.Expr]:
        return [sum(jac[t][y[t]][k] - sum(probs[t][j] * jac[t][j][k] for j in range(K))
                    for t in range(T)) for k in range(len(params))]

    gw, gl = grad_u(w), grad_u(l)
    a, b, c = (sp.expand(sum(p * q for p, q in zip(u, v)))
               for u, v in ((gw, gw), (gl, gl), (gw, gl)))
    return ModelGram(name, tuple(tuple(row) for row in logits), tuple(params), probs,
                     tuple(w), tuple(l), a, b, c)


def tabular(K: int) -> ModelGram:
    """softmax over K free logits theta_1..theta_K (y_w, y_l the first two)."""
    _check(K, 1)
    theta = sp.symbols(f"theta_1:{K + 1}", real=True)
    return model_gram(f"tabular:{K}", [list(theta)], list(theta), (0,), (1,))


def shared_features(K: int, d: int) -> ModelGram:
    """softmax of z = W h, W (K x d) and h (d) all trained (y_w, y_l the first two)."""
    _check(K, d)
    W = sp.Matrix(K, d, lambda i, k: sp.Symbol(f"W_{i + 1}{k + 1}", real=True))
    h = sp.Matrix(d, 1, lambda k, _: sp.Symbol(f"h_{k + 1}", real=True))
    z = W * h
    return model_gram(f"shared:{K}x{d}", [list(z)], [*W, *h], (0,), (1,))


def token_sequences(K: int, y_w: Sequence[int], y_l: Sequence[int]) -> ModelGram:
    """Sequences of len(y_w) tokens from a vocabulary of K, token t drawn from
    softmax(T_t + bias) with a table T (one row per position) and a shared bias, all
    trained: pi(y) = prod_t pi_t(y_t), so u = sum_t log softmax(T_t + bias)[y_t]."""
    n = len(y_w)
    _check(K, 1)
    table = sp.Matrix(n, K, lambda t, j: sp.Symbol(f"T_{t + 1}{j + 1}", real=True))
    bias = [sp.Symbol(f"bias_{j + 1}", real=True) for j in range(K)]
    logits = [[table[t, j] + bias[j] for j in range(K)] for t in range(n)]
    return model_gram(f"tokens:{n}x{K}", logits, [*table, *bias], y_w, y_l)


def _check(K: int, d: int) -> None:
    if not (2 <= K <= MAX_LOGITS and 1 <= d <= MAX_FEATURES):
        raise InvalidArgument(f"need 2 <= K <= {MAX_LOGITS} responses and 1 <= d <= "
                              f"{MAX_FEATURES} features")

"""Parametrizations: how the model's parameters produce (x1, x2), and the metric they induce.

A model moves parameters theta, not probabilities. For x = x(theta) with Jacobian
J = dx/dtheta, gradient flow d theta/dt = -grad_theta L = -J^T grad_x L induces

    dx/dt = -J J^T grad_x L = -M(x) grad_x L,

so the velocity on (x1, x2) is the probability-frame gradient multiplied by the 2x2
matrix M = J J^T. Each parametrization here derives M from its map x(theta) (sympy
differentiates the map; nothing is typed in) and re-expresses it in x1, x2 through
a chart theta(x) that picks one parameter point over each (x1, x2).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import sympy as sp

from .canonical import canonical
from .user_frames import user_map
from ..errors import InvalidArgument
from ..loss.symbols import GRAM_PARAMETERS, Parameter, x1, x2

__all__ = ["Parametrization", "get_parametrization", "parametrization_names", "gram_entries",
           "GENERAL_FRAMES",
           "user_parametrization", "BUILTIN_PARAMETRIZATIONS", "zero_rest_limit"]

#: Frames shown side by side in tables and documents (softmax:2 is the zero-rest limit).
BUILTIN_PARAMETRIZATIONS = ("probability", "log", "softmax", "softmax:2")
#: Frames with constants of their own (the Gram entries), accepted wherever a frame is.
GENERAL_FRAMES = ("gram",)


@dataclass(frozen=True)
class Parametrization:
    """x(theta): the map, the chart theta(x), the frame's domain and the metric M = J J^T.

    ``metric`` is M as a function of (x1, x2); ``domain`` is the set of (x1, x2) the
    map reaches (a relation, ``true`` for the whole square).
    """

    name: str
    description: str
    coordinates: tuple[sp.Symbol, ...]
    forward: tuple[sp.Expr, sp.Expr]
    chart: tuple[tuple[sp.Symbol, sp.Expr], ...]
    domain: sp.Basic
    metric: sp.ImmutableMatrix
    steps: tuple[str, ...]
    #: constants of the frame itself (the Gram entries a, b, c), besides the loss's
    constants: tuple[Parameter, ...] = ()
    #: a relation the frame's constants satisfy (Cauchy-Schwarz: c^2 <= a*b)
    constraint: sp.Basic = sp.true
    #: values of the map's own symbols and the constants they imply, for a numerical
    #: check of the velocity (the Gram frame's map x = exp(A theta) at one A)
    sample: tuple[tuple[sp.Symbol, sp.Expr], ...] = ()

    def __post_init__(self) -> None:
        # A frozen value: the metric must not be changeable in place (an lru-cached
        # Parametrization is shared by every later lookup).
        object.__setattr__(self, "metric", sp.ImmutableMatrix(self.metric))

    @property
    def is_identity(self) -> bool:
        return self.metric == sp.eye(2)

    def metric_entries(self) -> dict[str, sp.Expr]:
        return {"M11": self.metric[0, 0], "M12": self.metric[0, 1], "M22": self.metric[1, 1]}

    def velocity(self, d_x1: sp.Expr, d_x2: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
        """dx/dt = -M grad L, canonical."""
        v = -self.metric * sp.Matrix([d_x1, d_x2])
        return canonical(v[0]), canonical(v[1])

    def __hash__(self) -> int:  # sp.Matrix is mutable, hence unhashable; the name is the identity
        return hash((self.name, self.forward))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Parametrization) and (self.name, self.forward, self.chart) == \
            (other.name, other.forward, other.chart)


def _derive(name: str, description: str, coordinates, forward, chart, domain,
            steps: list[str]) -> Parametrization:
    """Differentiate the map, form J J^T, and rewrite it in (x1, x2) with the chart."""
    J = sp.Matrix([[sp.diff(f, t) for t in coordinates] for f in forward])
    steps.append(f"J = d(x1, x2)/d({', '.join(map(str, coordinates))}) = {sp.sstr(J.tolist())}")
    MJ = J * J.T
    M = MJ.subs(dict(chart)).applyfunc(canonical)
    on_edge = isinstance(domain, sp.Equality)
    if on_edge:
        # The chart inverts the map only on the edge x1 + x2 = 1: reduce there, and
        # write the factors 1 - x1 back as x2.
        M = M.subs(x2, 1 - x1).applyfunc(canonical).subs(x1 - 1, -x2)
        steps.append("on x1 + x2 = 1 the factors 1 - x1 are written as x2")
    leftover = M.free_symbols & set(coordinates)
    if leftover:
        raise InvalidArgument(
            f"parametrization {name}: J J^T depends on {', '.join(sorted(map(str, leftover)))} "
            "beyond (x1, x2), so the induced velocity is not a field on (x1, x2)")
    steps.append("M = J J^T at theta = theta(x): "
                 f"M11 = {sp.sstr(M[0, 0])}, M12 = M21 = {sp.sstr(M[0, 1])}, "
                 f"M22 = {sp.sstr(M[1, 1])}")
    check = [canonical(_fold_real_roots(f.subs(dict(chart))) - s)
             for f, s in zip(forward, (x1, x2))]
    if on_edge:
        check = [canonical(c.subs(x2, 1 - x1)) for c in check]
    if any(c != 0 for c in check):
        raise InvalidArgument(f"parametrization {name}: the chart does not invert the map "
                              f"(x(theta(x)) - x = {sp.sstr(check)})")
    return Parametrization(name, description, tuple(coordinates), tuple(forward),
                           tuple(chart), domain, M, tuple(steps))


@functools.lru_cache(maxsize=None)
def _probability() -> Parametrization:
    p1, p2 = sp.symbols("p1 p2", positive=True)
    return _derive("probability", "the paper's frame: the parameters are x1, x2 themselves "
                   "(J = identity)", (p1, p2), (p1, p2), ((p1, x1), (p2, x2)), sp.true,
                   ["x1 = p1, x2 = p2"])


@functools.lru_cache(maxsize=None)
def _log() -> Parametrization:
    t1, t2 = sp.symbols("theta1 theta2", real=True)
    return _derive("log", "log-probabilities: theta_i = log x_i, x_i = exp(theta_i)",
                   (t1, t2), (sp.exp(t1), sp.exp(t2)), ((t1, sp.log(x1)), (t2, sp.log(x2))),
                   sp.true, ["x1 = exp(theta1), x2 = exp(theta2)"])


@functools.lru_cache(maxsize=None)
def _softmax(K: int) -> Parametrization:
    z = sp.symbols(f"z1:{K + 1}", real=True)
    Z = sum(sp.exp(t) for t in z)
    forward = (sp.exp(z[0]) / Z, sp.exp(z[1]) / Z)
    rest = 1 - x1 - x2
    if K == 2:
        domain = sp.Eq(x1 + x2, 1)
        chart = ((z[0], sp.log(x1)), (z[1], sp.log(x2)))
        what = ("two responses only: x1 + x2 = 1, the limit where the other responses "
                "have zero mass")
        extra = "the chart z_i = log x_i is exact on x1 + x2 = 1 (softmax is shift-invariant)"
    else:
        domain = sp.StrictLessThan(x1 + x2, 1)
        # softmax is invariant under z -> z + c: the chart takes the representative with
        # sum exp(z) = 1, the other K - 2 responses sharing the rest evenly.
        chart = ((z[0], sp.log(x1)), (z[1], sp.log(x2)),
                 *[(t, sp.log(rest / (K - 2))) for t in z[2:]])
        what = (f"softmax over K = {K} responses sharing one distribution; the "
                f"{'rest is one response' if K == 3 else f'{K - 2} other responses share the rest evenly'}"
                " (x1 + x2 + rest = 1, rest > 0)")
        extra = ("chart: z1 = log x1, z2 = log x2, "
                 + ("z3 = log(1 - x1 - x2)" if K == 3 else
                    f"z_j = log((1 - x1 - x2)/{K - 2}) for j >= 3")
                 + " (softmax is shift-invariant: this is the representative with sum exp(z) = 1)")
    name = "softmax" if K == 3 else f"softmax:{K}"
    return _derive(name, what, z, forward, chart, domain,
                   [f"x_i = exp(z_i) / sum_j exp(z_j), j = 1..{K}", extra])


@functools.lru_cache(maxsize=None)
def _gram() -> Parametrization:
    """Any model: the Gram matrix of the two log-probability gradients as constants.

    For parameters theta in R^d only the span of g_w = grad log pi_w and g_l = grad log
    pi_l moves (x1, x2), so a 2-dimensional theta with u = A theta (rows of A: g_w, g_l)
    is general. sympy differentiates x = exp(A theta); the chain rule J = diag(x) A is
    checked, M = J J^T = diag(x) A A^T diag(x), and A A^T is named G = [[a, c], [c, b]].
    The constraint a*b - c^2 = det(A)^2 >= 0 is checked the same way.
    """
    t = sp.symbols("theta1 theta2", real=True)
    A = sp.Matrix(2, 2, sp.symbols("g_w1 g_w2 g_l1 g_l2", real=True))
    u = A * sp.Matrix(t)
    forward = (sp.exp(u[0]), sp.exp(u[1]))
    J = sp.Matrix([[sp.diff(f, s) for s in t] for f in forward])
    if (J - sp.diag(*forward) * A).applyfunc(sp.expand) != sp.zeros(2, 2):
        raise AssertionError("chain rule: J = diag(x) A does not hold")  # pragma: no cover
    a, b, c = (p.symbol for p in GRAM_PARAMETERS)
    AAt = A * A.T
    G = sp.Matrix([[a, c], [c, b]])
    if sp.expand(AAt[0, 0] * AAt[1, 1] - AAt[0, 1] ** 2 - A.det() ** 2) != 0:
        raise AssertionError("a*b - c^2 = det(A)^2 does not hold")  # pragma: no cover
    D = sp.diag(x1, x2)
    M = (D * G * D).applyfunc(canonical)
    steps = ("u = (log x1, log x2) = A theta, rows of A: g_w = grad log pi(y_w), "
             "g_l = grad log pi(y_l)",
             "J = d(x1, x2)/d theta = diag(x1, x2) A (chain rule, checked)",
             "M = J J^T = diag(x1, x2) G diag(x1, x2), G = A A^T = [[a, c], [c, b]]: "
             f"M11 = {sp.sstr(M[0, 0])}, M12 = M21 = {sp.sstr(M[0, 1])}, "
             f"M22 = {sp.sstr(M[1, 1])}",
             "a*b - c^2 = det(A)^2 >= 0 (checked), so c^2 <= a*b",
             "du/dt = -G grad_u L with grad_u L = (x1 dL/dx1, x2 dL/dx2)")
    chart = tuple(zip(t, A.inv() * sp.Matrix([sp.log(x1), sp.log(x2)])))
    # one map for the numerical check: A = [[1, 1/3], [1/2, 2]], whose Gram entries
    # (a, b, c) = (10/9, 17/4, 7/6) follow from A A^T
    at = dict(zip(A, (sp.Integer(1), sp.Rational(1, 3), sp.Rational(1, 2), sp.Integer(2))))
    sample = (*at.items(), *zip((a, b, c), (AAt[0, 0].subs(at), AAt[1, 1].subs(at),
                                             AAt[0, 1].subs(at))))
    return Parametrization(
        "gram", "any model: the Gram matrix G = [[a, c], [c, b]] of grad log pi(y_w), "
        "grad log pi(y_l) (a, b > 0, c^2 <= a*b); the log frame is G = I",
        t, forward, chart, sp.true, M, steps, GRAM_PARAMETERS,
        sp.LessThan(c ** 2, a * b), tuple(sample))


def gram_entries(frame: Parametrization) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """(a, b, c) of a frame: G = diag(x)^-1 M diag(x)^-1, the Gram matrix of the gradients
    of log x1 and log x2 in the frame's parameters (e.g. softmax over K logits)."""
    D = sp.diag(1 / x1, 1 / x2)
    G = (D * frame.metric * D).applyfunc(canonical)
    return G[0, 0], G[1, 1], G[0, 1]


def get_parametrization(name: str | Parametrization) -> Parametrization:
    """``probability``, ``log``, ``softmax`` (K = 3), ``softmax:K`` (K >= 2; K = 2 is the
    zero-rest limit), ``gram`` (any model, the Gram entries a, b, c as constants), or
    ``"x1 = EXPR, x2 = EXPR"`` (a user map; see user_parametrization)."""
    if isinstance(name, Parametrization):
        return name
    text = name.strip()
    if "=" in text:
        return user_parametrization(text)
    if text == "probability":
        return _probability()
    if text in ("log", "log-probability", "logprob"):
        return _log()
    if text == "gram":
        return _gram()
    match = re.fullmatch(r"softmax(?::(\d{1,3}))?", text)
    if match:
        K = int(match.group(1) or 3)
        if not 2 <= K <= 64:
            raise InvalidArgument(f"softmax:{K}: K must be between 2 and 64")
        return _softmax(K)
    raise InvalidArgument(
        f"unknown parametrization {name!r}: use probability, log, softmax, softmax:K "
        "(K >= 2), gram or a map 'x1 = EXPR, x2 = EXPR' in parameters of your choice")


@functools.lru_cache(maxsize=64)
def user_parametrization(text: str) -> Parametrization:
    """A map "x1 = EXPR, x2 = EXPR [where REL]" in free parameters (any other names),
    e.g. "x1 = sigmoid(a), x2 = sigmoid(b)", parsed safely (``user_frames.user_map``):
    the chart is solved by sympy, the image of a one-parameter coordinate derived."""
    return _derive(*user_map(text))


def parametrization_names() -> tuple[str, ...]:
    return BUILTIN_PARAMETRIZATIONS


def _fold_real_roots(expr: sp.Expr) -> sp.Expr:
    """Undo _real_odd_roots after cubing: sign(e)**odd = sign(e), sign(e)*Abs(e) = e."""
    expr = expr.replace(lambda e: e.is_Pow and isinstance(e.base, sp.sign)
                        and e.exp.is_Integer and e.exp % 2 == 1, lambda e: e.base)

    def fold(m: sp.Expr) -> sp.Expr:
        args = list(m.args)
        for s_ in [a for a in args if isinstance(a, sp.sign)]:
            inner = s_.args[0]
            if sp.Abs(inner) in args:
                args.remove(s_)
                args.remove(sp.Abs(inner))
                args.append(inner)
        return sp.Mul(*args)

    return expr.replace(lambda e: e.is_Mul and e.has(sp.sign), fold)


def zero_rest_limit(K: int = 3) -> tuple[bool, str]:
    """Prove that softmax:K's metric tends to softmax:2's as the rest's mass -> 0.

    Both metrics are polynomials in (x1, x2); on x1 + x2 = 1 their difference is
    computed and canonicalised. Returns (equal, the argument).
    """
    MK, M2 = _softmax(K).metric, _softmax(2).metric
    diff = (MK - M2).subs(x2, 1 - x1).applyfunc(canonical)
    equal = diff == sp.zeros(2, 2)
    return equal, (f"M(softmax:{K}) - M(softmax:2) at x2 = 1 - x1 is {sp.sstr(diff.tolist())}"
                   + (": the metrics agree on the zero-rest edge, so softmax:2 is the limit"
                      if equal else ""))

"""The Gram frame (any model), its dynamics for every variant, and the prover rules it needs.

Expectations are hand-derived here: for DPO, s_w = s_l = beta*sigma(-h), so
v_w = s*(a - c) and v_l = s*(c - b) (Yuan et al.); SimPO's weight is n_l/n_w, DPO-Shift's
1/lam. The Gram metric and softmax's Gram entries are recomputed with numpy from their
definitions (J J^T of x = exp(A theta); |e_i - x|^2 for softmax).
"""
from __future__ import annotations

import json
import random

import mpmath
import numpy as np
import pytest
import sympy as sp

from dpo_proofs import CATALOGUE, check, get_variant
from dpo_proofs.field.frames import get_parametrization, gram_entries
from dpo_proofs.field.gram import gram_dynamics
from dpo_proofs.field.in_frame import with_frame_constants
from dpo_proofs.loss.functions import to_elementary
from dpo_proofs.loss.symbols import GRAM_PARAMETERS, x1, x2
from dpo_proofs.verdicts.certificates import narrowed
from dpo_proofs.verdicts.claim_text import claim_from_text
from dpo_proofs.verdicts.kernel import sign_set
from dpo_proofs.verdicts.values import Status

A, B, C = (p.symbol for p in GRAM_PARAMETERS)
GRAM = get_parametrization("gram")


def _check(variant, text, domain=None, frame="gram", **params):
    loss = with_frame_constants(get_variant(variant), GRAM) if frame == "gram" \
        else get_variant(variant)
    return check(claim_from_text(text, loss, domain), loss, params or None, frame=frame)


def test_gram_metric_is_JJt_of_exp_A_theta():
    """M(x; a, b, c) against J J^T computed by finite differences for random maps A."""
    rng = np.random.default_rng(7)
    for _ in range(5):
        Am = rng.normal(size=(2, 2))
        theta = rng.normal(size=2) * 0.3
        f = lambda t: np.exp(Am @ t)  # noqa: E731
        h = 1e-6
        J = np.column_stack([(f(theta + h * e) - f(theta - h * e)) / (2 * h)
                             for e in np.eye(2)])
        G = Am @ Am.T
        x = f(theta)
        M = GRAM.metric.subs({A: G[0, 0], B: G[1, 1], C: G[0, 1], x1: x[0], x2: x[1]})
        assert np.allclose(np.array(M, dtype=float), J @ J.T, rtol=1e-6)


@pytest.mark.parametrize("K", [3, 5])
def test_softmax_gram_entries_are_the_score_inner_products(K):
    """grad_z log x_i = e_i - x: a = |e1 - x|^2, b = |e2 - x|^2, c = <e1 - x, e2 - x>."""
    a, b, c = gram_entries(get_parametrization(f"softmax:{K}"))
    p1, p2 = 0.3, 0.2
    rest = (1 - p1 - p2) / (K - 2)
    x = np.array([p1, p2] + [rest] * (K - 2))
    e1, e2 = np.eye(K)[0], np.eye(K)[1]
    at = {x1: p1, x2: p2}
    assert float(a.subs(at)) == pytest.approx(np.dot(e1 - x, e1 - x))
    assert float(b.subs(at)) == pytest.approx(np.dot(e2 - x, e2 - x))
    assert float(c.subs(at)) == pytest.approx(np.dot(e1 - x, e2 - x))


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_gram_dynamics_match_an_independent_derivative(name):
    """s_w = -x1 dL/dx1, s_l = x2 dL/dx2 by mpmath.diff of the loss, and the velocities
    v_w = a s_w - c s_l, v_l = c s_w - b s_l, at random points and Gram matrices."""
    loss = get_variant(name)
    g = gram_dynamics(loss)
    rnd = random.Random(name)
    consts = {p.symbol: p.default for p in loss.parameters}
    L = sp.lambdify((x1, x2), to_elementary(loss.expr).subs(consts), "mpmath")
    with mpmath.workdps(30):
        for _ in range(3):
            p, q = rnd.uniform(0.05, 0.6), rnd.uniform(0.05, 0.35)
            s_w = -p * mpmath.diff(lambda t: L(t, q), p)
            s_l = q * mpmath.diff(lambda t: L(p, t), q)
            a, b = rnd.uniform(0.2, 3), rnd.uniform(0.2, 3)
            c = rnd.uniform(-1, 1) * (a * b) ** 0.5
            at = {**consts, x1: p, x2: q, A: a, B: b, C: c}
            for mine, theirs in ((g.s_w, s_w), (g.s_l, s_l), (g.v_w, a * s_w - c * s_l),
                                 (g.v_l, c * s_w - b * s_l)):
                value = sp.N(mine.subs(at), 25)
                if value.has(sp.nan) or not value.is_number:
                    continue  # a kink of a piecewise loss
                assert abs(float(value) - float(theirs)) <= 1e-12 * (1 + abs(float(theirs)))


def test_weights_are_the_hand_derived_ones():
    assert gram_dynamics(get_variant("dpo")).weight == 1
    w = gram_dynamics(get_variant("simpo")).weight
    n = {s.name: s for s in w.free_symbols}
    assert sp.simplify(w - n["n_l"] / n["n_w"]) == 0
    shift = gram_dynamics(get_variant("dpo_shift")).weight
    (lam,) = shift.free_symbols
    assert sp.simplify(shift - 1 / lam) == 0


def test_yuan_conditions_for_dpo_are_proved_and_the_strict_margin_refuted():
    assert _check("dpo", "v_w > 0", "c < a").status is Status.PROVED
    assert _check("dpo", "v_w <= 0", "c >= a").status is Status.PROVED
    assert _check("dpo", "v_l < 0", "c < b").status is Status.PROVED
    assert _check("dpo", "v_w < 0", "a < c, c < b").status is Status.PROVED
    assert _check("dpo", "margin_rate >= 0").status is Status.PROVED
    refuted = _check("dpo", "margin_rate > 0")
    assert refuted.status is Status.REFUTED
    point = {k: sp.Rational(v) for k, v in refuted.counterexample.items()}
    # a realizable Gram matrix, and the hand-derived zero set a + b = 2c (then a = b = c)
    assert point["c"] ** 2 <= point["a"] * point["b"]
    assert point["a"] + point["b"] == 2 * point["c"]


def test_the_paper_frame_claim_fails_in_the_gram_frame_with_the_exact_condition():
    v = _check("dpo", "x1_increases")
    assert v.status is Status.REFUTED
    assert v.details.get("holds_exactly_when") in ("a > c", "c < a")


@pytest.mark.parametrize("variant,text,domain", [
    ("simpo", "v_w > 0", "c < a"),         # needs c < a*n_l/n_w
    ("simpo", "margin_rate >= 0", None),   # w = n_l/n_w < 1/2 with a=4, b=1, c=2
    ("ipo", "v_w > 0", "c < a"),           # IPO's incentive changes sign with h
])
def test_false_gram_claims_are_refuted_never_proved(variant, text, domain):
    v = _check(variant, text, domain)
    assert v.status is Status.REFUTED, v.evidence
    point = v.counterexample
    assert sp.Rational(point["c"]) ** 2 <= sp.Rational(point["a"]) * sp.Rational(point["b"])


def test_gram_frame_analysis_confirms_the_velocity_numerically():
    from dpo_proofs import analyze

    result = analyze("dpo", parametrization="gram")
    assert result.confirmed and len(result.confirmations) >= 8
    assert {c.name for c in result.claims}


def test_a_user_constant_named_like_a_gram_entry_is_refused():
    from dpo_proofs import InvalidArgument, user_loss

    loss = user_loss("-log(sigmoid(a*log(x1/x2)))", {"a": "(0, oo)"})
    with pytest.raises(InvalidArgument, match="Gram entry"):
        with_frame_constants(loss, GRAM)


# --- the prover rules the Gram frame needs (each re-checked by the kernel) ---------------

s = sp.Dummy("s", positive=True)
t = sp.Dummy("t", nonnegative=True)


@pytest.mark.parametrize("expr,expected", [
    (sp.log(1 + s), {1}),
    (sp.log(x1), {-1, 0}),                                 # x1 in (0, 1]
    (sp.log(1 + s) - sp.log(1 + 2 * s), {-1}),             # U < V
    (sp.exp(x1 + s) - sp.exp(x1), {1}),
    (sp.sqrt(C ** 2 + s) - C, {1}),                        # P - R^2 = s > 0
    (C - sp.sqrt(C ** 2 + s), {-1}),
    (sp.sqrt(t) - C, {-1, 0, 1}),                          # t - c^2 of any sign
    (sp.sqrt(C ** 2 + s) + C, {1}),
    (sp.sqrt(x1 - 2) - 1, {-1, 0, 1}),                     # no real root: never decided
])
def test_monotone_sign_rules(expr, expected):
    assert set(sign_set(expr)) == expected


def test_completed_squares_prove_true_and_refute_false_quadratics():
    assert _check("dpo", "x1**2 - x1*x2 + x2**2 > 0", frame="probability").status \
        is Status.PROVED
    assert _check("dpo", "x1**2 - 3*x1*x2 + x2**2 > 0", frame="probability").status \
        is Status.REFUTED


def test_completed_squares_in_powers_with_symbolic_exponents():
    # A^2 - A*B + B^2 > 0 with A = (r_l*x1)^beta, B = (r_w*x2)^beta (Bregman PO's LSIF):
    # a quadratic in x1**beta, not in x1; A^2 - 3AB + B^2 changes sign (A = B) and is refuted
    true = ("r_l**(2*beta)*x1**(2*beta) - r_l**beta*r_w**beta*x1**beta*x2**beta"
            " + r_w**(2*beta)*x2**(2*beta) > 0")
    assert _check("dpo", true, frame="probability").status is Status.PROVED
    false = true.replace("- r_l**beta", "- 3*r_l**beta")
    assert _check("dpo", false, frame="probability").status is not Status.PROVED
    assert _check("bpo_lsif", "d_x1 < 0", frame="probability").status is Status.PROVED


def test_bounds_on_one_constant_narrow_its_set():
    d = narrowed({C: sp.Interval(-sp.oo, sp.oo)}, (sp.StrictGreaterThan(C, 0),))
    assert d[C] == sp.Interval.open(0, sp.oo)
    d = narrowed({C: sp.Interval(-sp.oo, sp.oo)}, (sp.GreaterThan(2 * C - 1, 0),))
    assert d[C] == sp.Interval(sp.Rational(1, 2), sp.oo)
    d = narrowed({C: sp.Interval(-sp.oo, sp.oo)}, (sp.StrictGreaterThan(C, A),))
    assert d[C] == sp.Interval(-sp.oo, sp.oo)  # not a bound by a number


def test_cli_check_in_the_gram_frame(tmp_path):
    from dpo_proofs.cli.app import main
    import io

    out = io.StringIO()
    code = main(["check", "dpo", "v_l < 0", "--domain", "c < b", "--frame", "gram",
                 "--json"], stdout=out, stderr=io.StringIO())
    assert code == 0 and json.loads(out.getvalue())["status"] == "proved"


def test_model_gram_entries_against_hand_derived_closed_forms():
    """Softmax models: grad u_i = grad z_i - sum_j p_j grad z_j, so by hand
    tabular: a = 1 - 2 p_w + sum p_j^2, c = sum p_j^2 - p_w - p_l;
    z = W h: a = |h|^2 (1 - 2 p_w + sum p_j^2) + |W_w - sum_j p_j W_j|^2,
             c = |h|^2 (sum p_j^2 - p_w - p_l) + <W_w - W_bar, W_l - W_bar>."""
    from dpo_proofs.field.model_gram import shared_features, tabular

    m = tabular(4)
    p = m.probs[0]   # one position: a softmax over the responses
    q = sum(v ** 2 for v in p)
    assert sp.expand(m.a - (1 - 2 * p[0] + q)) == 0
    assert sp.expand(m.b - (1 - 2 * p[1] + q)) == 0
    assert sp.expand(m.c - (q - p[0] - p[1])) == 0
    K, d = 3, 2
    m = shared_features(K, d)
    p = m.probs[0]
    W = sp.Matrix(K, d, m.params[:K * d])
    h = sp.Matrix(m.params[K * d:])
    q = sum(v ** 2 for v in p)
    bar = sum((p[j] * W[j, :] for j in range(K)), sp.zeros(1, d))
    dw, dl = W[0, :] - bar, W[1, :] - bar
    hh = (h.T * h)[0]
    assert sp.expand(m.a - (hh * (1 - 2 * p[0] + q) + (dw * dw.T)[0])) == 0
    assert sp.expand(m.b - (hh * (1 - 2 * p[1] + q) + (dl * dl.T)[0])) == 0
    assert sp.expand(m.c - (hh * (q - p[0] - p[1]) + (dw * dl.T)[0])) == 0
    # at equal logits (W = 0): p_j = 1/K, a = |h|^2 (1 - 1/K), c = -|h|^2 / K
    values = {s.name: 0.0 for s in m.params[:K * d]}
    values.update({"h_1": 1.0, "h_2": 2.0})
    a, b, c = m.at(values)
    assert a == pytest.approx(5 * (1 - 1 / 3)) and c == pytest.approx(-5 / 3)


def test_model_gram_refuses_a_model_out_of_bounds():
    from dpo_proofs.errors import InvalidArgument
    from dpo_proofs.field.model_gram import shared_features, tabular

    with pytest.raises(InvalidArgument):
        tabular(1)
    with pytest.raises(InvalidArgument):
        shared_features(3, 100)


def test_token_sequence_gram_entries_against_hand_derived_closed_forms():
    """Two tokens from K = 3, logits T_t + bias: grad u = sum_t (e_{y_t} - p_t) in each
    position's row of T and in the bias, so by hand
    a = sum_t |e_{y_t} - p_t|^2 + |sum_t (e_{y_t} - p_t)|^2, and c the same pairing of
    y_w's and y_l's terms (a shared first token shares its terms)."""
    from dpo_proofs.field.model_gram import token_sequences

    y_w, y_l = (0, 1), (0, 2)
    m = token_sequences(3, y_w, y_l)
    p = [sp.Matrix(row) for row in m.probs]
    e = [sp.Matrix([1 if j == i else 0 for j in range(3)]) for i in range(3)]

    def grad(y):   # per position, then the bias
        return [e[y[t]] - p[t] for t in range(2)], sum((e[y[t]] - p[t] for t in range(2)),
                                                      sp.zeros(3, 1))

    (rw, bw), (rl, bl) = grad(y_w), grad(y_l)
    hand_a = sum((r.T * r)[0] for r in rw) + (bw.T * bw)[0]
    hand_c = sum((u.T * v)[0] for u, v in zip(rw, rl)) + (bw.T * bl)[0]
    assert sp.expand(m.a - hand_a) == 0 and sp.expand(m.c - hand_c) == 0

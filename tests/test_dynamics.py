"""Gradient-flow dynamics: closed forms against hand derivations and against an
integration written here (RK4 on the orbit equation, with partials from mpmath.diff of
the loss itself: independent of the package's sympy derivation and ODE checks)."""
import json

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import dpo_proofs.field.flow as dyn
import dpo_proofs.numerics.odes as odes
import dpo_proofs.pipeline as pipeline
from dpo_proofs import dynamics
from dpo_proofs.loss.symbols import X1_0, X2_0
from dpo_proofs.field.limit_point import LimitPoint
from dpo_proofs.errors import InvalidArgument
from dpo_proofs.loss.symbols import beta, r_l, r_w, x1, x2
from cli_run import run


@pytest.fixture(scope="module")
def dpo_probability():
    return dynamics("dpo", "probability", starts=(("0.35", "0.55"), ("0.9", "0.8")))


def test_dpo_probability_closed_forms(dpo_probability):
    d = dpo_probability
    assert sp.simplify(d.conserved - (x1**2 + x2**2)) == 0
    a, b = X1_0, X2_0
    assert sp.simplify(d.orbit - sp.sqrt(a**2 + b**2 - x1**2)) == 0
    for start in ((sp.Rational(1, 3), sp.Rational(1, 2)), (sp.Rational(4, 5), sp.Rational(9, 10))):
        at = dict(zip((a, b), start))
        r = sp.sqrt(start[0]**2 + start[1]**2)
        assert sp.simplify(d.limit.final_x1.subs(at) - sp.Min(1, r)) == 0
        expected_x2 = 0 if r <= 1 else sp.sqrt(r**2 - 1)
        assert sp.simplify(d.limit.final_x2.subs(at) - expected_x2) == 0
    assert d.passed, d.to_json()


def test_dpo_probability_ode_checks_are_real(dpo_probability):
    inside, outside = dpo_probability.checks
    assert inside.variable == "x2" and inside.conserved_digits >= 35
    assert mpmath.mpf(inside.final_gaps[-1]) < mpmath.mpf("1e-20")
    # (0.9, 0.8) lies outside the unit circle: the orbit meets x1 = 1 at x2 = sqrt(0.45)
    assert outside.variable == "x1"
    assert abs(mpmath.mpf(outside.numerical) - mpmath.sqrt(mpmath.mpf("0.45"))) < 1e-25


def dpo_loss(X1, X2, beta=mpmath.mpf("0.1"), rw=mpmath.mpf("0.5"), rl=mpmath.mpf("0.5")):
    """DPO typed in here from its definition, -log sigma(h)."""
    h = beta * mpmath.log(X1 / rw) - beta * mpmath.log(X2 / rl)
    return mpmath.log1p(mpmath.exp(-h))


def orbit_x1_at(f, a, b, end=mpmath.mpf("1e-8"), steps=1600):
    """x1 where the probability-frame orbit of loss f from (a, b) reaches x2 = end: RK4
    on dx1/dx2 = (dL/dx1)/(dL/dx2) in s = log x2, partials by mpmath.diff of f."""

    def slope(s, y):  # d x1 / d s with x2 = exp(s)
        X2 = mpmath.exp(s)
        g1 = mpmath.diff(lambda u: f(u, X2), y)
        g2 = mpmath.diff(lambda u: f(y, u), X2)
        return g1 / g2 * X2

    with mpmath.workdps(30):
        s0, s1 = mpmath.log(b), mpmath.log(end)
        h = (s1 - s0) / steps
        y, s = mpmath.mpf(a), s0
        for _ in range(steps):
            k1 = slope(s, y)
            k2 = slope(s + h / 2, y + h * k1 / 2)
            k3 = slope(s + h / 2, y + h * k2 / 2)
            k4 = slope(s + h, y + h * k3)
            y, s = y + h * (k1 + 2 * k2 + 2 * k3 + k4) / 6, s + h
        return y


@settings(max_examples=4, deadline=None, derandomize=True)
@given(a=st.fractions(min_value="1/20", max_value="3/5", max_denominator=97),
       b=st.fractions(min_value="1/20", max_value="3/5", max_denominator=97))
def test_dpo_final_x1_against_an_independent_integration(a, b, dpo_probability):
    a, b = sp.Rational(a.numerator, a.denominator), sp.Rational(b.numerator, b.denominator)
    formula = dpo_probability.limit.final_x1.subs({X1_0: a, X2_0: b})
    got = orbit_x1_at(dpo_loss, mpmath.mpf(a.p) / a.q, mpmath.mpf(b.p) / b.q)
    assert abs(got - mpmath.mpf(sp.N(formula, 30))) < 1e-7  # RK4 error <= 1e-8 at 1600 steps


def test_robust_dpo_shares_the_margin_loss_limit():
    # Another margin loss: same conserved quantity, same limit, checked by the package's
    # ODE run from a start not used above.
    d = dynamics("robust", "probability", starts=(("0.15", "0.45"),))
    assert sp.simplify(d.conserved - (x1**2 + x2**2)) == 0
    assert d.passed and d.checks[0].converges


def test_log_frame_final_x2_is_the_product():
    d = dynamics("dpo", "log", starts=(("0.25", "0.6"), ("0.05", "0.95")))
    assert d.limit.case == "edge x1 = 1"
    assert d.limit.final_x1 == 1
    assert sp.simplify(d.limit.final_x2 - X1_0 * X2_0) == 0
    for c in d.checks:
        a, b = (mpmath.mpf(sp.Rational(v).p) / sp.Rational(v).q for v in c.start)
        assert abs(mpmath.mpf(c.numerical) - a * b) < 1e-30
    assert d.passed


def test_softmax_frame_runs_to_the_corner():
    d = dynamics("dpo", "softmax", starts=(("0.2", "0.3"),))
    assert d.limit.case == "corner (1, 0)"
    I = (1 - x1 - x2)**2 / (x1 * x2)
    assert sp.simplify(d.conserved / I).is_constant()
    assert d.checks[0].conserved_digits >= odes.CONSERVED_DIGITS and d.checks[0].converges


def test_discrete_step_second_order_by_hand():
    """log frame: x = exp(theta), theta -= eta*G with G = x*dL/dx, so
    x_new = x*exp(-eta*G) = x - eta*x*G + eta^2/2 * x*G^2 + O(eta^3)."""
    d = dynamics("dpo", "log", starts=())
    h = beta * sp.log(x1 / r_w) - beta * sp.log(x2 / r_l)
    base = sp.log(1 + sp.exp(-h))  # DPO typed in here
    points = [{x1: sp.Rational(3, 10), x2: sp.Rational(1, 5), beta: sp.Rational(1, 10),
               r_w: sp.Rational(1, 2), r_l: sp.Rational(1, 3)},
              {x1: sp.Rational(1, 7), x2: sp.Rational(5, 6), beta: 3, r_w: sp.Rational(1, 4),
               r_l: sp.Rational(2, 3)}]
    for k, x in enumerate((x1, x2)):
        G = x * sp.diff(base, x)
        for at in points:
            assert abs(sp.N((d.first_order[k] + x * G).subs(at), 50)) < 1e-45
            assert abs(sp.N((d.second_order[k] - x * G**2).subs(at), 50)) < 1e-45
    # errors shrink like eta^2 and approach the predicted term
    digits = [s.digits for s in d.step_checks]
    assert digits == sorted(digits) and digits[-1] >= 5
    assert dynamics("dpo", "probability", starts=()).second_order == (0, 0)


def test_a_wrong_limit_formula_fails_the_ode_check(monkeypatch):
    real = dyn.limit_point

    def wrong(*args):
        limit = real(*args)
        return LimitPoint(limit.final_x1 * sp.Rational(101, 100), limit.final_x2, limit.case,
                          limit.argument)

    monkeypatch.setattr(pipeline, "limit_point", wrong)
    d = dynamics("dpo", "probability", starts=(("0.3", "0.4"),))
    assert not d.checks[0].converges and not d.passed


def test_user_parametrization_matches_the_builtin_log_frame():
    d = dynamics("dpo", "x1 = exp(a), x2 = exp(b)", starts=(("0.3", "0.4"),), steps=False)
    assert sp.simplify(sp.expand_log(d.conserved - (sp.log(x1) + sp.log(x2)), force=True)) \
        .is_constant()
    assert sp.simplify(d.limit.final_x2 - X1_0 * X2_0) == 0 and d.passed


def test_params_stay_symbolic_unless_fixed():
    d = dynamics("dpo", "log", params={"beta": "2"}, starts=(), steps=False)
    assert beta not in d.first_order[0].free_symbols
    assert {r_w, r_l} <= d.first_order[0].free_symbols


def test_bad_starts_are_errors():
    with pytest.raises(InvalidArgument):
        dynamics("dpo", "softmax", starts=(("0.7", "0.5"),))
    with pytest.raises(InvalidArgument):
        dynamics("dpo", "probability", starts=(("1.5", "0.5"),))
    with pytest.raises(InvalidArgument):
        dynamics("dpo", "softmax:2", starts=(("0.3", "0.4"),))


def test_dynamics_cli():
    code, out, err = run("dynamics", "dpo", "--parametrization", "log", "--start", "0.2,0.3",
                         "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["final_x2"] == "x1_0*x2_0" and data["passed"]
    assert data["ode_checks"][0]["start"] == ["1/5", "3/10"]
    code, out, err = run("dynamics", "dpo", "--start", "0.2")
    assert code == 2 and "X1,X2" in err
    code, out, err = run("dynamics", "dpo", "--parametrization", "softmax", "--start", "0.7,0.5")
    assert code == 2 and "outside" in err
    code, out, _ = run("dynamics", "dpo", "--start", "0.3,0.4")
    assert code == 0 and "PASSED" in out and "x1_0^2 + x2_0^2" in out and "**" not in out

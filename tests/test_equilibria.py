"""Equilibria and flow ends: checked against hand derivations and an independent ODE run.

The expectations are worked out by hand in each test; the DiscoPOP integration below uses
its own gradient (chain rule by hand, floats) and its own time-stepping, nothing of the
package's.
"""
from __future__ import annotations

import math

import pytest
import sympy as sp

from dpo_proofs import analyze

R = sp.Rational


def _mid(ray) -> float:
    return float((ray["lo"] + ray["hi"]) / 2)


def _discopop_dL_dh(h: float, tau: float = 0.05) -> float:
    # L(h) = (1 - s)(-log sigmoid(h)) + s e^-h, s = sigmoid(h/tau); by hand:
    # dL/dh = -s'(-log sigmoid h) - (1 - s)(1 - sigmoid h) + s' e^-h - s e^-h,
    # with s' = s(1 - s)/tau
    sig = 1 / (1 + math.exp(-h))
    s = 1 / (1 + math.exp(-h / tau))
    ds = s * (1 - s) / tau
    return -ds * (-math.log(sig)) - (1 - s) * (1 - sig) + ds * math.exp(-h) - s * math.exp(-h)


def _integrate_discopop(x1: float, x2: float, beta: float = 0.05) -> float:
    """x1/x2 at the end of dx/dt = -grad L from (x1, x2) (RK4 in time, equal references)."""
    def velocity(a, b):
        g = _discopop_dL_dh(beta * math.log(a / b))
        return -g * beta / a, g * beta / b

    dt = 0.05
    for _ in range(400_000):
        k1 = velocity(x1, x2)
        k2 = velocity(x1 + dt / 2 * k1[0], x2 + dt / 2 * k1[1])
        k3 = velocity(x1 + dt / 2 * k2[0], x2 + dt / 2 * k2[1])
        k4 = velocity(x1 + dt * k3[0], x2 + dt * k3[1])
        n1 = x1 + dt / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
        n2 = x2 + dt / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
        if abs(n1 / n2 - x1 / x2) < 1e-13:
            return n1 / n2
        x1, x2 = n1, n2
    raise AssertionError("the flow did not settle")


def test_discopop_is_wrong_way_and_converges_to_the_certified_ratio():
    eq = analyze("discopop", quantities=False).equilibria
    assert eq.derived and eq.wrong_way is True
    zeros = [r for r in eq.rays if r["kind"] == "zero"]
    assert len(zeros) == 2
    low, high = sorted(zeros, key=_mid)
    assert low["stable"] is True and high["stable"] is False
    # the zeros of dL/dh by bisection on the hand formula: h* = beta*log(rho*)
    for ray in (low, high):
        a, b = math.log(_mid(ray)) * 0.05 - 0.01, math.log(_mid(ray)) * 0.05 + 0.01
        for _ in range(200):
            m = (a + b) / 2
            if (_discopop_dL_dh(a) < 0) == (_discopop_dL_dh(m) < 0):
                a = m
            else:
                b = m
        assert math.isclose(math.exp(a / 0.05), _mid(ray), rel_tol=1e-9)
    # the flow from the diagonal ends at the attracting ray, with x2 > x1
    end = _integrate_discopop(0.5, 0.5)
    assert float(low["lo"]) * (1 - 1e-6) <= end <= float(low["hi"]) * (1 + 1e-6)
    assert eq.limit_ratio is low
    assert eq.flows[0]["ode"]["agrees"] is True


def test_dpo_has_no_equilibrium_and_its_frame_leaves_the_simplex():
    eq = analyze("dpo", quantities=False).equilibria
    assert eq.derived and eq.rays == () and eq.wrong_way is False
    # from (0.1, 0.85) the orbit is the circle x1^2 + x2^2 = 0.7325 and rho rises through
    # 1, where x1 + x2 = sqrt(2*0.7325) = 1.2104 > 1 (hand)
    flow = eq.flows[1]
    assert flow["start"] == (R(1, 10), R(17, 20)) and flow["target"] is None
    assert math.isclose(flow["max_sum"], math.sqrt(2 * 0.7325), rel_tol=1e-9)


def test_ipo_stationary_ray_is_its_target_margin():
    # IPO: L = (log(x1/r_w) - log(x2/r_l) - 1/(2 beta))^2, zero gradient where
    # log(rho) = 1/(2 beta) = 5 at beta = 0.1 (equal references): rho* = e^5, attracting
    eq = analyze("ipo", quantities=False).equilibria
    [ray] = eq.rays
    assert ray["lo"] < sp.exp(5) < ray["hi"] and ray["stable"] is True
    assert eq.wrong_way is False and eq.limit_ratio is ray


def test_hinge_vanishes_on_an_exact_band():
    # hinge: L = max(0, 1 - beta*log(rho)) at equal references: gradient 0 where
    # rho >= e^(1/beta) = e^10
    eq = analyze("hinge", quantities=False).equilibria
    [band] = eq.rays
    assert band["kind"] == "band" and band["exact"] == sp.Interval(sp.exp(10), sp.oo)


def test_not_derived_for_a_loss_not_of_the_ratio_alone():
    eq = analyze("cpo", quantities=False).equilibria
    assert not eq.derived and "x1/x2 alone" in eq.reason and eq.wrong_way is None


@pytest.mark.parametrize("variant", ["dpo", "discopop"])
def test_equilibria_in_json_and_summary(variant):
    a = analyze(variant, quantities=True)
    data = a.to_json()["equilibria"]
    assert data["derived"] is True and data["wrong_way"] is (variant == "discopop")
    assert ("WRONG-WAY" in a.summary()) is (variant == "discopop")

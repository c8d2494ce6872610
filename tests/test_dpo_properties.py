"""Property-based checks of DPO's claims across the domain, decided with mpmath.

Where float64 cannot decide (near ties, tiny probabilities), the property is decided
with exact rationals and mpmath, never with a loosened tolerance.
"""
import mpmath
import pytest
import sympy as sp
from hypothesis import example, given, target

import dpo_proofs
from dpo_proofs import strategies as dst
from dpo_proofs.numerics.confirm import mp_callable, to_mpf

SYMS = [dpo_proofs.x1, dpo_proofs.x2, dpo_proofs.r_w, dpo_proofs.r_l, dpo_proofs.beta]


@pytest.fixture(scope="module")
def field():
    return dpo_proofs.analyze("dpo", confirm=False).field


@pytest.fixture(scope="module")
def fns(field):
    return {"ratio": mp_callable(field.ratio, SYMS),
            "d_x1": mp_callable(field.d_x1.closed_form, SYMS),
            "d_x2": mp_callable(field.d_x2.closed_form, SYMS)}


def _args(x1, x2, rw, rl, beta):
    return [to_mpf(sp.Rational(v)) for v in (x1, x2, rw, rl, beta)]


@given(x1=dst.exact_probabilities(), x2=dst.exact_probabilities(), beta=dst.betas(),
       rw=dst.probabilities(1e-6), rl=dst.probabilities(1e-6))
@example(x1=sp.Integer(1), x2=sp.Integer(1), beta=1e3, rw=1.0, rl=1e-6)
def test_ratio_vs_one_exactly_where_x1_vs_x2(fns, x1, x2, beta, rw, rl):
    with mpmath.workdps(80):
        r = fns["ratio"](*_args(x1, x2, rw, rl, beta))
        # the sign of R - 1 must be the sign of x1 - x2, decided exactly
        expected = int(bool(x1 > x2)) - int(bool(x1 < x2))
        got = int(r > 1) - int(r < 1)
        assert got == expected, (x1, x2, r)


@given(pair=dst.near_ties(), beta=dst.betas())
def test_near_ties_decided_with_mpmath(fns, pair, beta):
    x1, x2 = pair
    with mpmath.workdps(120):
        r = fns["ratio"](*_args(x1, x2, 0.5, 0.5, beta))
        assert (r > 1) == (x1 > x2)
        assert r != 1


@given(x1=dst.exact_probabilities(), x2=dst.exact_probabilities(), beta=dst.betas(),
       rw=dst.probabilities(1e-6), rl=dst.probabilities(1e-6))
def test_partial_signs(fns, x1, x2, beta, rw, rl):
    with mpmath.workdps(60):
        args = _args(x1, x2, rw, rl, beta)
        d1, d2 = fns["d_x1"](*args), fns["d_x2"](*args)
        assert d1 < 0 and d2 > 0  # x1 pushed up, x2 pushed down, everywhere


@given(x1=dst.probabilities(1e-12), x2=dst.probabilities(1e-12), beta=dst.betas())
def test_gradient_step_moves_x2_more_where_x1_above(fns, x1, x2, beta):
    """x' = x - eta*grad L: |dx2| > |dx1| exactly where x1 > x2 (small eta)."""
    with mpmath.workdps(60):
        args = _args(x1, x2, 0.5, 0.5, beta)
        d1, d2 = fns["d_x1"](*args), fns["d_x2"](*args)
        eta = mpmath.mpf("1e-6") / max(abs(d1), abs(d2))
        new1, new2 = args[0] - eta * d1, args[1] - eta * d2
        move1, move2 = abs(new1 - args[0]), abs(new2 - args[1])
        target(float(mpmath.log(move2 / move1)) if move1 else 0.0)
        if x1 > x2:
            assert move2 > move1
        elif x1 < x2:
            assert move2 < move1
        else:
            assert mpmath.almosteq(move1, move2, rel_eps=mpmath.mpf(10) ** -50)
        assert new1 > args[0] and new2 < args[1]

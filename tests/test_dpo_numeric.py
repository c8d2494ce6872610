"""High-precision confirmation, independent of sympy: a hand-written mpmath DPO loss.

The loss below is typed from its definition, differentiated by mpmath.diff, and
compared with the package's derived partials at hypothesis-drawn points.
"""
import mpmath
import pytest
import sympy as sp
from hypothesis import example, given

import dpo_proofs
from dpo_proofs import strategies as dst
from dpo_proofs.numerics.confirm import REQUIRED_DIGITS, agreeing_digits


def mp_dpo_loss(x1, x2, rw, rl, beta):
    h = beta * mpmath.log(x1 / rw) - beta * mpmath.log(x2 / rl)
    return mpmath.log1p(mpmath.exp(-h)) if h > 0 else -h + mpmath.log1p(mpmath.exp(h))


@pytest.fixture(scope="module")
def partials():
    f = dpo_proofs.analyze("dpo", confirm=False).field
    syms = [dpo_proofs.x1, dpo_proofs.x2, dpo_proofs.r_w, dpo_proofs.r_l, dpo_proofs.beta]
    return [sp.lambdify(syms, e, "mpmath") for e in (f.d_x1.closed_form, f.d_x2.closed_form)]


def test_package_confirmations_pass():
    res = dpo_proofs.analyze("dpo")
    assert res.confirmations, "no confirmation ran"
    assert res.confirmed
    low = min(c.digits for c in res.confirmations)
    assert low >= REQUIRED_DIGITS
    points = {dict(c.point)["x2"] for c in res.confirmations}
    assert "1.0e-300" in points  # the promised extreme was actually visited


@given(x1=dst.exact_probabilities(), x2=dst.exact_probabilities(), beta=dst.betas(),
       rw=dst.probabilities(1e-3), rl=dst.probabilities(1e-3))
@example(x1=sp.Rational(3, 10) * (1 + sp.Rational(1, 10**30)), x2=sp.Rational(3, 10),
         beta=0.1, rw=0.5, rl=0.5)
@example(x1=sp.Rational(1, 2), x2=sp.Rational(1, 10**300), beta=1000.0, rw=0.5, rl=0.5)
@example(x1=1 - sp.Rational(1, 10**20), x2=sp.Rational(1, 2), beta=1e-4, rw=0.9, rl=0.1)
def test_partials_agree_with_mpmath_diff_of_hand_written_loss(partials, x1, x2, beta, rw, rl):
    with mpmath.workdps(60):
        args = [mpmath.mpf(int(x1.p)) / int(x1.q), mpmath.mpf(int(x2.p)) / int(x2.q),
                mpmath.mpf(rw), mpmath.mpf(rl), mpmath.mpf(beta)]
        for index, fn in enumerate(partials):
            x = args[index]

            def along(u, index=index):
                moved = list(args)
                moved[index] = mpmath.exp(u)
                return mp_dpo_loss(*moved)

            numeric = mpmath.diff(along, mpmath.log(x)) / x
            symbolic = fn(*args)
            assert agreeing_digits(symbolic, numeric) >= 40, (index, symbolic, numeric)


def test_float64_findings_report_lost_sign_at_near_tie():
    res = dpo_proofs.analyze("dpo")
    problems = {(g.quantity, g.problem) for g in res.float64}
    assert any(q == "ratio - 1" and "sign is lost" in p for q, p in problems)
    assert any(q == "d_x2" and "nan" in p for q, p in problems)
    # and mpmath's value there has the right sign
    tie = [g for g in res.float64 if g.quantity == "ratio - 1"
           and dict(g.point)["x1"] > dict(g.point)["x2"]]
    assert tie and mpmath.mpf(tie[0].mpmath) > 0


def test_float64_findings_skip_points_where_the_quantity_is_undefined():
    # Balanced PO: R = 0/0 off its active piece (both partials vanish), so mpmath's value
    # is nan there too: float64 giving nan is not a float64 failure.
    from dpo_proofs.numerics.confirm import float64_findings
    res = dpo_proofs.analyze("balanced_po")
    assert res.float64 == () or all(g.mpmath != "nan" for g in res.float64)
    loss = dpo_proofs.get_variant("dpo")
    ratio = sp.Piecewise((sp.nan, dpo_proofs.x1 > dpo_proofs.x2), (dpo_proofs.x1, True))
    found = float64_findings(loss, {"r": ratio})
    assert found == () or all("nan" not in g.mpmath for g in found)


def test_float64_findings_never_judge_digits_that_do_not_settle():
    from dpo_proofs.numerics.confirm import float64_findings

    dpo = dpo_proofs.get_variant("dpo")
    x1, x2 = dpo_proofs.x1, dpo_proofs.x2
    point = {"x1": sp.Rational(1, 3), "x2": sp.Rational(1, 10**300), "beta": sp.Rational(1, 10),
             "r_w": sp.Rational(1, 2), "r_l": sp.Rational(1, 2)}
    found = {g.quantity: g for g in float64_findings(dpo, {
        # an exact 0 that mpmath gets exactly and float64 does not
        "zero": (x1 + 1) ** 3 - x1 ** 3 - 3 * x1 ** 2 - 3 * x1 - 1,
        # exp(-1e600): finite, but its exponent needs 600 digits, so its digits never
        # settle; float64 gives 0.0, whose sign cannot be judged against such a reference
        "tiny": sp.exp(-1 / x2 ** 2),
        # float64: 0 * inf = nan where the value is a (tiny) finite number
        "nan": sp.exp(-1 / x2 ** 2) * (1 / x2) ** 400,
        # a settled value float64 loses: 1e-300**2 underflows to 0
        "settled": x2 ** 2,
    }, [point])}
    assert set(found) == {"zero", "nan", "settled"}, found
    assert found["zero"].problem == "float64 is non-zero where the value is 0"
    assert "do not settle" in found["nan"].problem and found["nan"].float64 == "nan"
    assert "sign is lost" in found["settled"].problem


def test_float_screen_leaves_unclear_values_to_mpmath():
    """The search's float64 screen gives a value only where float64 has its sign plainly;
    rounding noise, a lost tie, a seam, extreme points and exceptions are left to mpmath
    (None). Hand-made cases, each with the exact answer written here."""
    from dpo_proofs.numerics.confirm import float_screen

    a, b, k = sp.symbols("x1 x2 beta", positive=True)
    # exact 0, float64 noise 1.4e-17 of either sign
    assert float_screen((a + 1) - 1 - a, [a])([0.1]) is None
    # a tie x1 = x2 (1 + 1e-15) rounds to a value whose sign float64 cannot hold
    assert float_screen(a - b, [a, b])([0.3 * (1 + 1e-15), 0.3]) is None
    assert float_screen(a - b, [a, b])([0.5, 0.25]) == 0.25
    # absorption: 1/x2 + 1 - 1/x2 - 1/2 is 1/2; float64 gives -1/2 at x2 = 1e-20,
    # outside the moderate box, so the screen gives nothing there
    absorbed = float_screen((1 / b + 1) - 1 / b - sp.Rational(1, 2), [b])
    assert absorbed([1e-20]) is None and absorbed([1e-3]) == 0.5
    # a piecewise form at its seam, a log of a negative number, a complex power
    seam = float_screen(sp.Piecewise((a, a > b), (-b, True)), [a, b])
    assert seam([0.3, 0.3]) is None and seam([0.4, 0.3]) == 0.4
    assert float_screen(sp.log(a - b), [a, b])([0.2, 0.5]) is None
    assert float_screen((-a) ** sp.Rational(1, 3), [a])([0.5]) is None
    # a probability within 1e-6 of 1 is no moderate point
    assert float_screen(a - sp.Rational(1, 2), [a])([1 - 1e-9]) is None
    assert float_screen(a ** k - sp.Rational(1, 2), [a, k])([0.5, 2.0]) == -0.25

"""Parametrizations: metrics, speed ratios, regions and claims in each frame, against
expectations derived by hand here (independently of the package's derivation)."""
import json

import mpmath
import pytest
import sympy as sp

from dpo_proofs import analyze, get_parametrization
from dpo_proofs.errors import InvalidArgument, UnsafeExpression
from dpo_proofs.field.frames import zero_rest_limit
from dpo_proofs.loss.symbols import x1, x2
from cli_run import run


def same(a, b) -> bool:
    return sp.simplify(sp.Matrix(a) - sp.Matrix(b)) == sp.zeros(*sp.Matrix(a).shape)


def softmax3_metric():
    """J_ij = x_i (delta_ij - x_j) over logits (z1, z2, z3), x3 = 1 - x1 - x2."""
    x3 = 1 - x1 - x2
    J = sp.Matrix([[x1 * (1 - x1), -x1 * x2, -x1 * x3], [-x2 * x1, x2 * (1 - x2), -x2 * x3]])
    return J * J.T


def test_metrics_match_hand_derivations():
    assert get_parametrization("probability").metric == sp.eye(2)
    assert same(get_parametrization("log").metric, sp.diag(x1**2, x2**2))
    assert same(get_parametrization("softmax").metric, softmax3_metric())
    edge = 2 * x1**2 * x2**2 * sp.Matrix([[1, -1], [-1, 1]])
    assert same(get_parametrization("softmax:2").metric.subs(x2, 1 - x1), edge.subs(x2, 1 - x1))
    sig = get_parametrization("x1 = sigmoid(a), x2 = sigmoid(b)")
    assert same(sig.metric, sp.diag((x1 * (1 - x1))**2, (x2 * (1 - x2))**2))


def test_user_three_logit_softmax_is_the_builtin_softmax():
    user = get_parametrization("x1 = exp(a)/(exp(a)+exp(b)+exp(c)), "
                               "x2 = exp(b)/(exp(a)+exp(b)+exp(c)) where x1 + x2 < 1")
    assert same(user.metric, get_parametrization("softmax").metric)
    assert user.domain == get_parametrization("softmax").domain
    a = analyze("dpo", parametrization=user)
    b = analyze("dpo", parametrization="softmax")
    assert sp.simplify(a.field.ratio - b.field.ratio) == 0


@pytest.mark.parametrize("k", [3, 4, 6])
def test_zero_rest_limit_gives_the_two_response_metric(k):
    proved, argument = zero_rest_limit(k)
    assert proved, argument


def dpo_velocity_ratio_by_hand(frame):
    """|v2| / |v1| for v = -M grad L with grad L = beta*s*(-1/x1, 1/x2), s > 0."""
    M = {"probability": sp.eye(2), "log": sp.diag(x1**2, x2**2),
         "softmax": softmax3_metric()}[frame]
    v = M * sp.Matrix([1 / x1, -1 / x2])
    return sp.factor(sp.simplify(-v[1] / v[0]))  # v1 > 0 > v2 on these frames


@pytest.mark.parametrize("frame", ["probability", "log", "softmax"])
def test_dpo_speed_ratio_per_frame(frame):
    got = analyze("dpo", parametrization=frame).field.ratio
    assert sp.simplify(got - dpo_velocity_ratio_by_hand(frame)) == 0


def test_dpo_softmax2_speed_ratio_is_one():
    assert sp.simplify(analyze("dpo", parametrization="softmax:2").field.ratio - 1) == 0


EXPECTED_DISPREFERRED_FASTER = {"probability": "proved", "log": "refuted",
                                "softmax": "refuted", "softmax:2": "refuted"}


@pytest.mark.parametrize("frame", list(EXPECTED_DISPREFERRED_FASTER))
def test_dpo_claim_verdict_per_frame(frame):
    a = analyze("dpo", parametrization=frame)
    v = a.verdict("dispreferred_faster")
    assert str(v.status) == EXPECTED_DISPREFERRED_FASTER[frame]
    assert not a.failures, a.failures
    if str(v.status) == "refuted":
        # The counterexample is a point with x1 > x2 on the frame where the speed
        # ratio is not above 1: re-check it with mpmath from the hand formula.
        point = {k: sp.Rational(str(val)) for k, val in v.counterexample.items()}
        X1, X2 = point["x1"], point["x2"]
        assert X1 > X2
        if frame != "softmax:2":
            r = dpo_velocity_ratio_by_hand(frame).subs({x1: X1, x2: X2})
            with mpmath.workdps(50):
                assert mpmath.mpf(sp.N(r, 60)) <= 1


def test_dpo_log_frame_region_is_below_diagonal():
    f = analyze("dpo", parametrization="log").field
    for a, b, expected in ((0.2, 0.7, True), (0.7, 0.2, False), (0.5, 0.5, False)):
        assert bool(f.region_ratio_gt_1.subs({x1: a, x2: b})) is expected


def test_analyze_json_in_a_frame_has_the_probability_keys():
    code, out, err = run("analyze", "dpo", "--parametrization", "log", "--json")
    assert code == 0, err
    data = json.loads(out)
    code, base, _ = run("analyze", "dpo", "--json")
    assert set(json.loads(base)) <= set(data)
    names = {n: sp.Symbol(n, positive=True) for n in ("x1", "x2", "beta", "r_w", "r_l")}
    ratio = sp.sympify(data["ratio"], locals=names)
    assert sp.simplify(ratio - names["x2"] / names["x1"]) == 0
    assert data["parametrization"]["name"] == "log"
    # d_x1 stays the loss's partial dL/dx1 (the frame changes the velocity, not L)
    d1 = sp.sympify(data["d_x1"], locals=names)
    d1_base = sp.sympify(json.loads(base)["d_x1"], locals=names)
    assert sp.simplify(d1 - d1_base) == 0


@pytest.mark.parametrize("bad", ["nope", "softmax:1", "softmax:x", "x1 = a"])
def test_bad_parametrization_names_exit_2(bad):
    code, out, err = run("analyze", "dpo", "--parametrization", bad)
    assert code == 2
    assert err.startswith("dpo-proofs: error:") and err.count("\n") == 1


def test_unsafe_parametrization_is_rejected_without_running_it():
    with pytest.raises((UnsafeExpression, InvalidArgument)):
        get_parametrization("x1 = __import__('os').system('echo hi'), x2 = b")
    with pytest.raises(InvalidArgument):
        get_parametrization("x1 = exp(a), x2 = exp(b) where beta > 0")


def test_frames_cli_json_side_by_side():
    code, out, err = run("frames", "dpo", "--parametrizations", "probability,log", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert set(data["dpo"]) == {"probability", "log"}
    statuses = {f: {v["claim"]: v["status"] for v in data["dpo"][f]["verdicts"]}
                for f in data["dpo"]}
    assert statuses["probability"]["dispreferred_faster"] == "proved"
    assert statuses["log"]["dispreferred_faster"] == "refuted"


def test_frames_over_workers_gives_the_same_verdicts():
    """Variants side by side (--jobs 2) decide exactly what one process decides."""
    def verdicts(jobs):
        code, out, err = run("frames", "dpo", "ipo", "--parametrizations", "probability,log",
                             "--json", "--quiet", "--jobs", jobs)
        assert code == 0, err
        data = json.loads(out)
        return {(v, f, x["claim"]): (x["status"], x["method"]) for v in data
                for f in data[v] for x in data[v][f]["verdicts"]}
    assert verdicts("2") == verdicts("1")


def test_a_user_map_s_image_is_derived_and_claims_hold_on_it():
    # sigmoid(t) lies in (0, 1): no parameter reaches x1 = 1, where DPO's frame
    # velocity (x1*(1 - x1))**2 * dL/dx1 vanishes; so dL/dx1 < 0 holds in the frame.
    from dpo_proofs import Status, check, get_parametrization
    frame = get_parametrization("x1 = sigmoid(t1), x2 = sigmoid(t2)")
    assert frame.domain == sp.And(x1 < 1, x2 < 1)
    assert get_parametrization("x1 = exp(a), x2 = exp(b)").domain == sp.true
    assert check("d_x1 < 0", "dpo", frame=frame).status is Status.PROVED


def test_a_gradient_far_below_the_loss_is_confirmed_in_a_frame():
    """cpo in the log frame at beta = 1000, x2 = 1e-300: d_x2 is about 7e-300076 beside
    L = alpha*log(x1) + ... of size 0.5, so any finite difference of L(x(theta)) sees 0
    (at 60 to 960 digits). The complex step of the composite confirms it; a check too
    coarse to see a true value must not report the derivation as failed."""
    import sympy as sp

    from dpo_proofs import get_variant
    from dpo_proofs.field.frames import get_parametrization
    from dpo_proofs.field.in_frame import field_of
    from dpo_proofs.numerics.confirm import REQUIRED_DIGITS
    from dpo_proofs.numerics.velocity import confirm_velocity

    loss, frame = get_variant("cpo"), get_parametrization("log")
    f = field_of(loss, frame)
    point = {"x1": sp.Rational(3, 5), "x2": sp.Rational(1, 10**300), "beta": sp.Integer(1000),
             "alpha": sp.Integer(1)}
    checks = confirm_velocity(loss, frame, f.d_x1.closed_form, f.d_x2.closed_form, [point])
    d_x2 = next(c for c in checks if c.quantity == "d_x2")
    assert d_x2.digits >= REQUIRED_DIGITS and "complex step" in d_x2.method
    assert "e-300076" in d_x2.symbolic and "e-300076" in d_x2.numerical


def test_the_frame_confirmation_leaves_out_the_kinks_of_the_loss():
    """softmax:2 puts a point at x1 = x2 = 1/2; for dpop (max(0, log(r_w/x1)), r_w = 1/2)
    and balanced_po (a piece boundary at x1/r_w = (x2/r_l)^-alpha) that is a kink, where
    L has no derivative and a central difference averages the one-sided ones (dpop:
    -0.3375 against the piece's -0.025). Such a point is not a confirmation point; the
    smooth losses keep it."""
    from dpo_proofs import analyze, get_variant
    from dpo_proofs.field.frames import get_parametrization
    from dpo_proofs.numerics.velocity import frame_points

    half = {"x1": sp.Rational(1, 2), "x2": sp.Rational(1, 2)}
    frame = get_parametrization("softmax:2")
    for name in ("dpop", "balanced_po"):
        points = frame_points(get_variant(name), frame)
        assert not any(all(p[k] == v for k, v in half.items()) for p in points), name
        assert analyze(name, parametrization="softmax:2").failures == (), name
    dpo_points = frame_points(get_variant("dpo"), frame)
    assert any(all(p[k] == v for k, v in half.items()) for p in dpo_points)

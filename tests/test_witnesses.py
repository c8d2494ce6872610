"""Counterexamples a reader believes: realizable, moderate, short, at the defaults first.

The claims here are not the built-in ones (the catalogue's own witnesses are checked in
test_catalogue); each expectation is worked out by hand in the test's comment.
"""
from __future__ import annotations

import signal

import pytest
import sympy as sp

from dpo_proofs import Status, check, get_variant
from dpo_proofs.verdicts.claim_text import claim_from_text
from dpo_proofs.verdicts.problem import reduce_claim
from dpo_proofs.verdicts.witnesses import (PHASES, SCREENS, YIELD_ORDER, candidates,
                                           moderate, realizable, shrink)
from dpo_proofs.workers import for_each

R = sp.Rational


def _refuted(variant: str, text: str, domain: str | None = None, params=None):
    loss = get_variant(variant)
    verdict = check(claim_from_text(text, loss, domain), loss, params, budget=60)
    assert verdict.status is Status.REFUTED, verdict.evidence
    point = {k: R(v) for k, v in verdict.counterexample.items()}
    return loss, verdict, point


@pytest.mark.parametrize("variant, text, domain", [
    # DPO: R = x1/x2 (equal references), so R > 2 fails wherever 1 < x1/x2 <= 2
    ("dpo", "ratio > 2", "x1 > x2"),
    # cDPO (eps = 0.1): dL/dx1 = beta*(sigmoid(h) - (1 - eps))/x1 > 0 once sigmoid(h) > 0.9,
    # i.e. h > log 9: beta*log(x1/x2) > 2.2 needs x1/x2 > e^22 at beta = 0.1: an extreme
    # ratio at the defaults, but a moderate one once beta is moved (beta = 10: x1/x2 > 1.25)
    ("cdpo", "d_x1 < 0", None),
    # SimPO with n_w = n_l = 1 is R = x1/x2, so R >= 1 fails only below the diagonal
    ("simpo", "ratio >= 1", None),
])
def test_witnesses_are_realizable_and_moderate(variant, text, domain):
    loss, verdict, point = _refuted(variant, text, domain)
    assert realizable(point), point                  # x1 + x2 <= 1 and r_w + r_l <= 1
    assert all(R(1, 10**6) <= point[n] <= 1 - R(1, 10**6)
               for n in ("x1", "x2", "r_w", "r_l") if n in point), point
    assert moderate(point) and verdict.details["witness"] == "moderate"
    # short coordinates: no 1e-300, no 30-digit near-ties
    assert all(len(v) <= 12 for v in verdict.counterexample.values()), verdict.counterexample


def test_a_constant_the_failure_needs_is_named_and_the_defaults_decided():
    # SimPO: R = (n_w/n_l)*(x1/x2) (hand: d/dx of beta*log(x)/n), so R > 1 on x1 > x2
    # holds at the defaults n_w = n_l = 1 and fails for n_l > n_w at x1/x2 < n_l/n_w.
    loss, verdict, point = _refuted("simpo", "ratio > 1", "x1 > x2")
    assert point["n_l"] > point["n_w"], point
    assert verdict.details["constants_moved"] == ["n_l"]
    assert verdict.details["at_defaults"] == "proved"
    assert "holds at the defaults" in verdict.evidence and "n_l = " in verdict.evidence


def test_a_claim_failing_only_at_extremes_says_so():
    # DPO: dL/dx2 = beta*sigmoid(-h)/x2 <= 0.1/x2 at beta = 0.1, so dL/dx2 < 10**7 fails
    # only where x2 < 1e-8: no moderate point can refute it
    loss, verdict, point = _refuted("dpo", "d_x2 < 10**7", None, {"beta": "0.1"})
    assert point["x2"] < R(1, 10**6)
    assert verdict.details["witness"] == "extreme"
    assert "extreme point" in verdict.evidence and "moderate points tried first" in \
        verdict.evidence


def _provers_must_not_run(monkeypatch):
    import dpo_proofs.verdicts.engine as engine

    def refuse(problem):
        raise AssertionError("the provers ran on a claim the search had already refuted")
    monkeypatch.setattr(engine, "_decided", refuse)


def test_a_claim_failing_for_another_constant_is_refuted_before_the_provers(monkeypatch):
    # SimPO, R > 1 on x1 > x2: fails for n_l > n_w (see above); the sweep moves n_l alone
    # to 2 at (1/2, 1/3), where R = (1/2)*(3/2) = 3/4 < 1: no prover need run (they
    # took 5-8 s to fail on such claims in the softmax frame)
    _provers_must_not_run(monkeypatch)
    loss, verdict, point = _refuted("simpo", "ratio > 1", "x1 > x2")
    assert verdict.details["phase"] == "sweep" and point["n_l"] > point["n_w"], verdict.details
    assert moderate(point) and realizable(point)


def test_a_claim_failing_only_near_zero_skips_the_provers_and_keeps_its_witness(monkeypatch):
    # the extremes-only claim above: its violation is certified at a corner near (0, 0)
    # before the provers; the reported witness still comes from the extreme phase, after
    # every moderate phase found nothing
    _provers_must_not_run(monkeypatch)
    loss, verdict, point = _refuted("dpo", "d_x2 < 10**7", None, {"beta": "0.1"})
    assert verdict.details["phase"] == "extreme" and point["x2"] < R(1, 10**6)
    assert "moderate points tried first" in verdict.evidence


def test_no_witness_on_a_seam_of_a_piecewise_loss():
    # DPOP: L = -log sigmoid(h - lam*max(0, log(r_w/x1))) has a kink at x1 = r_w, where
    # dL/dx1 does not exist; R >= 2 fails at many points, none of them may be x1 = r_w
    # (the moderate grid contains 1/2 = r_w, so the search meets the seam first).
    loss, verdict, point = _refuted("dpop", "ratio >= 2", "x1 > x2")
    assert point["x1"] != point["r_w"], point


def test_shrink_moves_toward_defaults_and_short_rationals_only_while_it_fails():
    loss = get_variant("dpo")
    problem = reduce_claim(claim_from_text("ratio > 2", loss, "x1 > x2"), loss)
    calls = []

    def fails(p):  # R = x1/x2 at equal references: fails iff x1 <= 2*x2
        calls.append(p)
        return p["x1"] > p["x2"] and p["x1"] <= 2 * p["x2"]

    start = {"x1": R(123456789, 10**9), "x2": R(987654321, 10**10), "beta": R(7, 3),
             "r_w": R(1, 2), "r_l": R(1, 2)}
    out = shrink(start, problem, fails)
    assert out["beta"] == R(1, 10)                       # the default, restored
    assert fails(out) and len(str(out["x1"])) < len(str(start["x1"]))
    assert len(calls) <= 41                              # bounded by a count


def test_candidates_come_in_the_yield_order_the_search_stops_by():
    # the search stops at the first point past the last phase it asks for, so a point of
    # an earlier phase yielded late would never be tried
    loss = get_variant("simpo")
    problem = reduce_claim(claim_from_text("ratio > 1", loss, "x1 > x2"), loss)
    seen = [phase for phase, _ in candidates(problem, 20)]
    assert set(YIELD_ORDER) == set(PHASES) | set(SCREENS) == set(seen)
    positions = [YIELD_ORDER.index(p) for p in seen]
    assert positions == sorted(positions)


def _sigterm_disposition(item):
    return signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_pool_workers_die_on_sigterm_even_under_the_clis_handler():
    # The CLI turns SIGTERM into an exception so that its finally blocks run; forked
    # workers inherited that handler, and a run whose printer failed mid-way hung in
    # Pool.terminate waiting for a worker that turned the signal into an exception.
    # Workers keep no files of their own, so they take the default (die).
    previous = signal.signal(signal.SIGTERM, lambda *a: (_ for _ in ()).throw(SystemExit(143)))
    try:
        assert for_each(_sigterm_disposition, [0, 1], ["a", "b"], jobs=2) == [True, True]
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_a_clipped_loss_is_refuted_where_its_ratio_is_defined():
    # chi-PO clips its margin: where the clip is active both partials vanish and R is
    # 0/0 (a nan branch of R's Piecewise). Off the clip R = x1*(r_l + x2)/(x2*(r_w + x1))
    # (d/dx of log u + u is 1/x + 1/r): at x1 = 1/2, x2 = 1/3, r_w = 1/10, r_l = 1/2 this is
    # (1/2)(5/6)/((1/3)(3/5)) = 25/12 > 1, but with r_w = r_l, R > 1 exactly when x1 > x2.
    # The nan branch once made every candidate uncertifiable ("looked violated, skipped").
    loss = get_variant("chipo")
    verdict = check(claim_from_text("ratio < 1", loss, "x1 > x2"), loss, budget=60)
    assert verdict.status is Status.REFUTED, verdict.evidence
    p = {k: R(v) for k, v in verdict.counterexample.items()}
    ratio = p["x1"] * (p["r_l"] + p["x2"]) / (p["x2"] * (p["r_w"] + p["x1"]))
    assert p["x1"] > p["x2"] and ratio >= 1
    margin = p["beta"] * (sp.log(p["x1"] / p["r_w"]) + p["x1"] / p["r_w"]
                          - sp.log(p["x2"] / p["r_l"]) - p["x2"] / p["r_l"])
    assert abs(margin.evalf(30)) < 2 * p["R_max"]  # off the clip: R is defined there


def test_a_nan_branch_leaves_the_other_branches_certifiable():
    from dpo_proofs.numerics.certify import certified_sign
    x = sp.Symbol("x", positive=True)
    expr = sp.Piecewise((sp.nan, x > 1), (x - sp.Rational(1, 3), True))
    assert certified_sign(expr, {x: R(1, 2)}).sign == 1
    assert certified_sign(expr, {x: R(1, 4)}).sign == -1
    assert certified_sign(expr, {x: 2}) is None  # undefined there: no sign


def test_a_claim_false_only_off_the_realizable_set_is_decided_on_it():
    # DPO: R = x1/x2 <= (1 - x2)/x2 exactly when x1 + x2 <= 1: true for every pair of
    # responses to one prompt, false on the rest of the square (e.g. x1 = x2 = 3/4).
    loss = get_variant("dpo")
    verdict = check(claim_from_text("ratio <= (1 - x2)/x2", loss), loss, budget=60)
    assert verdict.status is Status.PROVED, verdict.evidence
    assert "realizable set" in verdict.evidence and verdict.details["realizable_only"]
    off = {k: R(v) for k, v in verdict.details["fails_off_it_at"].items()}
    assert off["x1"] + off["x2"] > 1 and off["x1"] > 1 - off["x2"]
    # ... while a claim that fails at a realizable point is still refuted there
    _, refuted, point = _refuted("dpo", "ratio <= (1 - 2*x2)/x2")
    assert point["x1"] + point["x2"] <= 1 and point["x1"] > 1 - 2 * point["x2"]


def test_a_violation_off_the_realizable_set_is_moved_onto_it_at_the_same_ratio():
    # DPO-Shift in the Gram frame, by hand: du/dt = s*G*(1, -lam) with s > 0, so the
    # margin rate is s*(a + lam*b - (1 + lam)*c), of the sign of a + lam*b - (1+lam)*c
    # whatever x1, x2. Its band of violations at the default lam = 0.95 is so narrow
    # (c within 4e-4 of sqrt(a*b) at b = 1.05a) that the search found one only with x1 + x2 > 1.
    verdict = check("margin_rate >= 0", "dpo_shift", frame="gram", budget=None)
    assert verdict.status is Status.REFUTED, verdict.evidence
    p = {k: R(v) for k, v in verdict.counterexample.items()}
    assert p["x1"] + p["x2"] <= 1 and p["r_w"] + p["r_l"] <= 1
    assert p["c"] ** 2 <= p["a"] * p["b"]
    assert p["a"] + p["lam"] * p["b"] - (1 + p["lam"]) * p["c"] < 0


@pytest.mark.parametrize("variant, claim", [("cdpo", "d_x1 < 0"), ("bpo_lsif", "loss < 0"),
                                            ("cal_dpo", "d_x2 > 0")])
def test_a_claim_failing_at_a_large_ratio_gets_a_moderate_witness(variant, claim):
    # Each fails on a lopsided part of the simplex, e.g. cdpo at beta = 1, r_w = r_l:
    # sigma(h) = x1/(x1 + x2), dL/dx1 = (beta/x1)*(eps*sigma(h) - (1 - eps)*sigma(-h)),
    # which at (1/2, 1/20), eps = 1/10 is 2*(1/11 - 9/110) = 1/55 > 0. The grid's pairs
    # (x1/x2 <= 7) miss it; the witness was x1 = 1e-30, x2 = 1e-300.
    params = {"beta": 1 if variant == "cdpo" else R(1, 10), "r_w": R(1, 2), "r_l": R(1, 2)}
    if variant == "cdpo":
        params["eps"] = R(1, 10)
    verdict = check(claim, variant, params=params, budget=None)
    assert verdict.status is Status.REFUTED
    point = {k: R(v) for k, v in verdict.counterexample.items()}
    assert R(1, 10**6) <= point["x1"] <= 1 - R(1, 10**6)
    assert R(1, 10**6) <= point["x2"] <= 1 - R(1, 10**6)
    assert point["x1"] + point["x2"] <= 1
    if variant == "cdpo":
        assert (point["x1"], point["x2"]) == (R(1, 2), R(1, 20))
        assert "-1/55" in str(verdict.evidence)


def test_a_redundant_half_plane_beside_the_frame_s_own_is_dropped():
    # softmax's domain is x1 + x2 < 1; "simplex" adds x1 + x2 <= 1, the same set
    both = check("ratio < 1 where simplex, x1 > x2", "dpo", frame="softmax", budget=None)
    assert both.status is Status.PROVED, both.evidence


def test_realizable_moves_keep_the_ratios():
    from dpo_proofs.verdicts.witnesses import realizable_moves

    moves = realizable_moves({"x1": "0.05", "x2": "1", "r_w": "0.75", "r_l": "0.5",
                              "beta": "2"})
    assert moves[0] == {"x1": R(1, 40), "x2": R(1, 2), "r_w": R(3, 8), "r_l": R(1, 4),
                        "beta": 2}
    assert moves[1]["x1"] + moves[1]["x2"] == 1 and moves[1]["x1"] / moves[1]["x2"] == R(1, 20)
    assert realizable_moves({"x1": "0.5", "x2": "0.25"}) == [{"x1": R(1, 2), "x2": R(1, 4)}]


def test_no_counterexample_where_the_loss_or_the_chart_is_undefined():
    from dpo_proofs.numerics.certify import undefined_at
    x = sp.Symbol("x", positive=True)
    assert undefined_at(sp.log(x / (1 - x)), {x: 1})      # the sigmoid map's chart
    assert undefined_at(sp.log(1 - x), {x: 1})
    assert not undefined_at(sp.log(x / (1 - x)), {x: R(1, 2)})
    assert not undefined_at(sp.log(x) - sp.log(1 - x), {x: R(1, 10**300)})


def test_exact_substitution_refuses_numbers_of_millions_of_digits():
    # exp(beta*log(q)) is q**beta to sympy: at beta = 1000, q = 1e-300 that is a
    # 300,000-digit rational per term (exo_pair's "loss >= 0" search grew to 23 GB).
    from dpo_proofs.numerics.certify import _exact_value
    b, q = sp.Symbol("b", positive=True), sp.Symbol("q", positive=True)
    assert _exact_value(sp.exp(b * sp.log(q)) - q**2, {b: 1000, q: R(1, 10**300)}) is None
    assert _exact_value(sp.exp(b * sp.log(q)) - q**2, {b: 2, q: R(1, 3)}) == 0


def test_the_api_reads_a_where_clause_in_the_frames_constants():
    verdict = check("v_w > 0 where c < a", "dpo", frame="gram")
    assert verdict.status is Status.PROVED, verdict.evidence


def test_refutation_where_sympy_decides_a_seam_is_never_crossed():
    """In the sigmoid map the speed ratio holds Abs((x1 - 1)**-2): sympy evaluates
    Eq((x1 - 1)**-2, 0) to False, which once crashed the seam test of every refutation
    in this frame. The seam is a difference certified nonzero at the point."""
    from dpo_proofs import check

    frame = "x1 = sigmoid(t1), x2 = sigmoid(t2)"
    v = check("ratio > 1", "dpo", frame=frame)
    assert str(v.status) == "refuted"
    x_1, x_2 = (sp.Rational(v.counterexample[n]) for n in ("x1", "x2"))
    # R = x2 (1 - x2)^2 / (x1 (1 - x1)^2) by hand, <= 1 at the witness
    assert x_2 * (1 - x_2) ** 2 / (x_1 * (1 - x_1) ** 2) <= 1
    assert str(check("ratio = x2*(1 - x2)**2/(x1*(1 - x1)**2)", "dpo",
                     frame=frame).status) == "proved"


def test_a_tight_claim_over_a_constant_range_is_decided_both_ways():
    """IPO (r_w = r_l): d_x1 = 2*(log(x1/x2) - 1/(2*beta))/x1 by hand, so on
    x1 <= 3*x2/2, d_x1 < 0 holds for every beta <= 1/(2*log(3/2)) = 1.233 and fails
    exactly on the boundary x1 = 3*x2/2 for larger beta. Over beta in [0.01, 1.2] the
    proof needs 1/(2*beta) >= 1/2.4 (the range as (0, 1.2], beta = 1.2/(1 + t)); over
    [0.01, 1.3] the witness lies on the domain's boundary, which the search must test
    exactly (at 30 digits x1 - 3*x2/2 at (1/2, 1/3) may round to either side)."""
    fixed = {"r_w": "0.5", "r_l": "0.5"}
    v = check("d_x1 < 0 where x1 <= 1.5*x2", "ipo", params={"beta": "0.01..1.2", **fixed})
    assert v.status is Status.PROVED, v.evidence
    v = check("d_x1 < 0 where x1 <= 1.5*x2", "ipo", params={"beta": "0.01..1.3", **fixed})
    assert v.status is Status.REFUTED, v.evidence
    point = {k: sp.Rational(x) for k, x in v.counterexample.items()}
    assert point["x1"] <= sp.Rational(3, 2) * point["x2"]
    assert sp.log(point["x1"] / point["x2"]) - 1 / (2 * point["beta"]) > 0   # by hand


def test_a_true_equality_is_searched_without_certifying_its_rounding_noise(monkeypatch):
    # DPO's R = x1/x2 - written here as log(x1) - log(x2) = log(R) - holds exactly on the
    # whole square, but at 30 digits the difference is rounding noise that changes with
    # the precision. The search reads such noise as 0: no point goes to certification
    # (which climbs the whole precision ladder in vain), and a false equality still does.
    import dpo_proofs.verdicts.search as search_module
    from dpo_proofs.verdicts.witnesses import PHASES

    certified = []
    original = search_module.certify_violation
    monkeypatch.setattr(search_module, "certify_violation",
                        lambda *a: certified.append(a) or original(*a))
    loss = get_variant("dpo")
    true = reduce_claim(claim_from_text("log(ratio) = log(x1) - log(x2)", loss), loss)
    verdict, _ = search_module.search(true, phases=PHASES[:1], tried={})
    assert verdict is None and certified == []
    false = reduce_claim(claim_from_text("log(ratio) = log(x1) - 2*log(x2)", loss), loss)
    verdict, _ = search_module.search(false, phases=PHASES[:1], tried={})
    assert verdict is not None and verdict.status is Status.REFUTED and len(certified) == 1

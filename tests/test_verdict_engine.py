"""The verdict engine: symbolic, certified interval and confirmed-counterexample verdicts."""
from __future__ import annotations

import json
from fractions import Fraction

import mpmath
import pytest
import sympy as sp

from dpo_proofs import Claim, Status, check, get_variant
from dpo_proofs.verdicts.claim_text import claim_from_text
from dpo_proofs.verdicts.engine import reduce_claim
from dpo_proofs.verdicts.intervals import Certificate, interval_prover, recheck
from dpo_proofs.loss.symbols import x1, x2
from cli_run import run

R = sp.Rational


def _ipo_claim():
    # IPO: dL/dx1 = (2*beta*log(r_l*x1/(r_w*x2)) - 1)/(beta*x1): its sign is not fixed by
    # the assumptions, so only interval arithmetic can prove it on this box.
    loss = get_variant("ipo")
    claim = claim_from_text("d_x1 < 0", loss, "x1 <= 1/2, x2 >= 2/5")
    return loss, claim, {"beta": "0.1", "r_w": "0.5", "r_l": "0.5"}


def test_interval_proof_with_a_certificate_that_rechecks():
    loss, claim, params = _ipo_claim()
    v = check(claim, loss, params, budget=30)
    assert v.status is Status.PROVED and v.method == "interval", v.evidence
    cert = v.details["certificate"]
    assert v.details["boxes"] > 0 and float(v.details["min_margin"]) > 0
    # Re-check independently of the search: rebuild the certificate and evaluate again.
    problem = reduce_claim(claim, loss, params)
    rebuilt = Certificate(tuple(cert["variables"]),
                          tuple((Fraction(a), Fraction(b)) for a, b in cert["root"]),
                          tuple((leaf.split(":")[1], leaf.split(":")[0])
                                for leaf in cert["leaves"]), cert["min_margin"])
    variables = [s for s in problem.variables if s.name in cert["variables"]]
    assert recheck(rebuilt, problem.expr, problem.op, problem.domain, variables)[0]
    # A certificate with a leaf removed no longer tiles the box: the re-check says so.
    broken = Certificate(rebuilt.variables, rebuilt.root, rebuilt.leaves[1:], "0")
    ok, why = recheck(broken, problem.expr, problem.op, problem.domain, variables)
    assert not ok and "tile" in why
    # A leaf marked 'in' where the claim fails is caught.
    flipped = Certificate(rebuilt.variables, rebuilt.root,
                          tuple((p, "in") for p, _ in rebuilt.leaves), "0")
    if any(kind == "out" for _, kind in rebuilt.leaves):
        assert not recheck(flipped, problem.expr, problem.op, problem.domain, variables)[0]


def test_false_claim_is_refuted_with_a_point_that_really_violates_it():
    loss = get_variant("cpo")
    claim = claim_from_text("ratio > 1", loss, "x1 > x2")
    v = check(claim, loss, {"beta": "0.1", "alpha": "1"}, budget=30)
    assert v.status is Status.REFUTED
    p = {k: mpmath.mpf(val) for k, val in v.counterexample.items()}
    assert set(p) >= {"x1", "x2"}
    with mpmath.workdps(50):
        # by hand: CPO's L = -logsig(b*log x1 - b*log x2) - a*log x1
        b, a, u, w = p["beta"], p["alpha"], p["x1"], p["x2"]
        s = 1 / (1 + mpmath.exp(b * mpmath.log(u) - b * mpmath.log(w)))  # sigma(-h)
        d1, d2 = -b * s / u - a / u, b * s / w
        assert u > w and abs(d2) / abs(d1) <= 1


def test_tight_claim_is_never_proved_by_intervals_alone():
    loss = get_variant("dpo")
    claim = claim_from_text("ratio > 1", loss, "x1 > x2")
    problem = reduce_claim(claim, loss, {"beta": "1", "r_w": "0.5", "r_l": "0.5"})
    v = interval_prover(problem, 3)
    assert v.status is Status.UNKNOWN
    assert v.details["undecided_boxes"] > 0 and "band" in v.evidence


@pytest.mark.parametrize("variant,claim,domain", [
    ("dpo", "ratio < 1", "x1 > x2"),
    ("ipo", "d_x1 < 0", ""),
    ("simpo", "ratio > 1", "x1 > x2"),
    ("dpo", "d_x1**2 + d_x2**2 < 1", "x1 >= 0.1, x2 >= 0.1"),
    ("apo_zero", "ratio >= 1", "x1 >= x2, simplex"),
])
def test_false_claims_never_come_back_proved(variant, claim, domain):
    loss = get_variant(variant)
    v = check(claim_from_text(claim, loss, domain or None), loss,
              {"beta": "0.01..10"} if "beta" in [p.name for p in loss.parameters] else {},
              budget=120)  # ~5 s alone; room for a loaded machine (xdist, CI)
    assert v.status is Status.REFUTED, v.evidence
    assert v.counterexample


def test_unbounded_constants_make_intervals_step_aside_with_a_reason():
    loss = get_variant("ipo")
    claim = claim_from_text("d_x1 < 0", loss, "x1 <= 1/2, x2 >= 2/5")
    v = interval_prover(reduce_claim(claim, loss, {}), 2)
    assert v.status is Status.UNKNOWN and "bounded range" in v.evidence


def test_cli_check_json_proved_and_refuted():
    code, out, _ = run("check", "dpo", "ratio > 1", "--domain", "x1 > x2", "--json")
    data = json.loads(out)
    assert code == 0 and data["status"] == "proved" and data["method"] == "symbolic"
    code, out, _ = run("check", "cpo", "ratio > 1", "--domain", "x1 > x2",
                       "--param", "beta=0.01..10", "--json")
    data = json.loads(out)
    assert code == 1 and data["status"] == "refuted"
    assert {"x1", "x2", "beta"} <= set(data["counterexample"])


@pytest.mark.parametrize("argv,needle", [
    (("check", "dpo", "ratio > 1", "--param", "beta=10..0.01"), "empty range"),
    (("check", "dpo", "ratio > 1", "--param", "beta=-1..2"), "beta"),
    (("check", "dpo", "__import__('os') > 1"), "__import__"),
    (("check", "dpo", "ratio > 1", "--domain", "x1.real > 0"), "attribute"),
])
def test_cli_check_bad_input_is_one_line_error(argv, needle):
    code, out, err = run(*argv)
    assert code == 2 and needle in err and "Traceback" not in err


def test_simplex_domain_is_respected():
    loss = get_variant("dpo")
    params = {"beta": "1", "r_w": "0.5", "r_l": "0.5"}
    on_simplex = check(claim_from_text("x1 + x2 < 3/2", loss, "simplex"), loss, params,
                       budget=60)
    assert on_simplex.status is Status.PROVED
    on_square = check(claim_from_text("x1 + x2 < 3/2", loss), loss, params, budget=60)
    assert on_square.status is Status.REFUTED


def test_ratio_bound_and_gradient_bound_claims():
    from dpo_proofs.verdicts.values import gradient_bounded, ratio_at_most

    dpo = get_variant("dpo")
    # R = x1/x2 <= 2 exactly where x1 <= 2 x2: proved there, refuted on the square
    assert check(ratio_at_most(2, sp.LessThan(x1, 2 * x2)), dpo).status is Status.PROVED
    refuted = check(ratio_at_most(2), dpo)
    assert refuted.status is Status.REFUTED
    cx = {k: mpmath.mpf(v) for k, v in refuted.counterexample.items()}
    assert cx["x1"] / cx["x2"] > 2
    # By hand |dL/dx1| <= beta/x1 and |dL/dx2| <= beta/x2: on [1/2, 1]^2 with beta = 1,
    # |grad L| <= 2*sqrt(2) < 3; it is not <= 1/10 there.
    params = {"beta": "1", "r_w": "0.5", "r_l": "0.5"}
    box = ((R(1, 2), 1), (R(1, 2), 1))
    assert check(gradient_bounded(3, box), dpo, params, budget=30).status is Status.PROVED
    assert check(gradient_bounded("0.1", box), dpo, params, budget=30).status is Status.REFUTED


def test_hypothesis_phase_finds_and_shrinks_a_violation():
    from dpo_proofs.verdicts.engine import _hypothesis_candidates

    loss = get_variant("dpo")
    problem = reduce_claim(claim_from_text("x1 - x2 < 1/2", loss), loss, {"beta": "1"})
    point = _hypothesis_candidates(problem, 5, lambda p: p["x1"] - p["x2"] >= R(1, 2))
    assert point is not None and point["x1"] - point["x2"] >= R(1, 2)

"""The verdict engine: symbolic, certified interval and confirmed-counterexample verdicts."""
from __future__ import annotations

import json
from fractions import Fraction

import mpmath
import pytest
import sympy as sp

from dpo_proofs import Claim, Status, check, get_variant
from dpo_proofs.verdicts.claim_text import claim_from_text
from dpo_proofs.verdicts.problem import reduce_claim
from dpo_proofs.verdicts.cover import Certificate, recheck
from dpo_proofs.verdicts.intervals import interval_prover
from dpo_proofs.loss.symbols import x1, x2
from cli_run import run

R = sp.Rational


def _ipo_claim():
    # IPO: dL/dx1 = (2*beta*log(r_l*x1/(r_w*x2)) - 1)/(beta*x1) < 0 where x1/x2 < e**5;
    # the symbolic prover reads it through log's monotonicity (K8), and the interval
    # prover certifies it on a box cover.
    loss = get_variant("ipo")
    claim = claim_from_text("d_x1 < 0", loss, "x1 <= 1/2, x2 >= 2/5")
    return loss, claim, {"beta": "0.1", "r_w": "0.5", "r_l": "0.5"}


def test_interval_proof_with_a_certificate_that_rechecks():
    loss, claim, params = _ipo_claim()
    assert check(claim, loss, params, budget=30).status is Status.PROVED
    v = interval_prover(reduce_claim(claim, loss, params))
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
    v = interval_prover(problem)
    assert v.status is Status.UNKNOWN
    assert v.details["undecided_boxes"] > 0 and "band" in v.evidence
    # the undecided boxes are mathematics in the evidence (x1 in [a, b]), typeset by
    # the printers, not text
    boxes = [p for p in v.evidence.parts if isinstance(p, sp.Interval)]
    assert boxes and all(b.start.is_Rational and b.start < b.end for b in boxes)
    assert "x1 in [" in v.evidence and "Interval(" not in v.evidence


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
    v = interval_prover(reduce_claim(claim, loss, {}))
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
    # On the square it fails only where x1 + x2 > 1, which no two responses to one prompt
    # reach: decided on the realizable set (proved), saying where it fails off it ...
    on_square = check(claim_from_text("x1 + x2 < 3/2", loss), loss, params, budget=60)
    assert on_square.status is Status.PROVED
    off = {k: sp.Rational(v) for k, v in on_square.details["fails_off_it_at"].items()}
    assert off["x1"] + off["x2"] >= sp.Rational(3, 2)
    # ... while a domain with no realizable point keeps its refutation there
    beyond = check(claim_from_text("x1 + x2 < 3/2", loss, "x1 >= 0.6, x2 >= 0.6"), loss,
                   params, budget=60)
    assert beyond.status is Status.REFUTED


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
    from dpo_proofs.verdicts.search import _hypothesis_candidates

    loss = get_variant("dpo")
    problem = reduce_claim(claim_from_text("x1 - x2 < 1/2", loss), loss, {"beta": "1"})
    point, note = _hypothesis_candidates(problem, lambda p: p["x1"] - p["x2"] >= R(1, 2))
    assert note is None
    assert point is not None and point["x1"] - point["x2"] >= R(1, 2)


# ---------------------------------------------------------------- certified refutations

def _dpo_check_json(claim: str, domain: str | None = None) -> dict:
    loss = get_variant("dpo")
    return check(claim_from_text(claim, loss, domain), loss, budget=600).to_json()


def test_a_true_claim_tight_to_1e_300_is_not_refuted():
    # log(x1 + 1e-300) - log(x1) = log(1 + 1e-300/x1) > 0 for every x1 > 0 (log is
    # increasing). At 60 and at 120 digits it evaluates to 0 for x1 >= 1e-30, which the
    # old two-precision "confirmation" took for a violation of '> 0'.
    v = _dpo_check_json("log(x1 + 1e-300) > log(x1)")
    assert v["status"] in ("proved", "unknown"), v["evidence"]


@pytest.mark.parametrize("claim,exact", [
    # false: log(x1) - log(x1 + 1e-300) = -log(1 + 1e-300/x1) < 0 everywhere (-log 2
    # at x1 = 1e-300, -1e-300 at x1 = 1): certified by an enclosure, not exactly
    ("log(x1 + 1e-300) < log(x1)", False),
    # false: x1 + 1e-200 > x1 is strictly true, so '<=' fails by 1e-200 (rational: exact)
    ("x1 + 1e-200 <= x1", True),
])
def test_a_false_claim_with_a_tiny_violation_is_refuted_at_a_certified_point(claim, exact):
    v = _dpo_check_json(claim)
    assert v["status"] == "refuted", v["evidence"]
    cx = v["counterexample"]
    point = {k: sp.Rational(text) for k, text in cx.items()}  # exact strings: read back
    # Re-evaluate by hand at 400 digits, independently of the package's enclosures.
    with mpmath.workdps(400):
        u = mpmath.mpf(point["x1"].p) / point["x1"].q
        tiny = mpmath.mpf(10) ** (-300 if "1e-300" in claim else -200)
        if "log" in claim:
            gap = mpmath.log(u) - mpmath.log(u + tiny)  # claim: gap > 0
        else:
            gap = u - (u + tiny)  # claim: gap >= 0
        assert gap < 0 and abs(gap) > mpmath.mpf(10) ** -390
    assert 0 < point["x1"] <= 1
    assert "certified with" in v["evidence"] or "exactly" in v["evidence"]
    details = v["details"]
    assert details["exact"] is exact
    if exact:
        assert sp.Rational(details["value_enclosure"]) == -R(1, 10**200)
    else:
        assert details["value_enclosure"].startswith("[") and details["certified_bits"] >= 256


def test_counterexample_strings_are_exact():
    from dpo_proofs.numerics.certify import exact_text

    for value in (R(1, 10**300), 1 - R(1, 10**20), R(10**30 + 1, 10**330), R(1, 3),
                  R(-7, 4), R(123456, 1000), R(5)):
        assert sp.Rational(exact_text(value)) == value
    assert exact_text(R(1, 10**300)) == "1e-300"
    assert exact_text(1 - R(1, 10**20)) == "0.99999999999999999999"
    assert exact_text(R(1, 3)) == "1/3"


def test_certified_sign_resolves_what_two_precisions_cannot_and_zero_is_exact():
    from dpo_proofs.numerics.certify import certified_sign, certify_violation
    from dpo_proofs.numerics.enclosure import enclose

    u, w = sp.symbols("x1 x2", positive=True)
    point = {"x1": R(1, 10**30), "x2": R(1, 10**30)}
    gap = sp.log(u + R(1, 10**300)) - sp.log(u)  # = 1e-270 (1 + O(1e-270)) at the point
    cert = certified_sign(gap, point)
    assert cert.sign == 1 and cert.bits > 256 and not cert.exact
    lo, hi = (mpmath.mpf(t) for t in cert.enclosure.strip("[]").split(", "))
    assert lo <= mpmath.mpf("1e-270") <= hi and hi / lo < 1.001
    # log(x1) - log(x2) at x1 = x2 is 0: certified only by exact evaluation
    zero = certified_sign(sp.log(u) - sp.log(w), point)
    assert zero.sign == 0 and zero.exact
    assert certify_violation(sp.log(u) - sp.log(w), ">", [], point) is not None
    assert certify_violation(sp.log(u) - sp.log(w), ">=", [], point) is None
    # the domain must be certified: x1 > x2 fails at x1 = x2 exactly
    assert certify_violation(-gap, ">", [sp.StrictGreaterThan(u, w)], point) is None
    assert certify_violation(-gap, ">", [sp.Eq(u, w)], point) is not None
    # a Piecewise whose condition straddles at low precision is undecided, not guessed
    from dpo_proofs.numerics.enclosure import Undecided

    pw = sp.Piecewise((1, u - w > R(1, 10**100)), (-1, True))
    near = {"x1": R(1, 2) + R(1, 10**99), "x2": R(1, 2)}
    with pytest.raises(Undecided):
        enclose(pw, near, 64)
    assert enclose(pw, near, 1024).a == 1


def test_enclosures_with_huge_exponents_print_outward_in_little_memory_and_time():
    """exp(1/x2) near x2 = 1e-12 has a binary exponent near 1.4e12: its ends are printed
    outward from mpmath's directed rounding (the exact value 2**exp would not fit in RAM),
    and each printed end lies on its side of the value."""
    from dpo_proofs.numerics.certify import _outward, certified_sign

    u = sp.Symbol("x2", positive=True)
    cert = certified_sign(sp.exp(1 / u), {"x2": R(1, 10**12)})
    assert cert.sign == 1 and not cert.exact
    lo, hi = (t for t in cert.enclosure.strip("[]").split(", "))
    # exp(1e12) = 10**(1e12 / ln 10) = 10**434294481903.25...
    assert lo.endswith("e434294481903") and hi.endswith("e434294481903")
    assert float(lo.split("e")[0]) <= float(hi.split("e")[0])
    big = mpmath.mpf(2) ** (-10**15)
    assert _outward(big._mpf_, up=False).endswith("e-301029995663982")
    # an enclosure through exp(exp(..)) can carry a binary exponent of 10**74 (fdpo_alpha
    # in a frame overflowed here): the ends are powers of ten on the right side of x
    with mpmath.workprec(400):
        log10_2 = mpmath.log10(2)
        for n in (10**74, -(10**74), 10**16 + 7, -(10**16) - 7):
            for sign in (0, 1):
                x = (sign, 3, n - 2, 2)   # (-1)**sign * 3 * 2**(n - 2), in [2**(n-1), 2**n)
                log10_x = mpmath.log10(3) + (n - 2) * log10_2
                for up in (False, True):
                    text = _outward(x, up=up)
                    assert text.lstrip("-").startswith("1e") and text.startswith("-") == bool(sign)
                    e = int(text.split("e")[1])
                    away = up == (sign == 0)
                    assert (e >= log10_x) if away else (e <= log10_x), (n, sign, up, text)
    # outward at moderate sizes, against exact rationals
    for text in ["1.2345678", "-1.2345678", "9.9999999", "100000", "-3e-40", "7e55"]:
        x = mpmath.mpf(text)
        sign, man, exp, _ = x._mpf_
        exact = (-1) ** sign * man * Fraction(2) ** exp
        down, up = Fraction(_outward(x._mpf_, up=False)), Fraction(_outward(x._mpf_, up=True))
        assert down <= exact <= up and up - down <= abs(exact) / 10**5 * 2


def _verdict_json(claim: str, domain: str | None, params: dict) -> str:
    loss = get_variant("dpo")
    return json.dumps(check(claim_from_text(claim, loss, domain), loss, params,
                            budget=600).to_json(), sort_keys=True)


def test_verdicts_are_identical_idle_and_loaded_and_in_a_thread():
    import threading

    args = ("ratio < 3", None, {"beta": "1", "r_w": "0.5", "r_l": "0.5"})  # R = x1/x2: false
    first = _verdict_json(*args)
    assert json.loads(first)["status"] == "refuted"
    assert _verdict_json(*args) == first
    stop = threading.Event()

    def burn():
        while not stop.is_set():
            sum(i * i for i in range(10_000))

    out: list[str] = []
    burner = threading.Thread(target=burn, daemon=True)
    worker = threading.Thread(target=lambda: out.append(_verdict_json(*args)))
    burner.start()
    worker.start()
    worker.join(600)
    stop.set()
    burner.join(10)
    assert out == [first]


def test_a_check_that_runs_out_of_budget_in_a_thread_is_unknown_not_a_traceback():
    import threading

    x = sp.Symbol("x1", positive=True)
    # A claim whose symbolic step is slow: a high power to expand and factor.
    loss = get_variant("dpo")
    claim = Claim("slow", sp.StrictGreaterThan((x + x2 + x * x2 + 3) ** 80 - x, 0))
    out = []
    worker = threading.Thread(target=lambda: out.append(check(claim, loss, budget=0.3)))
    worker.start()
    worker.join(30)
    assert not worker.is_alive() and len(out) == 1
    assert out[0].status is Status.UNKNOWN and "budget" in out[0].evidence


@pytest.mark.parametrize("variant, claim, params, status", [
    # SLiC-HF's hinge is flat where x1/x2 >= e**(1/(beta*delta_m)) = e: excluded by x1 >= 3*x2
    ("slic_hf", "d_x2 = 0 where x1 >= 3*x2", {"delta_m": "1"}, Status.PROVED),
    # ... but not by x1 >= 2*x2 (2 < e): there d_x2 = 1/x2 on 2 <= x1/x2 < e
    ("slic_hf", "d_x2 = 0 where x1 >= 2*x2", {"delta_m": "1"}, Status.REFUTED),
    # the hinge is active on all of x2 >= 1/1000 at beta = 1/10 (x1/x2 <= 1000 < e**10)
    ("hinge", "d_x1 = -beta/x1 where x2 >= 0.001",
     {"beta": "0.1", "r_w": "0.5", "r_l": "0.5"}, Status.PROVED),
    ("hinge", "d_x1 = -beta/x1 where x2 >= 0.00001",
     {"beta": "0.1", "r_w": "0.5", "r_l": "0.5"}, Status.REFUTED),
])
def test_a_piece_the_domain_excludes_is_proved_empty(variant, claim, params, status):
    v = check(claim, variant, params, budget=60)
    assert v.status is status, v.evidence
    if status is Status.PROVED:
        assert "the domain is empty" in v.evidence and v.details["kernel"] == "re-checked"

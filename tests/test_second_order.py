"""The Hessian in each frame, its decided facts, and the prover rules added with it.

Expectations are derived by hand here (DPO: det H = -beta^2 (1 - s)^2 / (x1 x2)^2 in
probability coordinates, with s = sigma(h); rank-one PSD in log coordinates) or computed
independently (mpmath second derivatives of L(x(theta)) by finite differences).
"""
from __future__ import annotations

import json
import subprocess
import sys

import mpmath
import pytest
import sympy as sp

from dpo_proofs import check, get_variant
from dpo_proofs.field.frames import get_parametrization
from dpo_proofs.field.hessian import hessian_of
from dpo_proofs.loss.functions import to_elementary
from dpo_proofs.loss.symbols import x1, x2
from dpo_proofs.verdicts.claim_text import claim_from_text
from dpo_proofs.verdicts.kernel import sign_set
from dpo_proofs.verdicts.second_order import second_order
from dpo_proofs.verdicts.values import Status, builtin_claims

POINTS = [(sp.Rational(3, 10), sp.Rational(1, 5)), (sp.Rational(1, 8), sp.Rational(5, 8)),
          (sp.Rational(2, 3), sp.Rational(1, 7))]


def _numeric_hessian(loss, frame_name, a, b):
    """d^2/dtheta_i dtheta_j of L(x(theta)) at the chart point, by mpmath.diff at 40 digits."""
    defaults = {p.symbol: p.default for p in loss.parameters}
    L = sp.lambdify((x1, x2), to_elementary(loss.expr).subs(defaults), "mpmath")
    frame = get_parametrization(frame_name)
    coords = frame.coordinates
    fwd = sp.lambdify(coords, frame.forward, "mpmath")
    chart = dict(frame.chart)
    with mpmath.workdps(40):
        theta0 = [mpmath.mpf(str(sp.N(chart[c].subs({x1: a, x2: b}), 50))) for c in coords]

    def composed(*t):
        full = list(t) + theta0[len(t):]
        u, v = fwd(*full)
        return L(u, v)
    with mpmath.workdps(40):
        out = {}
        for i, j in ((0, 0), (0, 1), (1, 1)):
            order = [0] * 2
            order[i] += 1
            order[j] += 1
            out[(i, j)] = mpmath.nstr(mpmath.diff(composed, theta0[:2], tuple(order)), 40)
    return out


@pytest.mark.parametrize("name,frame", [("dpo", "probability"), ("cpo", "log"),
                                        ("ipo", "softmax"), ("simpo", "softmax:2"),
                                        ("kto_pair", "log"), ("nca_pair", "probability")])
def test_hessian_entries_match_mpmath_second_derivatives(name, frame):
    loss = get_variant(name)
    H = hessian_of(loss, get_parametrization(frame))
    defaults = {p.symbol: p.default for p in loss.parameters}
    for a, b in POINTS:
        if frame == "softmax" and a + b >= 1:
            continue
        if frame == "softmax:2":
            b = 1 - a
        numeric = _numeric_hessian(loss, frame, a, b)
        for (i, j), entry in zip(((0, 0), (0, 1), (1, 1)), H.entries):
            exact = sp.N(entry.subs(defaults).subs({x1: a, x2: b}), 40)
            assert abs(exact - sp.Float(numeric[(i, j)], 40)) < 1e-20 * (1 + abs(exact))


def test_dpo_probability_hessian_is_indefinite_everywhere():
    loss = get_variant("dpo")
    H = hessian_of(loss)
    beta, r_w, r_l = (loss.parameter(n).symbol for n in ("beta", "r_w", "r_l"))
    h = beta * sp.log(x1 / r_w) - beta * sp.log(x2 / r_l)
    s = 1 / (1 + sp.exp(-h))
    by_hand = -beta**2 * (1 - s)**2 / (x1**2 * x2**2)
    for a, b in POINTS:
        at = {x1: a, x2: b, beta: sp.Rational(1, 3), r_w: sp.Rational(1, 2),
              r_l: sp.Rational(1, 4)}
        assert abs(sp.N((H.det - by_hand).subs(at), 30)) < 1e-25
    so = second_order(loss)
    assert so.convexity == "nowhere"
    assert so.verdicts[0].status is Status.PROVED and so.verdicts[0].proof is not None


def test_dpo_log_hessian_is_psd_of_rank_one_and_ipo_probability_is_not_convex():
    so = second_order(get_variant("dpo"), get_parametrization("log"))
    assert so.convexity == "rank one everywhere"
    assert so.status("hessian_singular") is Status.PROVED
    ipo = second_order(get_variant("ipo"))
    assert ipo.convexity == "not everywhere"
    refuted = [v for v in ipo.verdicts if v.status is Status.REFUTED]
    assert refuted and all(v.counterexample for v in refuted)


def test_check_takes_a_frame_and_the_hessian_quantities():
    run = [sys.executable, "-m", "dpo_proofs", "check"]
    out = subprocess.run(run + ["dpo", "hess_det < 0", "--json"], capture_output=True,
                         text=True)
    assert out.returncode == 0 and json.loads(out.stdout)["status"] == "proved"
    out = subprocess.run(run + ["dpo", "hess_det < 0", "--frame", "log", "--json"],
                         capture_output=True, text=True)
    verdict = json.loads(out.stdout)
    assert out.returncode == 1 and verdict["status"] == "refuted"   # det H = 0 there
    assert verdict["frame"] == "log"
    out = subprocess.run(run + ["dpo", "hess_det < 0", "--frame", "softmax:5"],
                         capture_output=True, text=True)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "5 coordinates" in out.stderr


def test_a_single_point_domain_is_found_softmax2_diagonal():
    """x1 = x2 on the edge x1 + x2 = 1 is the point (1/2, 1/2): the claim is not vacuous."""
    claim = next(c for c in builtin_claims() if c.name == "ratio_one_on_diagonal")
    for name in ("dpo", "simpo", "cdpo"):
        verdict = check(claim, get_variant(name), frame="softmax:2")
        assert verdict.status is Status.PROVED, verdict.evidence


def test_orpo_x1_increases_wherever_defined():
    """ORPO's dL/dx1 < 0 on the square except x1 = x2 = 1, where dL/dx1 has no value
    (its denominator 2 a b - a - b, a = x1^(1/n_w), b = x2^(1/n_l), vanishes)."""
    loss = get_variant("orpo")
    verdict = check(claim_from_text("d_x1 < 0", loss), loss)
    assert verdict.status is Status.PROVED
    assert verdict.details["undefined_where"] == "x1 = x2 = 1"
    on_simplex = check(claim_from_text("d_x1 < 0", loss, "simplex"), loss)
    assert on_simplex.status is Status.PROVED and "undefined_where" not in on_simplex.details
    assert type(verdict.proof).__name__ == "DefinedProof"           # a K7 certificate
    # the kernel re-checks it: the same certificate for DPO (defined at (1, 1)) and with
    # a part missing are refused
    from dpo_proofs.verdicts.certificates import DefinedProof, KernelError
    from dpo_proofs.verdicts.kernel import verify
    from dpo_proofs.verdicts.problem import constant_domains, reduce_claim
    problem = reduce_claim(claim_from_text("d_x1 < 0", loss), loss)
    domains = constant_domains(problem)
    assert verify(verdict.proof, problem.expr, problem.op, problem.domain, domains)
    with pytest.raises(KernelError):
        verify(DefinedProof("corner", verdict.proof.parts[:1]), problem.expr, problem.op,
               problem.domain, domains)
    dpo = get_variant("dpo")
    d = reduce_claim(claim_from_text("d_x1 < 0", dpo), dpo)
    with pytest.raises(KernelError, match="not undefined"):
        verify(verdict.proof, d.expr, d.op, d.domain, constant_domains(d))
    # a domain on which the claim is undefined everywhere is ill-posed, never proved
    nowhere = check(claim_from_text("d_x1 < 0", loss, "x1 = 1, x2 = 1"), loss)
    assert nowhere.status is Status.UNKNOWN and nowhere.method == "ill-posed"
    # the same claim for a loss that really fails is still refuted
    cpo = get_variant("cpo")
    assert check(claim_from_text("d_x2 < 0", cpo), cpo).status is Status.REFUTED


def test_kernel_power_relaxation_reads_the_side_of_one():
    s = sp.Symbol("s", positive=True)
    n = sp.Symbol("n", positive=True)
    c = sp.Symbol("c", real=True)
    assert sign_set((1 + s)**(-1 / n) - 1) == {-1}
    assert sign_set((1 + s)**(1 / n) - 1) == {1}
    assert sign_set(2 - (1 + s)**(1 / n)) == {-1, 0, 1}     # not fixed: s may be large
    assert sign_set((1 + s)**c - 1) == {-1, 0, 1}           # exponent of unknown sign

"""The catalogue against the frameworks' own code: each variant's derived partials vs
autograd of its TRL-style torch implementation (written from TRL's, the authors' or
NeMo-Aligner's code, not from the sympy), at points no derivation saw."""
from __future__ import annotations

import math
import random

import mpmath
import pytest
import sympy as sp

torch = pytest.importorskip("torch")

from dpo_proofs import get_variant  # noqa: E402
from dpo_proofs.field.in_frame import field_of  # noqa: E402
from dpo_proofs.loss.symbols import x1, x2  # noqa: E402
from dpo_proofs.testing.trl_losses import TRL_STYLE  # noqa: E402

NEW = ["sft", "alphapo", "chipo", "gpo_exp", "gpo_savage", "gpo_tq", "odpo", "flex_dpo",
       "bpo_ukl", "bpo_lsif", "bpo_sba", "balanced_po", "rpo_sq", "rpo_bwd_kl", "rpo_fwd_kl",
       "fdpo_alpha"]


def _autograd_partials(name, point, consts):
    """dL/dx from autograd: the implementations take log-probabilities, dL/dx = dL/du / x."""
    cw = torch.tensor(math.log(point["x1"]), dtype=torch.float64, requires_grad=True)
    cl = torch.tensor(math.log(point["x2"]), dtype=torch.float64, requires_grad=True)
    rw = torch.tensor(math.log(point["r_w"]), dtype=torch.float64)
    rl = torch.tensor(math.log(point["r_l"]), dtype=torch.float64)
    loss = TRL_STYLE[name](cw, cl, rw, rl, **consts)
    gw, gl = torch.autograd.grad(loss, (cw, cl), allow_unused=True)
    gw = 0.0 if gw is None else gw.item()
    gl = 0.0 if gl is None else gl.item()
    return gw / point["x1"], gl / point["x2"]


@pytest.mark.parametrize("name", NEW)
def test_partials_match_the_frameworks_code_through_autograd(name):
    loss = get_variant(name)
    field = field_of(loss)
    rng = random.Random(f"framework-{name}")
    compared = 0
    for _ in range(40):
        point = {"x1": rng.uniform(0.05, 0.95), "x2": rng.uniform(0.05, 0.95),
                 "r_w": rng.uniform(0.1, 0.9), "r_l": rng.uniform(0.1, 0.9)}
        consts = {}
        for p in loss.parameters:
            if p.name in ("r_w", "r_l"):
                continue
            if p.integer:
                consts[p.name] = rng.randint(1, 12)
            elif p.name in ("beta", "beta_w", "beta_l"):
                consts[p.name] = rng.uniform(0.05, 1.5)
            else:
                consts[p.name] = float(p.default)
        subs = {x1: point["x1"], x2: point["x2"]}
        for p in loss.parameters:
            subs[p.symbol] = point[p.name] if p.name in point else consts[p.name]
        with mpmath.workdps(30):
            derived = [complex(sp.N(e.subs(subs), 30)) for e in
                       (field.d_x1.closed_form, field.d_x2.closed_form)]
        if any(abs(d.imag) > 0 or not math.isfinite(d.real) for d in derived):
            continue  # at a kink (a Piecewise's undefined boundary) no partial exists
        auto = _autograd_partials(name, point, consts)
        for d, a in zip(derived, auto):
            assert a == pytest.approx(d.real, rel=1e-9, abs=1e-12), (point, consts)
        compared += 1
    assert compared >= 30, f"only {compared} points compared"


def test_every_catalogued_variant_has_a_framework_style_implementation():
    from dpo_proofs import CATALOGUE

    assert set(CATALOGUE) <= set(TRL_STYLE), set(CATALOGUE) - set(TRL_STYLE)


def test_alphapo_alias_without_alpha_is_simpo_in_trl_code():
    # TRL's 'alphapo' alias leaves alpha = 0, i.e. SimPO; alpha -> 0 of the catalogue's
    # AlphaPO gives SimPO's value (the limit, checked numerically on TRL-style code)
    cw, cl = torch.tensor(-3.0, dtype=torch.float64), torch.tensor(-5.0, dtype=torch.float64)
    simpo = TRL_STYLE["simpo"](cw, cl, None, None, beta=2.5, gamma=0.1, n_w=3, n_l=4)
    near = TRL_STYLE["alphapo"](cw, cl, None, None, beta=2.5, gamma=0.1, alpha=1e-7,
                                n_w=3, n_l=4)
    assert near.item() == pytest.approx(simpo.item(), rel=1e-5)

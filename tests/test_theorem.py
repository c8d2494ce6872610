"""The margin-loss class theorem and the computed classification of the catalogue."""
from __future__ import annotations

import io
import json

import sympy as sp

from dpo_proofs import CATALOGUE, is_margin_loss, margin_loss_theorem, user_loss
from dpo_proofs.cli import main
from dpo_proofs.field.in_frame import field_of as cached_field
from dpo_proofs.loss.symbols import x1, x2


def test_theorem_is_proved_with_every_step_zero():
    t = margin_loss_theorem()
    assert t.proved
    assert t.ratio_identity == 0 and t.radial == 0 and t.flow_derivative == 0
    beta = sp.Symbol("beta", positive=True)
    assert sp.simplify(t.d_x1_factor - beta / x1) == 0
    assert sp.simplify(t.d_x2_factor + beta / x2) == 0


def test_classification_is_computed_not_declared():
    # by hand: these are functions of h alone ...
    for name in ("dpo", "ipo", "hinge", "robust", "exo_pair", "discopop", "r_dpo"):
        assert is_margin_loss(CATALOGUE[name])[0], name
    # ... and these are not (an NLL term, per-response anchors, length normalisation)
    for name in ("cpo", "rpo", "apo_zero", "kto_pair", "simpo", "sppo_hard", "dpo_shift"):
        margin, reason = is_margin_loss(CATALOGUE[name])
        assert not margin and "not identically 0" in reason, name


def test_theorem_applies_to_every_margin_loss_of_the_catalogue():
    for name, loss in CATALOGUE.items():
        if not is_margin_loss(loss)[0]:
            continue
        f = cached_field(loss)
        ratios = [f.ratio] if not f.pieces else [p.ratio for _, p in f.pieces
                                                  if p.d_x1.closed_form != 0]
        for r in ratios:
            assert sp.simplify(r - x1 / x2) == 0, (name, r)
        assert f.conserved is not None and sp.simplify(f.conserved.expr - (x1**2 + x2**2)) == 0


def test_a_user_loss_of_the_ratio_is_a_margin_loss_and_one_with_nll_is_not():
    assert is_margin_loss(user_loss("(log(x1) - log(x2))**4"))[0]
    assert not is_margin_loss(user_loss("-logsigmoid(log(x1) - log(x2)) - log(x1)"))[0]


def test_cli_theorem_json():
    out = io.StringIO()
    assert main(["theorem", "--json"], out, io.StringIO()) == 0
    data = json.loads(out.getvalue())
    assert data["proved"] and data["variants"]["dpo"]["margin_loss"]
    assert data["variants"]["cpo"]["margin_loss"] is False

"""Framework conventions as data: each published reading of a loss, and the findings.

A loss name can mean different functions in different places: TRL changed what several
``loss_type`` names compute in its DPO refactor (e3b7897, PR #3906, first in v0.29), and
other frameworks sum where TRL averages. A *reading* is one of them, named
``VARIANT@CONVENTION`` (``fdpo_alpha@trl-0.28``); every command accepts the name.
A bare catalogue key is the catalogue's reading (its ``reading`` field says which);
``VARIANT@trl`` is what TRL runs today (the catalogue's own entry wherever TRL names it).

A *finding* records what a source says about two readings (the same function under a
parameter map, or different) and where it was said. The package never takes it on
trust: ``verdicts.sameness`` proves the identity or certifies a point where they differ.
Sources, read in snapshots: huggingface/trl a68fb89 (v0.28.0-63, the parent of the
refactor) and f2cd577 (2026-07, v1.9); OpenRLHF 3c3be62.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType

import sympy as sp

from .catalogue import CATALOGUE
from .constants import LABEL_SMOOTHING, N_W, R, alpha, eps_ls, log_u, param
from .functions import log_sigmoid, sigmoid
from .loss import STANDARD_PARAMETERS, Loss, margin
from .symbols import POSITIVE, beta, r_l, r_w, x1, x2

__all__ = ["CONVENTIONS", "Reading", "READINGS", "Finding", "FINDINGS"]

#: convention -> where it is read (framework, commit or version, file).
CONVENTIONS: MappingProxyType = MappingProxyType({
    "trl": "huggingface/trl f2cd577 (2026-07, v1.9; after the DPO refactor): what TRL runs "
           "today, trl/trainer/dpo_trainer.py and trl/experimental/cpo/cpo_trainer.py",
    "trl-0.28": "huggingface/trl a68fb89 (v0.28.0-63, the parent of the DPO refactor "
                "e3b7897 / PR #3906), trl/trainer/dpo_trainer.py",
    "paper": "the paper's own equation (or its authors' code)",
    "openrlhf": "OpenRLHF/OpenRLHF 3c3be62 (2026-08), openrlhf/models/loss.py DPOLoss",
    "bregman": "Bregman PO (arXiv:2505.19601): the loss written as its instance "
               "h'(R)*R - h(R) - h'(1/R) of R = exp(-beta*rho)",
    "trl-js": "huggingface/trl f2cd577 with f_divergence_type='js_divergence'",
})


@dataclass(frozen=True)
class Reading:
    """One framework's (or the paper's) version of a catalogued loss."""

    variant: str
    convention: str
    build: Callable[[], Loss]
    source: str

    @property
    def key(self) -> str:
        return f"{self.variant}@{self.convention}"

    def loss(self) -> Loss:
        """The reading as a Loss named by its key."""
        built = self.build()
        return Loss(self.key, built.expr, built.parameters, built.title, built.citation,
                    built.trl_name, built.reading, built.notes)


def _as(variant: str, reading: str, **changes) -> Callable[[], Loss]:
    """A builder: the catalogue entry ``variant`` with its reading text replaced."""
    def build() -> Loss:
        base = CATALOGUE[variant]
        return Loss(variant, changes.get("expr", base.expr),
                    changes.get("parameters", base.parameters), base.title, base.citation,
                    base.trl_name, reading)
    return build


def _fdpo_alpha_old() -> Loss:
    f = lambda u: (1 - u ** (-alpha)) / alpha  # noqa: E731
    return Loss(
        "fdpo_alpha", -log_sigmoid(beta * f(x1 / r_w) - beta * f(x2 / r_l)),
        (*STANDARD_PARAMETERS, param(alpha, POSITIVE, 1, "f_alpha_divergence_coef")),
        "f-DPO, alpha-divergence (TRL <= 0.28)", "arXiv:2309.16240", None,
        "a68fb89 dpo_loss: logits = (cap_exp(-alpha*log u_l) - cap_exp(-alpha*log u_w))/alpha, "
        "i.e. f'(u) = (1 - u^(-alpha))/alpha, default f_alpha_divergence_coef = 1.0 (the "
        "forward-KL form); the paper's parametrisation")


def _dpo_label_smoothing() -> Loss:
    h = margin()
    return Loss(
        "dpo", -(1 - eps_ls) * log_sigmoid(h) - eps_ls * log_sigmoid(-h),
        (*STANDARD_PARAMETERS, param(eps_ls, LABEL_SMOOTHING.domain, 0, LABEL_SMOOTHING
                                     .description)),
        "DPO with label_smoothing (TRL <= 0.28 'sigmoid')", "arXiv:2305.18290", "sigmoid",
        "a68fb89: -logsig(beta*logits)*(1 - label_smoothing) - logsig(-beta*logits)*"
        "label_smoothing, default label_smoothing = 0; current TRL ignores label_smoothing "
        "for 'sigmoid' without a warning")


def _apo_down_f(name: str, g, text: str) -> Callable[[], Loss]:
    def build() -> Loss:
        delta_score = beta * (g(x1 / r_w) - g(x2 / r_l))
        return Loss(
            "apo_down", sigmoid(beta * log_u(x1, r_w)) + 1 - sigmoid(delta_score),
            STANDARD_PARAMETERS, "APO-down under f_divergence_type=" + name,
            "arXiv:2408.06266", "apo_down", text)
    return build


def _rpo_v1() -> Loss:
    return Loss(
        "rpo", -alpha * log_sigmoid(margin()) - sp.log(x1) / N_W.symbol,
        (*STANDARD_PARAMETERS, param(alpha, POSITIVE, 1, "weight of the DPO term (v1)"), N_W),
        "DPO + NLL, paper v1", "arXiv:2404.19733v1", None,
        "RPO paper v1: alpha multiplied the DPO term, -alpha*logsig(h) - log(x1)/n_w; v3 "
        "(and TRL after PR #1904) put alpha on the NLL term (huggingface/trl#1868)")


def _dpop_outside() -> Loss:
    lam = CATALOGUE["dpop"].parameter("lam")
    return Loss(
        "dpop", -log_sigmoid(margin()) + lam.symbol * sp.Max(0, sp.log(r_w / x1)),
        CATALOGUE["dpop"].parameters, "DPOP with the penalty outside the sigmoid",
        "arXiv:2402.13228v1", None,
        "the additive 'outside' penalty -logsig(h) + lambda*max(0, log(r_w/x1)) that circulated "
        "before the July 2024 revision corrected the bracketing (abacusai/smaug#2)")


_HEAD = "huggingface/trl f2cd577 trl/trainer/dpo_trainer.py"
_OLD = "huggingface/trl a68fb89 trl/trainer/dpo_trainer.py"
_JS = lambda u: sp.log(u / (1 + u))  # noqa: E731  TRL's js score log sigma(log u)

_LIST = (
    Reading("fdpo_alpha", "trl-0.28", _fdpo_alpha_old, _OLD + ", dpo_loss L1119-1128"),
    Reading("fdpo_alpha", "paper", _fdpo_alpha_old, "arXiv:2309.16240 (as TRL <= 0.28)"),
    Reading("dpo", "trl-0.28", _dpo_label_smoothing, _OLD + ", dpo_loss L1152"),
    Reading("ipo", "trl", _as("ipo_mean", "TRL's 'ipo': scores divided by the completion "
                              "lengths, (log(x1/r_w)/n_w - log(x2/r_l)/n_l - 1/(2*beta))^2"),
            _HEAD + ", compute_loss L1440-1451"),
    Reading("ipo", "trl-0.28", _as("ipo_mean", "TRL <= 0.28 'ipo': all log-probs (policy and "
                                   "reference) divided by the lengths before the loss"),
            _OLD + ", concatenated_forward L1717"),
    Reading("ipo", "openrlhf", _as("ipo", "OpenRLHF DPOLoss(ipo=True): (logits - "
                                   "1/(2*beta))^2 on SUMMED log-probabilities"),
            CONVENTIONS["openrlhf"]),
    Reading("bco_pair", "trl", lambda: CATALOGUE["bco_pair"].with_parameters({"delta": 0}),
            _HEAD + ", compute_loss L1480-1483 (no running-mean delta)"),
    Reading("bco_pair", "trl-0.28", _as("bco_pair", "TRL <= 0.28: the detached running mean "
                                        "delta of the rewards subtracted"),
            _OLD + ", dpo_loss L1181-1191"),
    Reading("cpo", "trl", _as("cpo", "TRL CPOTrainer: -logsig(beta*(log x1 - log x2)) + "
                              "cpo_alpha*NLL with the NLL a token mean",
                              expr=-log_sigmoid(beta * sp.log(x1) - beta * sp.log(x2))
                              - alpha * sp.log(x1) / N_W.symbol,
                              parameters=(*CATALOGUE["cpo"].parameters, N_W)),
            _HEAD + ", cpo_trainer.py get_batch_loss_metrics"),
    Reading("apo_down", "trl-js", _apo_down_f(
        "js_divergence", _JS, "TRL HEAD with f_divergence_type='js_divergence': the second "
        "term uses the f-transformed delta_score, the first the raw log-ratio "
        "(huggingface/trl#6441; the fix PRs were closed unmerged)"),
        _HEAD + ", compute_loss L1522-1528"),
    Reading("apo_down", "trl-0.28", _as("apo_down", "TRL <= 0.28: both terms on raw "
                                        "log-ratios whatever f_divergence_type is"),
            _OLD + ", dpo_loss L1240-1245"),
    Reading("rpo", "paper", _rpo_v1, "arXiv:2404.19733v1"),
    Reading("dpo", "bregman", lambda: Loss(
        "dpo", sp.log(1 + sp.exp(-margin())), STANDARD_PARAMETERS, "Bregman PO, LR instance",
        "arXiv:2505.19601", None, "h(R) = [R log R - (1+R) log(1+R)]/2 gives log(1 + R), "
        "R = exp(-beta*rho) (Table 2, Code 1 mode 'DPO': losses = log(R + 1))"),
        "arXiv:2505.19601 Table 2 and Code 1"),
    Reading("dpop", "paper", _dpop_outside, "arXiv:2402.13228v1 / abacusai/smaug#2"),
)
#: key -> Reading.
READINGS: MappingProxyType = MappingProxyType({r.key: r for r in _LIST})


@dataclass(frozen=True)
class Finding:
    """What a source says about two readings; decided by ``verdicts.sameness``.

    ``stated`` is the source's claim: "same" (under ``parameter_map``, b's constants as
    expressions in a's) or "different". ``fixed_a`` / ``fixed_b`` fix constants first
    (a reading's own default, a mixture's weight).
    """

    key: str
    title: str
    source: str
    a: str
    b: str
    stated: str
    parameter_map: tuple[tuple[str, str], ...] = ()
    fixed_a: tuple[tuple[str, object], ...] = ()
    fixed_b: tuple[tuple[str, object], ...] = ()
    note: str = field(default="")


FINDINGS: tuple[Finding, ...] = (
    Finding("alpha-reparametrised", "TRL's alpha-divergence: the new alpha is the old 1 - alpha",
            "trl e3b7897 (PR #3906)", "fdpo_alpha", "fdpo_alpha@trl-0.28", "same",
            parameter_map=(("alpha", "1 - alpha"),)),
    Finding("alpha-same-coefficient", "the same f_alpha_divergence_coef before and after the "
            "refactor", "trl e3b7897 (PR #3906)", "fdpo_alpha", "fdpo_alpha@trl-0.28",
            "different"),
    Finding("alpha-default-changed", "the default alpha-divergence changed (1.0 -> 0.5)",
            "trl dpo_config.py at a68fb89 and f2cd577", "fdpo_alpha", "fdpo_alpha@trl-0.28",
            "different", fixed_a=(("alpha", R(1, 2)),), fixed_b=(("alpha", 1),)),
    Finding("sigmoid-label-smoothing", "'sigmoid' no longer applies label_smoothing",
            "trl e3b7897 (PR #3906)", "dpo", "dpo@trl-0.28", "different",
            note="same function exactly when label_smoothing = 0 (see sigmoid-eps-0)"),
    Finding("sigmoid-eps-0", "'sigmoid' unchanged at label_smoothing = 0",
            "trl e3b7897 (PR #3906)", "dpo", "dpo@trl-0.28", "same",
            parameter_map=(("eps", "0"),)),
    Finding("rpo-is-sigmoid-sft", "rpo_alpha = loss_type ['sigmoid', 'sft'] with "
            "loss_weights [1, rpo_alpha]", "trl DPOConfig rpo_alpha deprecation; "
            "docs/source/paper_index.md", "rpo", "sigmoid+sft", "same",
            fixed_a=(("alpha", 1),)),
    Finding("rpo-2405.16436", "RPO of arXiv:2405.16436 as TRL documents it",
            "trl docs/source/paper_index.md", "rpo", "sigmoid+0.005*sft", "same",
            fixed_a=(("alpha", R(1, 200)),)),
    Finding("rpo-v1-v3", "RPO: alpha on the DPO term (v1) or on the NLL (v3)",
            "huggingface/trl#1868, PR #1904", "rpo", "rpo@paper", "different"),
    Finding("bco-running-mean", "'bco_pair' no longer subtracts the running mean",
            "trl e3b7897 (PR #3906)", "bco_pair@trl", "bco_pair@trl-0.28", "different"),
    Finding("ipo-openrlhf-vs-trl", "OpenRLHF's IPO sums log-probabilities, TRL's averages",
            "OpenRLHF 3c3be62; trl f2cd577", "ipo@trl", "ipo@openrlhf", "different"),
    Finding("ipo-one-token", "the two IPO readings agree on one-token responses",
            "OpenRLHF 3c3be62; trl f2cd577", "ipo@openrlhf", "ipo@trl", "same",
            parameter_map=(("n_w", "1"), ("n_l", "1"))),
    Finding("apo-down-f-divergence", "TRL's apo_down applies the f-divergence to one of its "
            "two terms", "huggingface/trl#6441", "apo_down@trl-js", "apo_down@trl-0.28",
            "different"),
    Finding("cpo-nll-mean", "CPO's NLL: summed in the paper, a token mean in TRL",
            "arXiv:2401.08417; trl cpo_trainer.py", "cpo", "cpo@trl", "different"),
    Finding("dpop-bracketing", "DPOP: the penalty inside the sigmoid (corrected) or outside",
            "abacusai/smaug#2", "dpop", "dpop@paper", "different"),
    Finding("bpo-lr-is-dpo", "Bregman PO's LR ('BCE') instance log(1 + R) is DPO",
            "arXiv:2505.19601 Table 2", "dpo", "dpo@bregman", "same"),
)

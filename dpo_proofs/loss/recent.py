"""Per-pair losses published after the first catalogue (2024-2025), and TRL's ``sft`` term.

Each is built from its primary source (the paper's equation or the authors' code, and
TRL's code where TRL ships it); ``reading`` says which source and what was read. The
analysis is derived, never stored here. Sources were read at: huggingface/trl f2cd577
(2026-07), rycolab/odpo 6152f67; where a paper's text could not be checked the reading
says UNVERIFIED.
"""
from __future__ import annotations

import sympy as sp

from .constants import (N_L, N_W, R, REF_FREE_NOTE, alpha, beta_param, gamma, log_u, n_l,
                        n_w, param)
from .functions import log_sigmoid, sigmoid
from .loss import Loss, margin
from .symbols import POSITIVE, R_L, R_W, Parameter, beta, r_l, r_w, x1, x2

__all__ = ["RECENT_BUILDERS"]

#: beta^+ and beta^- of Flex-DPO: separate inverse temperatures of the two log-ratios.
beta_w = sp.Symbol("beta_w", positive=True)
beta_l = sp.Symbol("beta_l", positive=True)
#: chi-PO's reward bound R_max (the logit is clipped to [-2 R_max, 2 R_max]).
r_max = sp.Symbol("R_max", positive=True)
#: ODPO's score gap s_w - s_l > 0 of the pair (a datum of the pair, not a hyperparameter).
score_gap = sp.Symbol("ds", positive=True)
#: lambda of Bregman PO's SBA instance, in (-1, 0).
lam_s = sp.Symbol("lam_s", negative=True)
#: NeMo-Aligner's scaled reward-score gap g = eta*(r*_w - r*_l) of the pair.
reward_gap = sp.Symbol("g", real=True)


def _sft() -> Loss:
    return Loss(
        "sft", -sp.log(x1) / n_w, (N_W,), "Supervised fine-tuning term (NLL of y_w)",
        "TRL DPOTrainer loss_type 'sft'", "sft",
        "-(1/n_w)*log x1: TRL's 'sft' is the token-mean cross-entropy of the chosen "
        "completion; it does not depend on x2. A term of mixtures (RPO is sigmoid + sft, "
        "MPO sigmoid + bco_pair + sft)")


def _alphapo() -> Loss:
    def reward(x, n):  # R(p) = (1 - p^-alpha)/alpha at p = x^(1/n)
        return (1 - x ** (-alpha / n)) / alpha
    return Loss(
        "alphapo", -log_sigmoid(beta * (reward(x1, n_w) - reward(x2, n_l)) - gamma),
        (beta_param(R(5, 2)), param(gamma, POSITIVE, R(1, 10), "target margin (simpo_gamma)"),
         param(alpha, POSITIVE, R(1, 4), "alpha of the reward (1 - p^-alpha)/alpha"),
         N_W, N_L),
        "AlphaPO (alpha-shaped reward)", "arXiv:2501.03884", "alphapo",
        "TRL CPOTrainer loss_type='simpo' with alpha != 0 (the 'alphapo' alias sets "
        "cpo_alpha = 0 but leaves alpha at 0, i.e. SimPO, unless alpha is given): "
        "-logsig(beta*(R(p_w) - R(p_l)) - gamma), R(p) = (1 - p^(-alpha))/alpha, p = x^(1/n) "
        "the geometric-mean token probability, gamma = simpo_gamma not scaled by beta; the "
        "authors' code cites the paper's Eq. (4). Defaults: TRL's Mistral recipe alpha = "
        "0.25, beta = 2.5, simpo_gamma = 0.1. alpha > 0 only (the authors' alpha = -1, a "
        "linear reward, is outside this entry's domain); alpha -> 0 is SimPO; " + REF_FREE_NOTE)


def _chipo() -> Loss:
    def phi(u):  # the link of the mixed chi^2 + KL divergence, f'(u) = u + log u
        return u + sp.log(u)
    z = beta * phi(x1 / r_w) - beta * phi(x2 / r_l)
    return Loss(
        "chipo", -log_sigmoid(sp.Max(-2 * r_max, sp.Min(2 * r_max, z))),
        (beta_param(R(1, 20)), R_W, R_L,
         Parameter(r_max, POSITIVE, sp.Integer(1), "reward bound R_max (logit clipped to "
                   "[-2 R_max, 2 R_max])")),
        "chi-squared Preference Optimization (chi-PO)", "arXiv:2407.13399", None,
        "Algorithm 1: -logsig(clip_[-2R_max, 2R_max](beta*phi(x1/r_w) - beta*phi(x2/r_l))), "
        "phi(z) = z + log z; the clip is on the difference (the logit). UNVERIFIED against "
        "the PDF (read from two transcriptions that agree); no authors' code; R_max has no "
        "published default (1 here: rewards in [0, 1]), beta = 0.05 from the TL;DR runs")


def _gpo(name: str, f, title: str, text: str) -> Loss:
    return Loss(
        name, f(margin()), (beta_param(R(1, 10)), R_W, R_L), title, "arXiv:2402.05749", None,
        f"GPO (Tang et al.) f(beta*rho), rho = log(x1/r_w) - log(x2/r_l): {text}; no "
        "published default beta (swept per f; 0.1 as DPO's). Table UNVERIFIED against the "
        "PDF, read from a third-party implementation that agrees")


def _gpo_exp() -> Loss:
    return _gpo("gpo_exp", lambda h: sp.exp(-h), "GPO exponential loss", "f(z) = exp(-z)")


def _gpo_savage() -> Loss:
    return _gpo("gpo_savage", lambda h: sigmoid(-h) ** 2, "GPO Savage loss",
                "f(z) = 1/(1 + e^z)^2 = sigma(-z)^2 (not convex)")


def _gpo_tq() -> Loss:
    return _gpo("gpo_tq", lambda h: sp.Max(0, 1 - h) ** 2, "GPO truncated quadratic loss",
                "f(z) = max(0, 1 - z)^2")


def _odpo() -> Loss:
    return Loss(
        "odpo", -log_sigmoid(margin() - alpha * sp.log(score_gap)),
        (beta_param(R(1, 2)), R_W, R_L,
         param(alpha, POSITIVE, sp.Integer(1), "offset strength"),
         Parameter(score_gap, POSITIVE, sp.Integer(2),
                   "score gap s_w - s_l > 0 of the pair (a datum, not a hyperparameter)")),
        "DPO with an offset (ODPO)", "arXiv:2402.10571", None,
        "authors' code (rycolab/odpo trainers.py preference_loss): -logsig(beta*rho - "
        "alpha*log(s_w - s_l)) with summed log-probabilities and dataset scores s_w > s_l; "
        "the offset is not scaled by beta; alpha = 1 (config default), beta = 0.5 (TL;DR "
        "recipe); the gap 2 is an example datum")


def _flex_dpo() -> Loss:
    return Loss(
        "flex_dpo", -log_sigmoid(beta_w * log_u(x1, r_w) - beta_l * log_u(x2, r_l)),
        (Parameter(beta_w, POSITIVE, R(1, 10), "beta^+ on the chosen log-ratio"),
         Parameter(beta_l, POSITIVE, R(2, 25), "beta^- on the rejected log-ratio"), R_W, R_L),
        "Flex-DPO (separate beta for chosen and rejected)", "arXiv:2406.07327", None,
        "-logsig(beta^+*log(x1/r_w) - beta^-*log(x2/r_l)), beta^- lowered below beta^+ "
        "(0.1 and 0.08). UNVERIFIED: reconstructed from reviews of the paper (no code is "
        "public); beta^+ = beta^- is DPO")


def _bpo(name: str, loss_of_ratio, text: str, extra=()) -> Loss:
    ratio = sp.exp(-margin())  # the paper's R_theta = (x2 r_w / (x1 r_l))^beta
    return Loss(
        name, loss_of_ratio(ratio), (beta_param(R(1, 10)), R_W, R_L, *extra),
        f"Bregman Preference Optimization ({text.split(':')[0]})", "arXiv:2505.19601", None,
        "per pair h'(R)*R - h(R) - h'(1/R) with R = exp(-beta*rho) = (x2*r_w/(x1*r_l))^beta "
        f"(Alg. 1 and Code 1 of the paper; the official repo has only a README): {text}. "
        "beta = 0.1 (HH runs); the runs also clip R from below (>= 0.01), not part of this "
        "entry")


def _bpo_ukl() -> Loss:
    return _bpo("bpo_ukl", lambda r: r + sp.log(r),
                "KLIEP: h(R) = R log R - R (the unnormalised-KL generator, 'UKL'), loss "
                "R + log R (unbounded below)")


def _bpo_lsif() -> Loss:
    return _bpo("bpo_lsif", lambda r: r ** 2 - 2 / r,
                "LSIF: h(R) = (R - 1)^2, loss R^2 - 2/R (the extracted Table 2 prints R^2 - 2R; "
                "h' gives 2/R, as BA at lambda = 1 does)")


def _bpo_sba() -> Loss:
    return _bpo("bpo_sba", lambda r: (r ** (lam_s + 1) - (lam_s + 1) / lam_s * r ** (-lam_s))
                / (4 * (1 + lam_s)),
                "SBA: (R^(lambda+1) - ((lambda+1)/lambda)*R^(-lambda))/(4(1+lambda)), s = 4 "
                "(matches DPO's gradient at R = 1), lambda = -1/2 (the paper's default) in "
                "(-1, 0) where the loss is bounded below",
                (Parameter(lam_s, sp.Interval.open(-1, 0), R(-1, 2), "lambda of SBA"),))


def _balanced_po() -> Loss:
    z = beta * sp.Min(log_u(x1, r_w), -alpha * log_u(x2, r_l))
    return Loss(
        "balanced_po", -log_sigmoid(z),
        (beta_param(R(1, 10)), R_W, R_L,
         param(alpha, sp.Interval.Lopen(0, 1), R(3, 10), "gap adaptor alpha")),
        "Balanced Preference Optimization (balanced reward margin)", "arXiv:2506.03557", None,
        "-logsig(beta*min(log(x1/r_w), -alpha*log(x2/r_l))): the balanced margin min(r_w, "
        "-alpha*r_l) in the logistic loss (authors' train_dpo.py, sunlin-ai/BPO d882c0f; "
        "balance_factor = 0.3 hard-coded; its shipped config uses the hinge f instead)")


def _nemo(name: str, f, text: str) -> Loss:
    return Loss(
        name, f(margin(), reward_gap), (beta_param(R(1, 5)), R_W, R_L,
                                        Parameter(reward_gap, sp.Interval(-sp.oo, sp.oo),
                                                  sp.Integer(1), "g = eta*(r*_w - r*_l), the "
                                                  "scaled gap of the pair's reward scores")),
        "Reward-aware Preference Optimization (NeMo-Aligner " + name + ")",
        "arXiv:2406.11704 (Nemotron-4 340B); NVIDIA/NeMo-Aligner af2b3bd", None,
        f"{text}, h = beta*rho with beta = ref_policy_kl_penalty (0.2 in gpt_dpo.yaml), "
        "g = gt_reward_scale*(chosen_reward - rejected_reward) = 1 at the data defaults "
        "(1, 0); megatron_gpt_dpo_model.py loss_func")


def _rpo_sq() -> Loss:
    return _nemo("rpo_sq", lambda h, g: (h - g) ** 2, "(h - g)^2")


def _rpo_bwd_kl() -> Loss:
    return _nemo("rpo_bwd_kl", lambda h, g: sigmoid(g) * (log_sigmoid(g) - log_sigmoid(h))
                 + sigmoid(-g) * (log_sigmoid(-g) - log_sigmoid(-h)),
                 "KL(Bern sigma(g) || Bern sigma(h))")


def _rpo_fwd_kl() -> Loss:
    return _nemo("rpo_fwd_kl", lambda h, g: sigmoid(h) * (log_sigmoid(h) - log_sigmoid(g))
                 + sigmoid(-h) * (log_sigmoid(-h) - log_sigmoid(-g)),
                 "KL(Bern sigma(h) || Bern sigma(g))")


#: name -> builder, in the order the catalogue lists them (after the first wave).
RECENT_BUILDERS = {
    "sft": _sft, "alphapo": _alphapo, "chipo": _chipo, "gpo_exp": _gpo_exp,
    "gpo_savage": _gpo_savage, "gpo_tq": _gpo_tq, "odpo": _odpo, "flex_dpo": _flex_dpo,
    "bpo_ukl": _bpo_ukl, "bpo_lsif": _bpo_lsif, "bpo_sba": _bpo_sba,
    "balanced_po": _balanced_po, "rpo_sq": _rpo_sq, "rpo_bwd_kl": _rpo_bwd_kl,
    "rpo_fwd_kl": _rpo_fwd_kl,
}

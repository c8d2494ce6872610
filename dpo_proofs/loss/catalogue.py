"""The catalogue of DPO-family losses, each built from its published definition.

Names follow TRL's ``loss_type`` where one exists. Every entry is a per-pair loss
in x1 = pi(y_w|x), x2 = pi(y_l|x); the analysis of each is derived, never stored here.
Where a published formula admits more than one reading, ``reading`` says which one
was taken and why. Variants without a per-pair form are in NOT_PER_PAIR with the reason.
"""
from __future__ import annotations

from types import MappingProxyType

import sympy as sp

from .functions import log_sigmoid, sigmoid
from .not_per_pair import NOT_PER_PAIR
from .recent import RECENT_BUILDERS
from .loss import STANDARD_PARAMETERS, Loss, margin
from .constants import (LABEL_SMOOTHING, N_L, N_W, R, REF_FREE_NOTE,
                        UNIT_OPEN, alpha, beta_param, delta, eps_ls, gamma, lam, lambda_D,
                        lambda_U, log_u, n_l, n_w, param, tau, z0)
from .symbols import POSITIVE, R_L, R_W, Parameter, beta, r_l, r_w, x1, x2

__all__ = ["CATALOGUE", "NOT_PER_PAIR"]

def _dpo() -> Loss:
    return Loss(
        name="dpo",
        expr=-log_sigmoid(margin()),
        parameters=STANDARD_PARAMETERS,
        title="Direct Preference Optimization",
        citation="arXiv:2305.18290",
        trl_name="sigmoid",
        reading="-log sigma(beta*log(x1/r_w) - beta*log(x2/r_l)), Rafailov et al. Eq. 7",
        equivalent_forms=((
            "Feng et al. 2024 (arXiv:2404.04626), reduced form with K = (r_w/r_l)^beta",
            -sp.log(x1**beta / (x1**beta + (r_w / r_l) ** beta * x2**beta))),),
    )


def _cdpo() -> Loss:
    h = margin()
    return Loss(
        "cdpo", -(1 - eps_ls) * log_sigmoid(h) - eps_ls * log_sigmoid(-h),
        (*STANDARD_PARAMETERS, LABEL_SMOOTHING),
        "Conservative DPO (label smoothing)",
        "Mitchell 2023, ericmitchell.ai/cdpo.pdf (no arXiv id)", None,
        "-(1-eps)*logsig(h) - eps*logsig(-h); eps in [0, 1/2) (at 1/2 the loss is constant "
        "in x1/x2). Pre-refactor TRL 'sigmoid' with label_smoothing; current TRL 'sigmoid' "
        "no longer takes label_smoothing, so no TRL name is given")


def _robust() -> Loss:
    h = margin()
    return Loss(
        "robust", (-(1 - eps_ls) * log_sigmoid(h) + eps_ls * log_sigmoid(-h)) / (1 - 2 * eps_ls),
        (*STANDARD_PARAMETERS, LABEL_SMOOTHING),
        "Robust DPO (Chowdhury et al. 2024)", "arXiv:2403.00409", "robust",
        "[-(1-eps)*logsig(h) + eps*logsig(-h)]/(1-2*eps), eps in [0, 1/2) as in TRL 'robust'")


def _ipo() -> Loss:
    return Loss(
        "ipo", (log_u(x1, r_w) - log_u(x2, r_l) - 1 / (2 * beta)) ** 2,
        (beta_param(R(1, 10)), R_W, R_L), "Identity Preference Optimisation", "arXiv:2310.12036",
        None,
        "paper's sequence form with TRL's tau = beta: (log(x1/r_w) - log(x2/r_l) - "
        "1/(2*beta))^2 with SUMMED log-probabilities (eric-mitchell repo, ipo=True). TRL "
        "'ipo' averages per token: that reading is the variant 'ipo_mean'")


def _ipo_mean() -> Loss:
    return Loss(
        "ipo_mean", (log_u(x1, r_w) / n_w - log_u(x2, r_l) / n_l - 1 / (2 * beta)) ** 2,
        (beta_param(R(1, 10)), R_W, R_L, N_W, N_L), "IPO with per-token-averaged log-ratios",
        "arXiv:2310.12036", "ipo",
        "TRL/HALOs reading of IPO: log-ratios averaged over tokens, (log(x1/r_w)/n_w - "
        "log(x2/r_l)/n_l - 1/(2*beta))^2, tau = beta")


def _hinge() -> Loss:
    return Loss(
        "hinge", sp.Max(0, 1 - margin()), STANDARD_PARAMETERS,
        "SLiC hinge (RSO hinge-norm)", "arXiv:2305.10425; arXiv:2309.06657", "hinge",
        "TRL/RSO hinge-norm max(0, 1 - beta*(log(x1/r_w) - log(x2/r_l))), beta = 1/margin")


def _slic_hf() -> Loss:
    d = sp.Symbol("delta_m", positive=True)
    return Loss(
        "slic_hf", sp.Max(0, d - sp.log(x1) + sp.log(x2)) - lam * sp.log(x1),
        (Parameter(d, POSITIVE, sp.Integer(1), "hinge margin delta"),
         param(lam, POSITIVE, R(1, 10), "weight of the NLL term on y_w")),
        "SLiC-HF (calibration hinge + NLL)", "arXiv:2305.10425", None,
        "original SLiC-HF: max(0, delta - log x1 + log x2) - lambda*log x1 with summed "
        "log-probabilities, HALOs defaults delta=1, lambda=0.1; " + REF_FREE_NOTE)


def _simpo() -> Loss:
    return Loss(
        "simpo", -log_sigmoid(beta / n_w * sp.log(x1) - beta / n_l * sp.log(x2) - gamma),
        (beta_param(2), param(gamma, POSITIVE, R(1, 2), "target reward margin"), N_W, N_L),
        "Simple Preference Optimization", "arXiv:2405.14734", "simpo",
        "-logsig(beta/n_w*log x1 - beta/n_l*log x2 - gamma); repo default beta=2, "
        "gamma = 0.25*beta = 0.5; " + REF_FREE_NOTE)


def _cpo() -> Loss:
    return Loss(
        "cpo", -log_sigmoid(beta * sp.log(x1) - beta * sp.log(x2)) - alpha * sp.log(x1),
        (beta_param(R(1, 10)), param(alpha, POSITIVE, sp.Integer(1), "cpo_alpha, weight of NLL(y_w)")),
        "Contrastive Preference Optimization", "arXiv:2401.08417", None,
        "-logsig(beta*log x1 - beta*log x2) - cpo_alpha*log x1 (paper: summed NLL; TRL "
        "CPOTrainer loss_type='sigmoid' averages the NLL per token, i.e. cpo_alpha/n_w); "
        + REF_FREE_NOTE)


def _orpo() -> Loss:
    pw, pl = x1 ** (1 / n_w), x2 ** (1 / n_l)
    log_odds = lambda p: sp.log(p) - sp.log(1 - p)  # noqa: E731
    return Loss(
        "orpo", -sp.log(x1) / n_w - lam * log_sigmoid(log_odds(pw) - log_odds(pl)),
        (param(lam, POSITIVE, R(1, 10), "weight of the odds-ratio term (TRL beta)"), N_W, N_L),
        "Odds Ratio Preference Optimization", "arXiv:2403.07691", None,
        "-(1/n_w)*log x1 - lambda*logsig(log odds(x1^(1/n_w)) - log odds(x2^(1/n_l))), "
        "odds(p) = p/(1-p), p = geometric-mean token probability; undefined at x1 = 1 or "
        "x2 = 1 (odds infinite). TRL ORPOTrainer; " + REF_FREE_NOTE)


def _dpop() -> Loss:
    penalty = sp.Max(0, sp.log(r_w / x1))
    return Loss(
        "dpop", -log_sigmoid(beta * (log_u(x1, r_w) - log_u(x2, r_l) - lam * penalty)),
        (*STANDARD_PARAMETERS, param(lam, POSITIVE, sp.Integer(50), "DPOP penalty weight")),
        "DPO-Positive (Smaug)", "arXiv:2402.13228", None,
        "penalty INSIDE the sigmoid: -logsig(beta*(log(x1/r_w) - log(x2/r_l) - "
        "lambda*max(0, log(r_w/x1)))), the July 2024 corrected bracketing and PaddleNLP "
        "'dpop'; the 'outside' additive penalty and the sign-flipped community versions are "
        "not this entry")


def _r_dpo() -> Loss:
    return Loss(
        "r_dpo", -log_sigmoid(margin() + alpha * (n_w - n_l)),
        (*STANDARD_PARAMETERS, param(alpha, POSITIVE, R(1, 50), "length penalty weight"),
         N_W, N_L),
        "Length-regularised DPO (R-DPO, Park et al.)", "arXiv:2403.19159", None,
        "UNVERIFIED SIGN: -logsig(h + alpha*(n_w - n_l)) as tabulated in SimPO Table 3; no "
        "official code and third-party versions use -alpha*(n_w - n_l). Either way the "
        "shift is constant per pair, so the gradient analysis only moves the level sets")


def _kto_pair() -> Loss:
    return Loss(
        "kto_pair",
        lambda_D * (1 - sigmoid(beta * (log_u(x1, r_w) - z0)))
        + lambda_U * (1 - sigmoid(beta * (z0 - log_u(x2, r_l)))),
        (*STANDARD_PARAMETERS,
         param(z0, sp.Interval(0, sp.oo), 0, "detached KL reference point (batch statistic)"),
         param(lambda_D, POSITIVE, 1, "weight of desirable examples"),
         param(lambda_U, POSITIVE, 1, "weight of undesirable examples")),
        "Kahneman-Tversky Optimization on a pair", "arXiv:2402.01306", None,
        "paired use: lambda_D*(1-sigma(beta*(log(x1/r_w) - z0))) + lambda_U*(1-sigma(beta*"
        "(z0 - log(x2/r_l)))); z0 = clamp(batch mean log-ratio, min 0) is detached, so it is "
        "a parameter here. No TRL loss_type today: DPOTrainer's 'kto_pair' was removed in "
        "2024 (KTOTrainer is unpaired) and is not among f2cd577's loss types")


def _nca_pair() -> Loss:
    a, b = beta * log_u(x1, r_w), beta * log_u(x2, r_l)
    return Loss(
        "nca_pair", -log_sigmoid(a) - log_sigmoid(-a) / 2 - log_sigmoid(-b) / 2,
        (beta_param(R(1, 100)), R_W, R_L), "Noise Contrastive Alignment (pairwise)",
        "arXiv:2402.05369", "nca_pair",
        "-logsig(beta*log(x1/r_w)) - 1/2*logsig(-beta*log(x1/r_w)) - 1/2*logsig(-beta*log(x2/r_l))")


def _bco_pair() -> Loss:
    return Loss(
        "bco_pair",
        -log_sigmoid(beta * log_u(x1, r_w) - delta) - log_sigmoid(-(beta * log_u(x2, r_l) - delta)),
        (beta_param(R(1, 100)), R_W, R_L,
         Parameter(delta, sp.Interval(-sp.oo, sp.oo), sp.Integer(0),
                   "detached running mean of the rewards")),
        "Binary Classifier Optimization (pairwise)", "arXiv:2404.04656", "bco_pair",
        "-logsig(beta*log(x1/r_w) - delta) - logsig(delta - beta*log(x2/r_l)), delta detached "
        "(BCOTrainer); TRL DPOTrainer 'bco_pair' is delta = 0")


def _apo_zero() -> Loss:
    return Loss(
        "apo_zero", 1 - sigmoid(beta * log_u(x1, r_w)) + sigmoid(beta * log_u(x2, r_l)),
        STANDARD_PARAMETERS, "Anchored Preference Optimization (zero)", "arXiv:2408.06266",
        "apo_zero", "[1 - sigma(beta*log(x1/r_w))] + sigma(beta*log(x2/r_l))")


def _apo_down() -> Loss:
    return Loss(
        "apo_down", sigmoid(beta * log_u(x1, r_w)) + 1 - sigmoid(margin()),
        STANDARD_PARAMETERS, "Anchored Preference Optimization (down)", "arXiv:2408.06266",
        "apo_down", "sigma(beta*log(x1/r_w)) + [1 - sigma(h)]")


def _sppo_hard() -> Loss:
    return Loss(
        "sppo_hard",
        (log_u(x1, r_w) - 1 / (2 * beta)) ** 2 + (log_u(x2, r_l) + 1 / (2 * beta)) ** 2,
        (beta_param(R(1, 1000)), R_W, R_L), "Self-Play Preference Optimization (hard labels)",
        "arXiv:2405.00675", "sppo_hard",
        "(log(x1/r_w) - 1/(2*beta))^2 + (log(x2/r_l) + 1/(2*beta))^2, beta = 1/eta")


def _exo_pair() -> Loss:
    h = margin()
    e = sp.Symbol("eps", positive=True)
    return Loss(
        "exo_pair",
        sigmoid(h) * (log_sigmoid(h) - sp.log(1 - e)) + sigmoid(-h) * (log_sigmoid(-h) - sp.log(e)),
        (*STANDARD_PARAMETERS, Parameter(e, UNIT_OPEN, R(1, 1000), "label smoothing (> 0)")),
        "Efficient Exact Optimization (pairwise)", "arXiv:2402.00856", "exo_pair",
        "q_w*(log q_w - log(1-eps)) + q_l*(log q_l - log eps), q_w = sigma(h), q_l = sigma(-h)")


def _discopop() -> Loss:
    h = margin()
    s = sigmoid(h / tau)
    return Loss(
        "discopop", (1 - s) * (-log_sigmoid(h)) + s * sp.exp(-h),
        (beta_param(R(1, 20)), R_W, R_L, param(tau, POSITIVE, R(1, 20), "modulation temperature")),
        "DiscoPOP (log-ratio modulated loss)", "arXiv:2406.08414", "discopop",
        "(1 - sigma(h/tau))*(-logsig(h)) + sigma(h/tau)*exp(-h), h the DPO margin")


def _dpo_shift() -> Loss:
    return Loss(
        "dpo_shift", -log_sigmoid(beta * log_u(x1, r_w) - lam * beta * log_u(x2, r_l)),
        (*STANDARD_PARAMETERS, param(lam, sp.Interval.Lopen(0, 1), R(95, 100),
                                      "shift lambda on the rejected log-ratio")),
        "DPO-Shift", "arXiv:2502.07599", None,
        "fixed schedule: -logsig(beta*log(x1/r_w) - lambda*beta*log(x2/r_l)), lambda in (0, 1]")


def _bdpo() -> Loss:
    return Loss(
        "bdpo",
        -log_sigmoid(beta * log_u(x1, r_w) - beta * sp.log(lam * x2 / r_l + 1 - lam)),
        (*STANDARD_PARAMETERS, param(lam, sp.Interval.Lopen(0, 1), R(1, 2),
                                      "mixing weight of the policy in pi_mix")),
        "Bounded DPO", "arXiv:2506.12725", None,
        "UNVERIFIED (from the first author's blog, not the PDF): -logsig(beta*log(x1/r_w) - "
        "beta*log(pi_mix/r_l)), pi_mix = lambda*x2 + (1-lambda)*r_l; lambda = 1 is DPO")


def _f_dpo(name: str, fprime, title: str, reading: str, extra=()) -> Loss:
    return Loss(
        name, -log_sigmoid(beta * fprime(x1 / r_w) - beta * fprime(x2 / r_l)),
        (*STANDARD_PARAMETERS, *extra), title, "arXiv:2309.16240", None, reading)


def _f_dpo_js() -> Loss:
    return _f_dpo("fdpo_js", lambda u: sp.log(u / (1 + u)), "f-DPO, Jensen-Shannon",
                  "-logsig(beta*f'(u_w) - beta*f'(u_l)), f'(u) = log(u/(1+u)) (the constant "
                  "log 2 of JS cancels); TRL f_divergence_type='js_divergence'")


def _f_dpo_alpha() -> Loss:
    return _f_dpo("fdpo_alpha", lambda u: (u ** (alpha - 1) - 1) / (alpha - 1),
                  "f-DPO, alpha-divergence",
                  "f'(u) = (u^(alpha-1) - 1)/(alpha-1), alpha = f_alpha_divergence_coef = 1/2: "
                  "what TRL runs today (f2cd577; its docstring still says u^-alpha). The paper "
                  "and TRL up to 0.28 wrote (1 - u^(-alpha))/alpha with default alpha = 1: see "
                  "the reading fdpo_alpha@trl-0.28 (the same function with alpha -> 1 - alpha)",
                  (param(alpha, UNIT_OPEN, R(1, 2), "alpha of the alpha-divergence"),))


def _f_dpo_fkl() -> Loss:
    return _f_dpo("fdpo_forward_kl", lambda u: -1 / u, "f-DPO, forward KL",
                  "f'(u) = -1/u; TRL f_divergence_type='forward_kl'")


def _cal_dpo() -> Loss:
    a, b = log_u(x1, r_w), log_u(x2, r_l)
    return Loss(
        "cal_dpo",
        -log_sigmoid(a - b) + ((a - 1 / (2 * beta)) ** 2 + (b + 1 / (2 * beta)) ** 2) / 2,
        STANDARD_PARAMETERS, "Calibrated DPO", "arXiv:2412.14516", None,
        "official code: the logistic term has no beta; -logsig(log u_w - log u_l) + "
        "1/2*[(log u_w - 1/(2beta))^2 + (log u_l + 1/(2beta))^2]")


def _simper() -> Loss:
    return Loss(
        "simper", -x1 ** (1 / n_w) + x2 ** (1 / n_l), (N_W, N_L),
        "SimPER (perplexity-based, no hyperparameters)", "ICLR 2025 (arXiv id not checked)",
        None, "-x1^(1/n_w) + x2^(1/n_l); " + REF_FREE_NOTE)


def _rpo() -> Loss:
    return Loss(
        "rpo", -log_sigmoid(margin()) - alpha * sp.log(x1) / n_w,
        (*STANDARD_PARAMETERS, param(alpha, POSITIVE, sp.Integer(1), "weight of NLL(y_w)"),
         N_W),
        "DPO + NLL (RPO)", "arXiv:2404.19733", None,
        "-logsig(h) - (alpha/n_w)*log x1: v3 reading (alpha on the NLL term, as TRL after "
        "PR #1904); the NLL is length-normalised (mean over the n_w tokens of y_w), as in Pang "
        "et al. and TRL, not summed, which would overstate it by the factor n_w")


def _sigmoid_norm() -> Loss:
    return Loss(
        "sigmoid_norm",
        -log_sigmoid(beta * (log_u(x1, r_w) / n_w - log_u(x2, r_l) / n_l)),
        (*STANDARD_PARAMETERS, N_W, N_L), "Length-normalised DPO (Tulu 3)",
        "arXiv:2411.15124", "sigmoid_norm",
        "-logsig(beta*(log(x1/r_w)/n_w - log(x2/r_l)/n_l))")


_BUILDERS = {
    "dpo": _dpo, "cdpo": _cdpo, "robust": _robust, "ipo": _ipo, "ipo_mean": _ipo_mean,
    "hinge": _hinge, "exo_pair": _exo_pair, "nca_pair": _nca_pair, "sppo_hard": _sppo_hard,
    "discopop": _discopop, "bco_pair": _bco_pair, "r_dpo": _r_dpo,
    "simpo": _simpo, "cpo": _cpo, "orpo": _orpo, "dpop": _dpop, "apo_zero": _apo_zero,
    "apo_down": _apo_down, "kto_pair": _kto_pair, "dpo_shift": _dpo_shift, "bdpo": _bdpo,
    "fdpo_js": _f_dpo_js, "fdpo_alpha": _f_dpo_alpha, "fdpo_forward_kl": _f_dpo_fkl,
    "sigmoid_norm": _sigmoid_norm, "rpo": _rpo, "cal_dpo": _cal_dpo, "simper": _simper,
    "slic_hf": _slic_hf,
    **RECENT_BUILDERS,
}

#: name -> Loss, in catalogue order.
CATALOGUE: MappingProxyType = MappingProxyType({name: build() for name, build in _BUILDERS.items()})

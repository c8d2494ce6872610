"""Per-pair losses written the way TRL writes them (torch), for the training check.

Written from TRL's DPOTrainer / CPOTrainer loss code (``logits`` = the log-ratio margin,
``F.logsigmoid``, ``relu``), not from the catalogue's sympy expressions, so that a
training run compares the package's derived dynamics with an independent
implementation. Each takes the four log-probabilities and the catalogue's constant names.
They need torch (an optional extra) when called; importing this module does not.
"""
from __future__ import annotations

import math

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # torch is optional: train-check says how to install it
    torch = F = None

__all__ = ["TRL_STYLE", "torch"]


def _logits(cw, cl, rw, rl):
    return (cw - rw) - (cl - rl)


def sigmoid(cw, cl, rw, rl, beta):
    return -F.logsigmoid(beta * _logits(cw, cl, rw, rl))


def robust(cw, cl, rw, rl, beta, eps):
    z = beta * _logits(cw, cl, rw, rl)
    return (-F.logsigmoid(z) * (1 - eps) + F.logsigmoid(-z) * eps) / (1 - 2 * eps)


def cdpo(cw, cl, rw, rl, beta, eps):  # TRL's sigmoid with label_smoothing
    z = beta * _logits(cw, cl, rw, rl)
    return -F.logsigmoid(z) * (1 - eps) - F.logsigmoid(-z) * eps


def hinge(cw, cl, rw, rl, beta):
    return torch.relu(1 - beta * _logits(cw, cl, rw, rl))


def ipo(cw, cl, rw, rl, beta):
    return (_logits(cw, cl, rw, rl) - 1 / (2 * beta)) ** 2


def simpo(cw, cl, rw, rl, beta, gamma, n_w, n_l):  # CPOTrainer, loss_type="simpo"
    logits = cw / n_w - cl / n_l
    return -F.logsigmoid(beta * logits - gamma)


def cpo(cw, cl, rw, rl, beta, alpha):  # CPOTrainer: sigmoid on the policy alone + NLL
    return -F.logsigmoid(beta * (cw - cl)) - alpha * cw


def rpo(cw, cl, rw, rl, beta, alpha, n_w):  # sigmoid + rpo_alpha * NLL per token
    return -F.logsigmoid(beta * _logits(cw, cl, rw, rl)) - alpha * cw / n_w


def dpo_shift(cw, cl, rw, rl, beta, lam):  # the rejected log-ratio scaled by lambda
    return -F.logsigmoid(beta * ((cw - rw) - lam * (cl - rl)))


def nca_pair(cw, cl, rw, rl, beta):
    chosen, rejected = beta * (cw - rw), beta * (cl - rl)
    return (-F.logsigmoid(chosen) - 0.5 * F.logsigmoid(-chosen)
            - 0.5 * F.logsigmoid(-rejected))


def apo_zero(cw, cl, rw, rl, beta):
    chosen, rejected = beta * (cw - rw), beta * (cl - rl)
    return (1 - torch.sigmoid(chosen)) + torch.sigmoid(rejected)


def ipo_mean(cw, cl, rw, rl, beta, n_w, n_l):  # TRL's ipo: log-ratios averaged per token
    return ((cw - rw) / n_w - (cl - rl) / n_l - 1 / (2 * beta)) ** 2


def exo_pair(cw, cl, rw, rl, beta, eps):
    z = beta * _logits(cw, cl, rw, rl)
    return (torch.sigmoid(z) * (F.logsigmoid(z) - math.log(1 - eps))
            + torch.sigmoid(-z) * (F.logsigmoid(-z) - math.log(eps)))


def sppo_hard(cw, cl, rw, rl, beta):
    a, b = cw - rw, cl - rl
    return (a - 0.5 / beta) ** 2 + (b + 0.5 / beta) ** 2


def discopop(cw, cl, rw, rl, beta, tau):
    logits = beta * _logits(cw, cl, rw, rl)
    modulation = torch.sigmoid(logits / tau)
    return -F.logsigmoid(logits) * (1 - modulation) + torch.exp(-logits) * modulation


def bco_pair(cw, cl, rw, rl, beta, delta):  # delta: the running mean of the rewards
    chosen, rejected = beta * (cw - rw), beta * (cl - rl)
    return -F.logsigmoid(chosen - delta) - F.logsigmoid(-(rejected - delta))


def r_dpo(cw, cl, rw, rl, beta, alpha, n_w, n_l):  # length term as the catalogue reads it
    return -F.logsigmoid(beta * _logits(cw, cl, rw, rl) + alpha * (n_w - n_l))


def orpo(cw, cl, rw, rl, lam, n_w, n_l):  # ORPOTrainer: per-token mean log-probs
    mw, ml = cw / n_w, cl / n_l
    log_odds = (mw - ml) - (torch.log1p(-torch.exp(mw)) - torch.log1p(-torch.exp(ml)))
    return -mw - lam * F.logsigmoid(log_odds)


def dpop(cw, cl, rw, rl, beta, lam):
    penalty = torch.relu(rw - cw)
    return -F.logsigmoid(beta * (_logits(cw, cl, rw, rl) - lam * penalty))


def apo_down(cw, cl, rw, rl, beta):
    chosen, rejected = beta * (cw - rw), beta * (cl - rl)
    return torch.sigmoid(chosen) + 1 - torch.sigmoid(chosen - rejected)


def kto_pair(cw, cl, rw, rl, beta, z0, lambda_D, lambda_U):  # z0: the detached KL term
    return (lambda_D * (1 - torch.sigmoid(beta * ((cw - rw) - z0)))
            + lambda_U * (1 - torch.sigmoid(beta * (z0 - (cl - rl)))))


def bdpo(cw, cl, rw, rl, beta, lam):  # the rejected likelihood mixed with the reference's
    mixed = torch.log(lam * torch.exp(cl - rl) + 1 - lam)
    return -F.logsigmoid(beta * (cw - rw) - beta * mixed)


def fdpo_js(cw, cl, rw, rl, beta):
    return -F.logsigmoid(beta * (F.logsigmoid(cw - rw) - F.logsigmoid(cl - rl)))


def fdpo_alpha(cw, cl, rw, rl, beta, alpha):  # TRL f2cd577: scores exp((a-1)*d)/(a-1)
    score = lambda d: torch.exp((alpha - 1) * d) / (alpha - 1)  # noqa: E731
    return -F.logsigmoid(beta * (score(cw - rw) - score(cl - rl)))


def fdpo_forward_kl(cw, cl, rw, rl, beta):
    return -F.logsigmoid(beta * (torch.exp(rl - cl) - torch.exp(rw - cw)))


def sigmoid_norm(cw, cl, rw, rl, beta, n_w, n_l):
    return -F.logsigmoid(beta * ((cw - rw) / n_w - (cl - rl) / n_l))


def cal_dpo(cw, cl, rw, rl, beta):
    a, b = cw - rw, cl - rl
    return -F.logsigmoid(a - b) + 0.5 * (a - 1 / (2 * beta)) ** 2 + 0.5 * (b + 1 / (2 * beta)) ** 2


def simper(cw, cl, rw, rl, n_w, n_l):  # reference-free: per-token mean probabilities
    return -torch.exp(cw / n_w) + torch.exp(cl / n_l)


def slic_hf(cw, cl, rw, rl, delta_m, lam):
    return torch.relu(delta_m - (cw - cl)) - lam * cw


def sft(cw, cl, rw, rl, n_w):  # DPOTrainer 'sft': token-mean NLL of the chosen completion
    return -cw / n_w


def alphapo(cw, cl, rw, rl, beta, gamma, alpha, n_w, n_l):  # CPOTrainer simpo with alpha
    chosen_probs, rejected_probs = torch.exp(cw / n_w), torch.exp(cl / n_l)
    chosen = (1 - chosen_probs.pow(-alpha)) / alpha
    rejected = (1 - rejected_probs.pow(-alpha)) / alpha
    logits = (chosen - rejected) - gamma / beta
    return -F.logsigmoid(beta * logits)


def chipo(cw, cl, rw, rl, beta, R_max):  # Algorithm 1: the clipped mixed-chi^2 logit
    phi = lambda d: torch.exp(d) + d  # noqa: E731  phi(u) = u + log u at u = e^d
    z = beta * (phi(cw - rw) - phi(cl - rl))
    return -F.logsigmoid(torch.clamp(z, -2 * R_max, 2 * R_max))


def gpo_exp(cw, cl, rw, rl, beta):
    return torch.exp(-beta * _logits(cw, cl, rw, rl))


def gpo_savage(cw, cl, rw, rl, beta):
    return torch.sigmoid(-beta * _logits(cw, cl, rw, rl)) ** 2


def gpo_tq(cw, cl, rw, rl, beta):
    return torch.relu(1.0 - beta * _logits(cw, cl, rw, rl)) ** 2


def odpo(cw, cl, rw, rl, beta, alpha, ds):  # rycolab/odpo preference_loss with offset
    return -F.logsigmoid(beta * _logits(cw, cl, rw, rl) - alpha * math.log(ds))


def flex_dpo(cw, cl, rw, rl, beta_w, beta_l):
    return -F.logsigmoid(beta_w * (cw - rw) - beta_l * (cl - rl))


def _bregman_ratio(cw, cl, rw, rl, beta):  # the paper's Code 1: R = exp(-beta*logits)
    return torch.exp(-beta * _logits(cw, cl, rw, rl))


def bpo_ukl(cw, cl, rw, rl, beta):
    R = _bregman_ratio(cw, cl, rw, rl, beta)
    return R + torch.log(R)


def bpo_lsif(cw, cl, rw, rl, beta):
    R = _bregman_ratio(cw, cl, rw, rl, beta)
    return R ** 2 - 2 / R


def bpo_sba(cw, cl, rw, rl, beta, lam_s):
    R = _bregman_ratio(cw, cl, rw, rl, beta)
    return (R ** (lam_s + 1) - ((lam_s + 1) / lam_s) * R ** (-lam_s)) / (4 * (1 + lam_s))


def balanced_po(cw, cl, rw, rl, beta, alpha):  # sunlin-ai/BPO train_dpo.py
    logits = torch.min(cw - rw, alpha * (rl - cl))
    return -F.logsigmoid(beta * logits)


def rpo_sq(cw, cl, rw, rl, beta, g):  # NeMo-Aligner loss_func
    return (beta * _logits(cw, cl, rw, rl) - g) ** 2


def _bernoulli_kl(p_logit, q_logit):  # KL(Bern sigma(p) || Bern sigma(q))
    return (torch.sigmoid(p_logit) * (F.logsigmoid(p_logit) - F.logsigmoid(q_logit))
            + torch.sigmoid(-p_logit) * (F.logsigmoid(-p_logit) - F.logsigmoid(-q_logit)))


def rpo_bwd_kl(cw, cl, rw, rl, beta, g):
    return _bernoulli_kl(torch.as_tensor(g, dtype=cw.dtype), beta * _logits(cw, cl, rw, rl))


def rpo_fwd_kl(cw, cl, rw, rl, beta, g):
    return _bernoulli_kl(beta * _logits(cw, cl, rw, rl), torch.as_tensor(g, dtype=cw.dtype))


#: catalogue name -> TRL-style implementation
TRL_STYLE = {"dpo": sigmoid, "robust": robust, "cdpo": cdpo, "hinge": hinge, "ipo": ipo,
             "simpo": simpo, "cpo": cpo, "rpo": rpo, "dpo_shift": dpo_shift,
             "nca_pair": nca_pair, "apo_zero": apo_zero, "ipo_mean": ipo_mean,
             "exo_pair": exo_pair, "sppo_hard": sppo_hard, "discopop": discopop,
             "bco_pair": bco_pair, "r_dpo": r_dpo, "orpo": orpo, "dpop": dpop,
             "apo_down": apo_down, "kto_pair": kto_pair, "bdpo": bdpo, "fdpo_js": fdpo_js,
             "fdpo_alpha": fdpo_alpha, "fdpo_forward_kl": fdpo_forward_kl,
             "sigmoid_norm": sigmoid_norm, "cal_dpo": cal_dpo, "simper": simper,
             "slic_hf": slic_hf, "sft": sft, "alphapo": alphapo, "chipo": chipo,
             "gpo_exp": gpo_exp, "gpo_savage": gpo_savage, "gpo_tq": gpo_tq, "odpo": odpo,
             "flex_dpo": flex_dpo, "bpo_ukl": bpo_ukl, "bpo_lsif": bpo_lsif,
             "bpo_sba": bpo_sba, "balanced_po": balanced_po, "rpo_sq": rpo_sq,
             "rpo_bwd_kl": rpo_bwd_kl, "rpo_fwd_kl": rpo_fwd_kl}

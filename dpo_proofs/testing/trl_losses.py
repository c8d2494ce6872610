"""Per-pair losses written the way TRL writes them (torch), for the training check.

Written from TRL's DPOTrainer / CPOTrainer loss code (``logits`` = the log-ratio margin,
``F.logsigmoid``, ``relu``), not from the catalogue's sympy expressions, so that a
training run compares the package's derived dynamics with an independent
implementation. Each takes the four log-probabilities and the catalogue's constant names.
They need torch (an optional extra) when called; importing this module does not.
"""
from __future__ import annotations

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


#: catalogue name -> TRL-style implementation
TRL_STYLE = {"dpo": sigmoid, "robust": robust, "cdpo": cdpo, "hinge": hinge, "ipo": ipo,
             "simpo": simpo, "cpo": cpo, "rpo": rpo, "dpo_shift": dpo_shift,
             "nca_pair": nca_pair, "apo_zero": apo_zero}

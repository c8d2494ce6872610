"""PyTorch implementations in TRL's style, correct and planted-wrong (used by the tests)."""
import torch
import torch.nn.functional as F


def dpo(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps,
        beta=0.1):
    logits = (policy_chosen_logps - ref_chosen_logps) - (policy_rejected_logps - ref_rejected_logps)
    return -F.logsigmoid(beta * logits)


def ipo(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps,
        beta=0.1):
    logits = (policy_chosen_logps - ref_chosen_logps) - (policy_rejected_logps - ref_rejected_logps)
    return (logits - 1 / (2 * beta)) ** 2


def cpo(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps,
        beta=0.1, alpha=1.0):
    # reference-free: the ref log-probabilities are ignored
    logits = policy_chosen_logps - policy_rejected_logps
    return -F.logsigmoid(beta * logits) - alpha * policy_chosen_logps


def dpo_sign_flipped(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps,
                     ref_rejected_logps, beta=0.1):
    logits = (policy_chosen_logps - ref_chosen_logps) + (policy_rejected_logps - ref_rejected_logps)
    return -F.logsigmoid(beta * logits)


def dpo_beta_misplaced(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps,
                       ref_rejected_logps, beta=0.1):
    logits = beta * (policy_chosen_logps - ref_chosen_logps) - (policy_rejected_logps - ref_rejected_logps)
    return -F.logsigmoid(logits)


def dpo_naive(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps,
              beta=0.1):
    # log(sigmoid(z)) written naively: underflows to log(0) for large negative margins
    logits = (policy_chosen_logps - ref_chosen_logps) - (policy_rejected_logps - ref_rejected_logps)
    return -torch.log(torch.sigmoid(beta * logits))


# Another argument order (HALOs / some repos): (chosen, ref_chosen, rejected, ref_rejected).
def dpo_reordered(chosen_logps, ref_chosen_logps, rejected_logps, ref_rejected_logps, beta=0.1):
    return -F.logsigmoid(beta * ((chosen_logps - ref_chosen_logps)
                                 - (rejected_logps - ref_rejected_logps)))


class PairTrainer:
    """A trainer whose loss is a method, its constant on the object (as TRL's is)."""

    def __init__(self, beta: float):
        self.beta = beta

    def dpo_loss(self, policy_chosen_logps, policy_rejected_logps, reference_chosen_logps,
                 reference_rejected_logps):
        logits = (policy_chosen_logps - reference_chosen_logps) - (
            policy_rejected_logps - reference_rejected_logps)
        return -F.logsigmoid(self.beta * logits)


trainer = PairTrainer(beta=0.1)

"""Published DPO-family losses with no per-pair form, and why (listed, not faked)."""
from __future__ import annotations

from types import MappingProxyType

__all__ = ["NOT_PER_PAIR"]

#: Variants with no per-pair form, and why (listed, not faked).
NOT_PER_PAIR: MappingProxyType = MappingProxyType({
    "aot": "AOT (arXiv:2406.05882, TRL 'aot') sorts log(x1/x2) and log(r_w/r_l) separately "
           "across the batch: each pair's loss depends on the other pairs' quantiles",
    "aot_unpaired": "AOT unpaired (TRL 'aot_unpaired') sorts log(x1/r_w) and log(x2/r_l) "
                    "across the batch: batch coupling, no per-pair function",
    "beta_dpo": "beta-DPO (arXiv:2407.08639) sets beta per batch from margin statistics and "
                "filters pairs; per pair with beta_b detached it is DPO with beta = beta_b",
    "tdpo": "TDPO (arXiv:2404.11999) needs sequential token-level KL over the full "
            "vocabulary, not a function of (x1, x2)",
    "wpo": "WPO (arXiv:2406.11827) weights DPO by detached token-level weights; per pair it "
           "is a positive multiple of DPO",
    "spo": "SPO (arXiv:2405.00747) has a global KL regulariser over the output distribution",
    "ld_dpo": "LD-DPO (arXiv:2409.06411) reweights the tokens of the longer response's tail",
    "tr_dpo": "TR-DPO (arXiv:2404.09656) moves the reference model during training",
    "ddro": "DDRO (arXiv:2505.07558) estimates the density ratio of the preferred to the "
            "unpreferred output distribution from unpaired (KTO-style) data: its objective "
            "is not a function of one pair's (x1, x2)",
    "balanced_dpo": "Balanced-DPO (arXiv:2502.20847) reweights DPO's chosen and rejected "
                    "gradient terms with detached per-pair coefficients: per pair it is a "
                    "reweighting of DPO's gradient, not a new loss of (x1, x2); the formula "
                    "was not verified in a primary source",
    "tpo": "TPO (Triple Preference Optimization, arXiv:2405.16681) uses three responses per "
           "prompt (gold, preferred, rejected): a function of three probabilities, not of one "
           "pair",
})

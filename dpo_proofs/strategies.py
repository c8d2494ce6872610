"""Hypothesis strategies (kept at ``dpo_proofs.strategies``; they live in ``testing``)."""
from .numerics.strategies import *  # noqa: F401,F403
from .numerics.strategies import __all__  # noqa: F401

"""Hypothesis strategies (kept at ``dpo_proofs.strategies``; they live in ``testing``)."""
from .testing.strategies import *  # noqa: F401,F403
from .testing.strategies import __all__  # noqa: F401

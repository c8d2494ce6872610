"""The pytest11 entry point (``dpo_proofs.pytest_plugin``); the plugin lives in ``testing``."""
from .testing.pytest_plugin import *  # noqa: F401,F403
from .testing.pytest_plugin import dpo_assert, dpo_snapshot, pytest_addoption  # noqa: F401

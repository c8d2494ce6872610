"""Test configuration: hypothesis profiles and a clean mpmath precision per test.

HYPOTHESIS_PROFILE=ci (set by .ci/run) runs more examples than the default ``dev``;
``thorough`` is for a long run by hand.
"""
import os

import mpmath
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=200, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# tests/impls holds implementations the tests load (some import torch, an optional extra);
# they are data, not tests, so --doctest-modules must not import them: without torch the
# import fails as a collection error. The test files that need torch skip with the reason.
collect_ignore = ["impls"]


@pytest.fixture(autouse=True)
def _reset_mpmath_precision():
    # Global mp.dps leaks between tests (mpmath's own conftest does the same).
    mpmath.mp.dps = 15
    yield
    mpmath.mp.dps = 15

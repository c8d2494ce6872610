"""Time budgets stop a derivation that would not terminate in time."""
import time

import pytest
import sympy as sp

import dpo_proofs
from dpo_proofs.budget import time_budget


def test_budget_interrupts_pure_python_work():
    start = time.monotonic()
    with pytest.raises(dpo_proofs.DerivationTimeout, match="budget"):
        with time_budget(0.2, "spinning"):
            while True:
                pass
    assert time.monotonic() - start < 2


def test_analyze_returns_unknown_when_budget_runs_out():
    x1, x2 = dpo_proofs.x1, dpo_proofs.x2
    # A loss whose canonical form is slow: a high power of a sum to expand and factor.
    slow = dpo_proofs.Loss("slow", sp.log(1 + (x1 + x2 + x1 * x2 + 3) ** 60 * sp.exp(x1 * x2)),
                           parameters=())
    res = dpo_proofs.analyze(slow, budget=0.3)
    assert res.field is None and "budget" in res.incomplete
    assert all(str(v.status) == "unknown" for v in res.verdicts)
    assert res.failures

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


def test_budget_interrupts_a_worker_thread():
    import threading

    outcome: list[object] = []

    def spin():
        start = time.monotonic()
        try:
            with time_budget(0.3, "spinning in a thread"):
                while True:
                    pass
        except dpo_proofs.DerivationTimeout as error:
            outcome.append((str(error), time.monotonic() - start))

    worker = threading.Thread(target=spin, daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "a 0.3 s budget did not stop a worker thread"
    (message, elapsed), = outcome
    assert "spinning in a thread" in message and elapsed < 2


def test_nested_budgets_the_outer_expiry_is_not_eaten_by_the_inner():
    caught_inside = []
    start = time.monotonic()
    with pytest.raises(dpo_proofs.DerivationTimeout, match="outer"):
        with time_budget(0.3, "outer"):
            try:
                with time_budget(30, "inner"):
                    while True:
                        pass
            except dpo_proofs.DerivationTimeout as error:  # must not see the outer's
                caught_inside.append(error)
            while True:
                pass
    assert caught_inside == [] and time.monotonic() - start < 3


def test_an_outer_expiry_leaves_the_inner_context_at_once(monkeypatch):
    # The inner context used to post the outer's exception to its own thread from inside
    # _leave; it landed before _leave returned, the retry called _leave again, and so on:
    # 21089 rounds before a lucky escape, and forever under a profiler.
    from dpo_proofs import budget

    calls = []
    leave = budget._leave
    monkeypatch.setattr(budget, "_leave", lambda b: calls.append(b.what) or leave(b))
    with pytest.raises(dpo_proofs.DerivationTimeout, match="outer"):
        with time_budget(0.2, "outer"):
            with time_budget(30, "inner"):
                while True:
                    pass
    assert calls.count("inner") <= 2 and calls.count("outer") <= 2, calls[:10]


def test_nested_budgets_the_inner_expiry_leaves_the_outer_running():
    with time_budget(30, "outer"):
        with pytest.raises(dpo_proofs.DerivationTimeout, match="inner"):
            with time_budget(0.2, "inner"):
                while True:
                    pass
        total = sum(range(200_000))  # the outer body carries on undisturbed
        time.sleep(0.3)  # past the inner deadline: nothing pending is delivered late
    assert total == 199_999 * 200_000 // 2


def test_a_finished_body_is_never_turned_into_a_timeout():
    with time_budget(5, "quick"):
        value = sum(range(1000))
    time.sleep(0.2)
    assert value == 499500


def test_no_exception_ignored_output_when_the_deadline_hits_during_gc():
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import time\n"
        "from dpo_proofs.budget import time_budget\n"
        "from dpo_proofs.errors import DerivationTimeout\n"
        "class Node:\n"
        "    def __del__(self):\n"
        "        sum(range(50))\n"
        "start = time.monotonic()\n"
        "try:\n"
        "    with time_budget(0.3, 'making cyclic garbage'):\n"
        "        while True:\n"
        "            a, b = Node(), Node()\n"
        "            a.other, b.other = b, a\n"
        "except DerivationTimeout as error:\n"
        "    print('timeout', round(time.monotonic() - start, 1))\n"
        "time.sleep(0.3)\n"
        "print('done')\n")
    root = Path(__file__).resolve().parents[1]
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120, cwd=root)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("timeout") and run.stdout.rstrip().endswith("done")
    assert "Exception ignored" not in run.stderr and "Traceback" not in run.stderr, run.stderr


def test_every_derivation_starts_from_the_same_sympy_random_state():
    # sympy's factor (Wang's algorithm) and its assumptions draw from generators seeded
    # by the OS: a derivation's running time (and so a budget's expiry) must not hang
    # on those draws. seeded() fixes them for the body and restores the caller's state.
    from sympy.core import random as sympy_random
    from dpo_proofs.budget import seeded
    from dpo_proofs.cache import cached
    sympy_random.seed(12345)
    before = sympy_random.rng.getstate()
    draws = []
    for _ in range(2):
        with seeded():
            draws.append(sympy_random.randint(0, 10**9))
    assert draws[0] == draws[1]
    assert sympy_random.rng.getstate() == before
    inside = cached("test-seeded", (object(),), lambda: sympy_random.randint(0, 10**9))
    assert inside == draws[0]  # cached() derives under seeded() (an uncacheable key too)
    assert sympy_random.rng.getstate() == before

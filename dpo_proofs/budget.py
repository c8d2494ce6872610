"""Time budgets: a safety net for symbolic steps that may not terminate, on any thread.

Verdicts and analyses must not depend on the machine's load, so no decision is taken
on a clock: every search that decides something is bounded by counts (candidate
points, hypothesis examples, interval boxes). A budget only stops work that would
otherwise run away (a sympy simplification that does not finish), and its expiry is
always reported: the engine returns ``unknown`` with the reason, ``analyze`` an
``incomplete`` analysis, never a traceback. The defaults are therefore generous
(``DEFAULT_BUDGET_SECONDS``, 120 s for a check), far above what any built-in
derivation needs, so that a loaded machine does not change a result.

How a budget interrupts: one watchdog daemon thread keeps the deadlines of all active
budgets. At a deadline it injects a private ``BaseException`` subclass into the
budgeted thread with ``PyThreadState_SetAsyncExc`` (delivered between bytecodes, so
pure-Python sympy is interrupted on the main thread, in a worker thread or in a
Jupyter kernel thread alike; a blocking C call is interrupted only when it returns).
It is a BaseException so that library code catching ``Exception`` cannot swallow it;
an exception delivered inside a gc callback or ``__del__`` is swallowed by Python all
the same, so the watchdog re-posts it every ``REPOST_SECONDS`` until the budget's
context exits, and a ``sys.unraisablehook`` wrapper keeps those swallowed copies
silent. The context that owns the expired deadline converts it to
``DerivationTimeout``; nested budgets let the outer expiry through the inner context.
"""
from __future__ import annotations

import contextlib
import ctypes
import heapq
import itertools
import os
import sys
import threading
import time
from collections.abc import Iterator

from .errors import DerivationTimeout

__all__ = ["time_budget", "expiries", "seeded", "DEFAULT_BUDGET_SECONDS", "REPOST_SECONDS",
           "SYMPY_SEED"]

#: Default budget of one check (seconds): a safety net far above any built-in claim.
DEFAULT_BUDGET_SECONDS = 120.0
#: The seed of sympy's own random generators at the start of every derivation and check.
SYMPY_SEED = 20240406
#: How often an expired budget re-posts its exception until its context exits.
REPOST_SECONDS = 0.05


class _Expired(BaseException):
    """Injected into a thread whose budget ran out (private: converted by the context)."""


class _Budget:
    __slots__ = ("tid", "deadline", "what", "seconds", "fired", "active", "order")

    def __init__(self, tid: int, seconds: float, what: str, order: int) -> None:
        self.tid, self.seconds, self.what, self.order = tid, seconds, what, order
        self.deadline = time.monotonic() + seconds
        self.fired = False
        self.active = True


_lock = threading.Lock()
_wake = threading.Condition(_lock)
_heap: list[tuple[float, int, _Budget]] = []
_stacks: dict[int, list[_Budget]] = {}  # thread id -> its active budgets, outermost first
_counter = itertools.count()
_watchdog: threading.Thread | None = None
_expired_count = 0  # budgets that ran out in this process (see expiries)


def _reset_after_fork() -> None:
    # A forked worker (derive --all, verify --jobs) has none of the parent's threads: a
    # lock the parent's watchdog held at the fork would stay held forever, and the
    # parent's deadlines are not the child's.
    global _lock, _wake, _heap, _stacks, _watchdog
    _lock = threading.Lock()
    _wake = threading.Condition(_lock)
    _heap, _stacks, _watchdog = [], {}, None


os.register_at_fork(after_in_child=_reset_after_fork)


def _post(tid: int, exc: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid),
                                               ctypes.py_object(exc) if exc else None)


def _watch() -> None:
    with _lock:
        while True:
            now = time.monotonic()
            while _heap and _heap[0][0] <= now:
                _, _, budget = heapq.heappop(_heap)
                if budget.active:
                    budget.fired = True
            pending = [b for stack in _stacks.values() for b in stack if b.fired]
            for budget in pending:
                _post(budget.tid, _Expired)
            wait = REPOST_SECONDS if pending else None
            if _heap:
                until = _heap[0][0] - time.monotonic()
                wait = until if wait is None else min(wait, until)
            _wake.wait(None if wait is None else max(wait, 0.001))


def _ensure_watchdog() -> None:
    global _watchdog
    if _watchdog is None or not _watchdog.is_alive():
        _watchdog = threading.Thread(target=_watch, name="dpo_proofs-budget", daemon=True)
        _watchdog.start()


def _quiet_unraisable_hook() -> None:
    """Wrap sys.unraisablehook (again, if someone replaced it) to drop only _Expired."""
    current = sys.unraisablehook
    if getattr(current, "_dpo_proofs_budget", False):
        return

    def hook(unraisable, _previous=current):
        if isinstance(unraisable.exc_value, _Expired) or unraisable.exc_type is _Expired:
            # Swallowed by a gc callback or __del__: the watchdog re-posts it. (Posting
            # from here would land inside this very hook.)
            return
        _previous(unraisable)

    hook._dpo_proofs_budget = True  # type: ignore[attr-defined]
    sys.unraisablehook = hook


def _has_expired(group: BaseException) -> bool:
    if isinstance(group, _Expired):
        return True
    if isinstance(group, BaseExceptionGroup):
        return any(_has_expired(e) for e in group.exceptions)
    return False


def _leave(budget: _Budget) -> bool:
    """Deactivate ``budget``; True if a budget around it (same thread) has fired."""
    with _lock:
        budget.active = False
        stack = _stacks.get(budget.tid, [])
        if budget in stack:
            stack.remove(budget)
        if not stack:
            _stacks.pop(budget.tid, None)
        # Clear any copy of _Expired still pending for this thread. An outer budget
        # that has fired is raised by the caller, synchronously: posted from here it
        # would land before this function returns, the caller's retry would call it
        # again, and so on (a livelock: 21089 rounds in 0.36 s, forever under cProfile).
        _post(budget.tid, None)
        outer_fired = any(b.fired for b in stack)
        _wake.notify()
        return outer_fired


def expiries() -> int:
    """How many budgets have run out in this process so far: a result computed while
    this count stayed the same depended on no clock (the cache keeps only those)."""
    return _expired_count


def _count_expiry() -> None:
    global _expired_count
    with _lock:
        _expired_count += 1


@contextlib.contextmanager
def time_budget(seconds: float | None, what: str = "derivation") -> Iterator[None]:
    """Raise DerivationTimeout if the body runs longer than ``seconds`` (any thread).

    ``None`` means no budget. Nested budgets each keep their own deadline; when an
    outer one expires inside an inner one, the inner context lets it pass and the outer
    context raises its own DerivationTimeout. A body that finishes is never turned
    into a timeout afterwards.
    """
    if seconds is None:
        yield
        return
    if seconds <= 0:
        _count_expiry()
        raise DerivationTimeout(f"{what}: no time left in the budget")
    tid = threading.get_ident()
    _quiet_unraisable_hook()
    with _lock:
        _ensure_watchdog()
        budget = _Budget(tid, seconds, what, next(_counter))
        _stacks.setdefault(tid, []).append(budget)
        heapq.heappush(_heap, (budget.deadline, budget.order, budget))
        _wake.notify()
    expired = False
    try:
        yield
    except BaseException as error:
        if not _has_expired(error):
            raise
        expired = True
    finally:
        outer_fired = None
        while outer_fired is None:
            try:  # a late copy of _Expired may land here: retry until deactivated
                outer_fired = _leave(budget)
            except _Expired:
                expired = True
    if outer_fired:
        raise _Expired  # an outer budget's deadline: let its owner convert it
    if expired:
        _count_expiry()
        raise DerivationTimeout(f"{what} exceeded its time budget of {seconds:g} s") from None


@contextlib.contextmanager
def seeded() -> Iterator[None]:
    """Run the body with sympy's random generators at ``SYMPY_SEED``, restored after.

    sympy draws random numbers of its own, seeded from the operating system: Wang's
    multivariate factorisation (``factor``, ``cancel``, so every canonical form) picks
    random evaluation points, and the assumptions system shuffles the order in which
    it tries its rules. Both change how long a derivation takes, and a slow draw could
    run a budget out on one run and not the next. Every derivation (``cache.cached``)
    and check starts from the same state; the caller's state is restored after, so an
    outer derivation draws the same numbers whether an inner one was served from the
    cache or derived.
    """
    from sympy.core import random as sympy_random
    generators = (sympy_random.rng, sympy_random._assumptions_rng)
    states = [g.getstate() for g in generators]
    sympy_random.seed(SYMPY_SEED)
    try:
        yield
    finally:
        for generator, state in zip(generators, states):
            generator.setstate(state)

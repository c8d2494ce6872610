"""Time budgets for symbolic steps that may not terminate.

sympy is pure Python, so a SIGALRM raised between bytecodes interrupts it cleanly.
Signals only reach the main thread; elsewhere the budget cannot pre-empt a step, and
``time_budget`` says so by checking the clock when the step returns.
"""
from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator

from .errors import DerivationTimeout

__all__ = ["time_budget", "DEFAULT_BUDGET_SECONDS"]

#: Default budget of one derivation (seconds); configurable per call and on the CLI.
DEFAULT_BUDGET_SECONDS = 20.0


@contextlib.contextmanager
def time_budget(seconds: float | None, what: str = "derivation") -> Iterator[None]:
    """Raise DerivationTimeout if the body runs longer than ``seconds``.

    Nested budgets keep the tighter deadline of the two.
    """
    if seconds is None:
        yield
        return
    if seconds <= 0:
        raise DerivationTimeout(f"{what}: no time left in the budget")
    start = time.monotonic()
    in_main = threading.current_thread() is threading.main_thread()
    if not in_main:
        yield
        if time.monotonic() - start > seconds:
            raise DerivationTimeout(f"{what} exceeded its time budget of {seconds:g} s")
        return

    previous_remaining, _ = signal.getitimer(signal.ITIMER_REAL)
    previous_handler = signal.getsignal(signal.SIGALRM)
    if previous_remaining and previous_remaining < seconds:
        # An outer budget expires first: let it fire with its own message.
        yield
        return

    def on_alarm(signum, frame):
        raise DerivationTimeout(f"{what} exceeded its time budget of {seconds:g} s")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_remaining:
            left = previous_remaining - (time.monotonic() - start)
            # Re-arm the outer budget; if it already ran out, fire it at once.
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-4))

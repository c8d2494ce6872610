"""Independent jobs spread over a fork pool, results in the order they were asked for.

Each derivation of the catalogue is independent of the others, so a pool of worker
processes derives them side by side; the results (and so every printed document and
verdict) do not depend on the number of workers or the order they finish in. The
workers share the disk cache (``dpo_proofs.cache``), so each result is kept as soon as
it is derived. Budget state is reset in a forked child (``dpo_proofs.budget``).
"""
from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence

__all__ = ["for_each"]


def for_each(task: Callable, items: Sequence, labels: Sequence[str], jobs: int | None,
             on_done: Callable[[str], None] | None = None) -> list:
    """[task(i) for i in items], over a fork pool of ``jobs`` processes when jobs > 1
    (default: one per CPU). ``task`` must be a module-level function (it is pickled by
    name); ``on_done(label)`` is called in this process as each item finishes."""
    jobs = min((os.cpu_count() or 1) if jobs is None else jobs, len(items)) or 1
    done = on_done or (lambda label: None)
    if jobs == 1:
        out = []
        for item, label in zip(items, labels):
            out.append(task(item))
            done(label)
        return out
    results: dict[int, object] = {}
    pool = multiprocessing.get_context("fork").Pool(jobs, initializer=_worker_signals)
    try:
        for index, value in pool.imap_unordered(_indexed, [(task, i, item) for i, item
                                                           in enumerate(items)]):
            results[index] = value
            done(labels[index])
        # A clean end: the workers take the sentinel and exit. Pool.terminate (what the
        # context manager does) SIGTERMs them, and one killed while holding the task
        # queue's lock left a freshly repopulated worker waiting on it forever: the
        # join hung (seen in the suite, in the SIGTERM test below).
        pool.close()
        pool.join()
    except BaseException:
        pool.terminate()
        raise
    return [results[i] for i in range(len(items))]


def _worker_signals() -> None:
    # A forked worker inherits the CLI's SIGTERM handler, which turns the signal into an
    # exception the pool's worker loop swallows: Pool.terminate (run when any job raises)
    # then waited forever for a worker that would not end. Workers keep no temporary
    # files of their own (the parent's finally blocks clean up), so the default is right.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _indexed(job):
    task, index, item = job
    return index, task(item)

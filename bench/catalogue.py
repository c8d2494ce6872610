"""Benchmark: `verify` over a catalogue, cold and warm cache, against the naive route.

Baseline, measured in the same run: what a researcher's own sympy notebook does for the
same variants -- differentiate the elementary loss in x1 and x2 and simplify R = -dL/dx2 /
dL/dx1 -- in one process. Measured: `python -m dpo_proofs verify VARIANTS --quiet` in a
fresh process with an empty cache directory (cold: derivation, confirmation, every claim
decided with a kernel-checked certificate or a certified counterexample), then again
(warm: read from the cache; timed both as a whole command and, like the naive route,
in this process past the imports). Peak RSS of the verify processes is read from the kernel's
accounting of the children (resource.getrusage).

Targets are ratios of the same run (so they hold on a slow or a busy machine):
warm / naive <= WARM_TARGET, and warm / cold <= WARM_OVER_COLD; peak RSS under 1 GiB.
The cold ratio is reported, not gated (see the speed issue: the verified route does far
more than the naive one).

    python bench/catalogue.py [--variants dpo ipo ...] [--json] [--jobs N]

Exit status 1 if a target is missed.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sympy as sp  # noqa: E402

from dpo_proofs import CATALOGUE, x1, x2  # noqa: E402

WARM_TARGET = 1.0      # a warm verify is no slower than the naive notebook route
WARM_OVER_COLD = 0.2   # and at least five times faster than a cold one
PEAK_RSS_MIB = 1024.0


def naive(names) -> None:
    for name in names:
        e = CATALOGUE[name].elementary
        d1, d2 = sp.diff(e, x1), sp.diff(e, x2)
        sp.simplify(-d2 / d1)


def run_verify(names, cache: Path, jobs: int | None) -> float:
    argv = [sys.executable, "-m", "dpo_proofs", "--cache-dir", str(cache), "verify",
            *names, "--quiet"] + ([] if jobs is None else ["--jobs", str(jobs)])
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"verify failed ({done.returncode}): {done.stderr.strip()}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="*", default=None)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    names = args.variants or list(CATALOGUE)
    start = time.perf_counter()
    naive(names)
    naive_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory(prefix="dpo_proofs_bench_") as tmp:
        cold = run_verify(names, Path(tmp), args.jobs)
        warm_process = run_verify(names, Path(tmp), args.jobs)
        # In this process, like the naive route (both past their imports): the same rows
        # read from the cache the cold run filled.
        os.environ["DPO_PROOFS_CACHE"] = tmp
        from dpo_proofs.pipeline import analyze_all

        start = time.perf_counter()
        analyze_all(names, jobs=1, quantities=False)
        warm = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    report = {
        "variants": len(names), "naive_seconds": round(naive_s, 2),
        "cold_seconds": round(cold, 2), "warm_seconds": round(warm, 2),
        "warm_command_seconds": round(warm_process, 2),
        "cold_over_naive": round(cold / naive_s, 2), "warm_over_naive": round(warm / naive_s, 2),
        "warm_over_cold": round(warm / cold, 3), "peak_rss_mib": round(peak, 1),
        "cpus": os.cpu_count(),
    }
    missed = []
    if report["warm_over_naive"] > WARM_TARGET:
        missed.append(f"warm/naive {report['warm_over_naive']} > {WARM_TARGET}")
    if report["warm_over_cold"] > WARM_OVER_COLD:
        missed.append(f"warm/cold {report['warm_over_cold']} > {WARM_OVER_COLD}")
    if peak > PEAK_RSS_MIB:
        missed.append(f"peak RSS {peak:.0f} MiB > {PEAK_RSS_MIB:.0f}")
    report["missed"] = missed
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{len(names)} variants: naive route {naive_s:.2f} s; verify cold {cold:.2f} s "
              f"(x{report['cold_over_naive']}), warm {warm:.2f} s (x{report['warm_over_naive']}"
              f" of naive, x{report['warm_over_cold']} of cold; the whole warm command, "
              f"imports included, {warm_process:.2f} s); peak RSS {peak:.0f} MiB")
        print("targets met" if not missed else "MISSED: " + "; ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

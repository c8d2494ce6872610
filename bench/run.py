"""Benchmarks: speed and memory of the derivation, as ratios to a baseline of the same run.

Baseline: the textbook route, sympy.diff of the elementary loss followed by
sympy.simplify, for both partials and the ratio. Measured: dpo_proofs' gradient_field
(canonical pipeline, signs, regions, field quantities) for each catalogued variant.
Targets are ratios, so they hold on a slow or a busy machine alike.

    python bench/run.py [--json] [--variants dpo ...]

Exit status 1 if a target is missed.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sympy as sp  # noqa: E402

from dpo_proofs import CATALOGUE, x1, x2  # noqa: E402
from dpo_proofs.field.gradient import gradient_field  # noqa: E402

#: gradient_field(dpo) may take at most this many times the baseline's time ...
SPEED_TARGET = 3.0
#: ... and allocate at most this many times the baseline's peak memory.
MEMORY_TARGET = 3.0


def baseline(loss) -> None:
    e = loss.elementary
    d1, d2 = sp.simplify(sp.diff(e, x1)), sp.simplify(sp.diff(e, x2))
    sp.simplify(-d2 / d1)


def measure(fn, *args, repeat: int = 3) -> tuple[float, float]:
    """(best seconds, peak MiB) over ``repeat`` runs, caches cleared between runs."""
    best, peak = float("inf"), 0.0
    for _ in range(repeat):
        sp.core.cache.clear_cache()
        tracemalloc.start()
        start = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - start)
        peak = max(peak, tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
    return best, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--variants", nargs="*", default=None)
    args = parser.parse_args()
    dpo = CATALOGUE["dpo"]
    base_t, base_m = measure(baseline, dpo)
    rows = []
    for name in args.variants or list(CATALOGUE):
        t, m = measure(gradient_field, CATALOGUE[name])
        rows.append({"variant": name, "seconds": round(t, 4), "peak_mib": round(m, 2),
                     "time_ratio": round(t / base_t, 2), "memory_ratio": round(m / base_m, 2)})
    dpo_row = next((r for r in rows if r["variant"] == "dpo"), None)
    missed = []
    if dpo_row and dpo_row["time_ratio"] > SPEED_TARGET:
        missed.append(f"dpo time ratio {dpo_row['time_ratio']} > {SPEED_TARGET}")
    if dpo_row and dpo_row["memory_ratio"] > MEMORY_TARGET:
        missed.append(f"dpo memory ratio {dpo_row['memory_ratio']} > {MEMORY_TARGET}")
    report = {"baseline": {"what": "sympy.simplify of diff(L) and of the ratio, DPO",
                           "seconds": round(base_t, 4), "peak_mib": round(base_m, 2)},
              "targets": {"dpo_time_ratio": SPEED_TARGET, "dpo_memory_ratio": MEMORY_TARGET},
              "variants": rows, "missed": missed}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"baseline (simplify route, dpo): {base_t:.3f} s, peak {base_m:.1f} MiB")
        for r in rows:
            print(f"  {r['variant']:<14} {r['seconds']:>8.3f} s  x{r['time_ratio']:<6} "
                  f"{r['peak_mib']:>7.1f} MiB  x{r['memory_ratio']}")
        print("targets met" if not missed else "MISSED: " + "; ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

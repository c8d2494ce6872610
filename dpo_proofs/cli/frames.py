"""`frames`: every built-in claim of each variant re-checked in each parametrization."""
from __future__ import annotations

from typing import TextIO

from ..pipeline import analyze, for_each
from ..field.frames import BUILTIN_PARAMETRIZATIONS, get_parametrization
from ..loss.catalogue import CATALOGUE
from ..loss.names import get_variant
from .options import (BUDGETS, add_progress_options, budget_seconds, dump_json, output_marks,
                      progress)

__all__ = ["add_subcommands", "frame_results"]


def _variant_in_frames(item):
    name, frames, budget = item
    return [analyze(get_variant(name), budget=budget, parametrization=f) for f in frames]


def frame_results(names, frames, budget=None, jobs: int | None = 1, on_done=None):
    """{variant: [Analysis per frame]}; frames and names validated first (bad input fails
    fast); variants side by side over ``jobs`` worker processes (None: one per CPU)."""
    frames = [get_parametrization(f) for f in frames]
    names = [get_variant(n).name for n in names]
    rows = for_each(_variant_in_frames, [(n, frames, budget) for n in names], names, jobs,
                    on_done)
    return dict(zip(names, rows))


def _cmd_frames(args, stdout: TextIO, stderr: TextIO) -> int:
    from ..printers.table import ASCII_MARKS, MARKS, frames_table

    names = list(CATALOGUE) if args.all or not args.variants else args.variants
    frames = [f.strip() for f in args.parametrizations.split(";" if "=" in
                                                              args.parametrizations else ",")]
    with progress(len(names), "frames", stderr, args.quiet) as done:
        results = frame_results(names, frames, args.budget, args.jobs, done)
    failed = [(v, a.frame, f) for v, rows in results.items() for a in rows for f in a.failures]
    if args.json:
        dump_json({v: {a.frame: a.to_json() for a in rows} for v, rows in results.items()},
                  stdout, indent=None if args.compact else 2)
    else:
        unicode = output_marks(stdout, MARKS, ASCII_MARKS) is MARKS
        stdout.write(frames_table(results, unicode) + "\n")
        for v, frame, f in failed:
            stdout.write(f"FAILED {v} [{frame}]: {f}\n")
        stdout.write(f"{len(results)} variants x {len(frames)} parametrizations, "
                     f"{len(failed)} failed checks\n")
    return 1 if failed else 0


def add_subcommands(sub) -> None:

    p = sub.add_parser(
        "frames", help="re-check the built-in claims of variants in every parametrization",
        description="For each variant and parametrization (probability, log, softmax, "
        "softmax:2 by default) derive the induced velocity dx/dt = -J J^T grad L, its speed "
        "ratio |dx2/dt|/|dx1/dt| and the region where it exceeds 1, and check every built-in "
        "claim there with the verdict engine; one table (or JSON object) side by side.")
    p.add_argument("variants", nargs="*", help="variants (default: all)")
    p.add_argument("--all", action="store_true", help="the whole catalogue")
    p.add_argument("--parametrizations", default=",".join(BUILTIN_PARAMETRIZATIONS),
                   metavar="NAMES", help="comma-separated frames (default: "
                   f"{','.join(BUILTIN_PARAMETRIZATIONS)}); a user map 'x1 = .., x2 = ..' "
                   "alone, or frames separated by ';' when one is a map")
    p.add_argument("--json", action="store_true", help="each variant's analysis in every "
                   "frame as JSON (fields, regions, verdicts)")
    p.add_argument("--compact", action="store_true", help="JSON on one line")
    p.add_argument("--budget", type=budget_seconds, default=BUDGETS["analyze"],
                   help="safety-net seconds per symbolic derivation")
    add_progress_options(p)
    p.set_defaults(handler=_cmd_frames)

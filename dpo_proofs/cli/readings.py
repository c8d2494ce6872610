"""CLI: ``readings [FINDING ...] [--compare A B [--map K=EXPR] [--fix-a K=V] [--fix-b K=V]]``:
the frameworks' versions of each loss, and whether two of them are the same function."""
from __future__ import annotations

import argparse
from typing import TextIO

from ..errors import DpoProofsError
from ..loss.names import get_variant
from ..loss.readings import CONVENTIONS, READINGS
from ..printers.readings import readings_report, sameness_text
from ..verdicts.sameness import compare_readings, decide_findings
from .options import EXIT_FAILED, EXIT_OK, dump_json, key_values

__all__ = ["add_subcommands"]


def _cmd_readings(args, stdout: TextIO, stderr: TextIO) -> int:
    indent = None if args.compact else 2
    if args.compare:
        if args.findings:
            raise DpoProofsError("give finding keys or --compare A B, not both")
        a, b = (get_variant(n) for n in args.compare)
        fix_a, fix_b = key_values(args.fix_a, "--fix-a"), key_values(args.fix_b, "--fix-b")
        a = a.with_parameters(fix_a) if fix_a else a
        b = b.with_parameters(fix_b) if fix_b else b
        result = compare_readings(a, b, key_values(args.map, "--map"))
        if args.json:
            dump_json(result.to_json(), stdout, indent)
        else:
            stdout.write(sameness_text(result) + "\n")
        return EXIT_OK if result.same is not None else EXIT_FAILED
    if args.map or args.fix_a or args.fix_b:
        raise DpoProofsError("--map, --fix-a and --fix-b go with --compare A B")
    results = decide_findings(args.findings or None)
    if args.json:
        dump_json({"conventions": dict(CONVENTIONS),
                   "readings": [{"key": r.key, "variant": r.variant,
                                 "convention": r.convention, "source": r.source,
                                 "reading": r.loss().reading} for r in READINGS.values()],
                   "findings": [r.to_json() for r in results]}, stdout, indent)
    else:
        stdout.write(readings_report(CONVENTIONS, list(READINGS.values()), results) + "\n")
    # a finding the package cannot decide, or decides against its source, is worth a
    # non-zero exit for scripts; the report says which
    return EXIT_OK if all(r.agrees for r in results) else EXIT_FAILED


def add_subcommands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "readings", help="each framework's version of a loss (NAME@CONVENTION) and the "
        "catalogue's findings, decided: same function (proved) or different (a point)",
        description="A loss name can mean different functions in different frameworks and "
        "versions (TRL before and after its DPO refactor, OpenRLHF, the paper). Each "
        "reading is named VARIANT@CONVENTION and every command accepts it. Without "
        "arguments: the conventions, the readings and every finding decided; with --compare "
        "A B: whether two losses are the same function (proved), the same gradient field, "
        "or different (a point where the difference is certified).")
    p.add_argument("findings", nargs="*", metavar="FINDING",
                   help="finding keys (default: all), e.g. alpha-reparametrised")
    p.add_argument("--compare", nargs=2, metavar=("A", "B"),
                   help="decide whether A and B are the same function (names, readings "
                   "NAME@CONVENTION or mixtures)")
    p.add_argument("--map", action="append", metavar="K=EXPR",
                   help="B's constant K as an expression in A's constants, e.g. "
                   "alpha=1-alpha (repeatable)")
    p.add_argument("--fix-a", action="append", metavar="K=V", help="fix A's constant K "
                   "to V first (repeatable)")
    p.add_argument("--fix-b", action="append", metavar="K=V", help="fix B's constant K "
                   "to V first (repeatable)")
    p.add_argument("--json", action="store_true", help="conventions, readings and decided "
                   "findings (or the one comparison) as JSON")
    p.add_argument("--compact", action="store_true", help="JSON on one line")
    p.set_defaults(handler=_cmd_readings)

"""CLI: ``literature [STATEMENT ...] [--analogues | --variants V,..] [--json]``: the field's
published statements decided, for their own loss and as analogues for other losses."""
from __future__ import annotations

import argparse
from typing import TextIO

from ..loss.catalogue import CATALOGUE
from ..printers.literature import analogue_table, literature_report
from ..printers.table import ASCII_MARKS, MARKS
from ..verdicts.literature import NOT_REDUCIBLE, STATEMENTS, reproduce_all
from .options import EXIT_OK, add_progress_options, dump_json, output_marks, progress

__all__ = ["add_subcommands"]


def _cmd_literature(args, stdout: TextIO, stderr: TextIO) -> int:
    variants = list(CATALOGUE) if args.analogues else \
        [v.strip() for v in (args.variants or "").split(",") if v.strip()]
    keys = args.statements or None
    count = len(keys or STATEMENTS) * (1 + len(variants))
    with progress(count, "literature", stderr, args.quiet) as done:
        results = reproduce_all(keys, variants, args.jobs, done)
    own = [r for r in results if r.own]
    others = [r for r in results if not r.own]
    if args.json:
        dump_json({"statements": [r.to_json() for r in own],
                   "analogues": [r.to_json() for r in others],
                   "not_reducible": [{"paper": p, "why": w} for p, w in NOT_REDUCIBLE]},
                  stdout, indent=None if args.compact else 2)
        return EXIT_OK
    plain = output_marks(stdout, MARKS, ASCII_MARKS) is ASCII_MARKS
    stdout.write(literature_report(own, NOT_REDUCIBLE if not keys else (), plain) + "\n")
    if others:
        # the catalogue's order (the analogues come in it), each statement's own result
        # in its variant's row; a user loss's row last
        stdout.write("\n" + analogue_table(others + own, plain) + "\n")
    return EXIT_OK


def add_subcommands(sub: argparse._SubParsersAction) -> None:

    p = sub.add_parser(
        "literature", help="the field's published statements, decided: reproduced, "
        "imprecise, refuted or undecided, with the evidence",
        description="Each statement of ../shared/LITERATURE.md that reduces to claims on one "
        "response pair (Feng et al., Yuan et al., Razin et al., Ren and Sutherland, Azar et "
        "al., Chen et al., ...) is read as claims in its frame (probability, log, softmax or "
        "the Gram frame) and decided by the verdict engine for the loss it is stated for; "
        "with --analogues, the same claims for every catalogued variant.")
    p.add_argument("statements", nargs="*", metavar="STATEMENT",
                   help="statement keys (default: all); e.g. yuan-entanglement")
    p.add_argument("--analogues", action="store_true",
                   help="also decide each statement for every catalogued variant")
    p.add_argument("--variants", metavar="V,..", help="decide the analogues for these "
                   "variants only")
    p.add_argument("--json", action="store_true", help="statements, analogues and the "
                   "statements not reducible to one pair, as one JSON object")
    p.add_argument("--compact", action="store_true", help="JSON on one line")
    add_progress_options(p)
    p.set_defaults(handler=_cmd_literature)

"""CLI: ``check VARIANT CLAIM [--domain REL] [--param NAME=VALUE|NAME=LOW..HIGH] [--json]``.

Exit status: 0 proved, 1 refuted or unknown, 2 bad input.
"""
from __future__ import annotations

import argparse
from typing import TextIO

from ..field.frames import get_parametrization
from ..field.in_frame import with_frame_constants
from ..printers.table import ASCII_MARKS, MARKS
from ..printers.text import verdict_text
from ..verdicts.claim_text import claim_from_text, parse_range
from ..verdicts.engine import check
from .options import (BUDGETS, EXIT_FAILED, EXIT_OK, VARIANT_HELP, add_weights_option,
                      budget_seconds, dump_json, key_values, output_marks,
                      variant_from_args)

__all__ = ["add_subcommands"]



def _params(items, loss) -> dict:

    out: dict = {}
    for name, value in key_values(items, "--param").items():
        loss.parameter(name)  # unknown names fail here, with the list of known ones
        rng = parse_range(value)
        out[name] = rng if rng is not None else value
    return out


def _cmd_check(args, stdout: TextIO, stderr: TextIO) -> int:

    loss = variant_from_args(args.variant, args.weights)
    if args.frame:  # a frame's own constants (gram: a, b, c) may be named and fixed
        loss = with_frame_constants(loss, get_parametrization(args.frame))
    claim = claim_from_text(args.claim, loss, args.domain)
    verdict = check(claim, loss, _params(args.param, loss), budget=args.budget,
                    frame=args.frame)
    if args.json:
        out = verdict.to_json()
        out.update({"variant": loss.name, "statement": str(claim),
                    "frame": args.frame or "probability"})
        dump_json(out, stdout, indent=2)
    else:
        unicode = output_marks(stdout, MARKS, ASCII_MARKS) is MARKS
        stdout.write(verdict_text(loss.name, str(claim), verdict, unicode))
    return EXIT_OK if str(verdict.status) == "proved" else EXIT_FAILED


def add_subcommands(sub: argparse._SubParsersAction) -> None:

    p = sub.add_parser(
        "check", help="decide one claim: proved / refuted / unknown, with evidence",
        description="Decide CLAIM for VARIANT: symbolically, else by certified interval "
        "arithmetic (needs every constant fixed or in a bounded range), else refute it "
        "with a counterexample confirmed at 60 and 120 digits; otherwise unknown with the "
        "reason. CLAIM is a relation in x1, x2, the constants and the derived quantities "
        "loss, d_x1, d_x2, ratio (e.g. \"ratio > 1\"), the Hessian of L in the frame's "
        "coordinates hess_11, hess_12, hess_22, hess_det, hess_trace (e.g. \"hess_det < 0\"), "
        "or a built-in claim name.")
    p.add_argument("variant", help=VARIANT_HELP)
    add_weights_option(p)
    p.add_argument("claim", help="e.g. \"ratio > 1\", \"d_x1 < 0\", \"dispreferred_faster\"")
    p.add_argument("--domain", metavar="REL", help="\"x1 > x2\", \"simplex\", "
                   "\"0.1 <= x1 <= 0.5, x2 >= 0.2\" (default: the square (0, 1]^2)")
    p.add_argument("--param", action="append", metavar="NAME=VALUE|NAME=LOW..HIGH",
                   help="fix a constant (beta=0.5) or let it range (beta=0.01..10); a "
                   "constant not given here ranges over its whole domain, not its default "
                   "(shown by 'list'): the claim is decided for every value")
    p.add_argument("--frame", metavar="NAME", help="decide the claim in a frame: log, softmax, "
                   "softmax:K or a map 'x1 = .., x2 = ..' (d_x1, d_x2 are then the components "
                   "of M grad L, ratio the speed ratio, the Hessian in the frame's "
                   "coordinates; default: probability)")
    p.add_argument("--json", action="store_true", help="one JSON object: status, method, "
                   "evidence, counterexample (refuted), details")
    p.add_argument("--budget", type=budget_seconds, default=BUDGETS["check"],
                   help="safety-net seconds (default 120; verdicts are count-bounded)")
    p.set_defaults(handler=_cmd_check)

"""The commands that analyse the catalogue: analyze, verify, theorem, list."""
from __future__ import annotations

import shutil
from typing import TextIO

import sympy as sp

from ..errors import DpoProofsError
from ..loss.catalogue import CATALOGUE, NOT_PER_PAIR
from ..loss.names import get_variant
from ..loss.readings import READINGS
from ..pipeline import analyze, analyze_all, class_theorem, values_at
from ..field.theorem import is_margin_loss
from ..printers.table import ASCII_MARKS, MARKS, verification_table
from .options import (BUDGETS, EXIT_FAILED, EXIT_OK, add_progress_options, budget_seconds,
                      VARIANT_HELP, add_weights_option, dump_json, key_values,
                      output_marks, progress, variant_from_args)
from .user import loss_from_args

__all__ = ["add_subcommands"]


def _cmd_analyze(args, stdout: TextIO, stderr: TextIO) -> int:
    params = key_values(args.param, "--param")
    if args.expr is not None:
        if args.variant:
            raise DpoProofsError("give either a variant or --expr, not both")
        variant, params = loss_from_args(args.expr, params)
        budget = BUDGETS["expr"] if args.budget is None else args.budget
    elif args.variant:
        variant = variant_from_args(args.variant, args.weights)
        budget = BUDGETS["analyze"] if args.budget is None else args.budget
    else:
        raise DpoProofsError("give a variant (see 'list') or --expr EXPR")
    result = analyze(variant, params=params, budget=budget,
                     parametrization=args.parametrization)
    at = key_values(args.at, "--at")
    values = values_at(result, at) if at else None
    if args.json:
        out = result.to_json()
        if values is not None:
            out["at"] = values
        dump_json(out, stdout, indent=None if args.compact else 2)
    else:
        unicode = output_marks(stdout, MARKS, ASCII_MARKS) is MARKS
        stdout.write(result.summary(unicode) + "\n")
        if values is not None:
            stdout.write("  at " + ", ".join(f"{k}={v}" for k, v in values["point"].items())
                         + ":\n")
            for k, v in values["values"].items():
                stdout.write(f"    {k} = {v}\n")
    return EXIT_FAILED if result.failures else EXIT_OK


def _columns(stdout: TextIO) -> int:
    """The terminal's width when printing to one (80 to 200 columns), else 100: a pipe
    or a file gets the same report on every machine."""
    if not (hasattr(stdout, "isatty") and stdout.isatty()):
        return 100
    return max(80, min(200, shutil.get_terminal_size((100, 24)).columns))


def _cmd_verify(args, stdout: TextIO, stderr: TextIO) -> int:
    names = list(CATALOGUE) if args.all or not args.variants else args.variants
    names = [get_variant(n).name for n in names]  # an unknown name fails before any work
    with progress(len(names), "verify", stderr, args.quiet) as done:
        # The table needs no field quantities; the JSON prints them all, so they are
        # derived here, in the pipeline and under the budget, never by the printer.
        results = analyze_all(names, budget=args.budget, jobs=args.jobs,
                              quantities=bool(args.json), on_done=done)
    failed = [r for r in results if r.failures]
    if args.json:
        dump_json([r.to_json() for r in results], stdout, indent=None if args.compact else 2)
    else:
        marks = output_marks(stdout, MARKS, ASCII_MARKS)
        stdout.write(verification_table(results, args.wide, marks, _columns(stdout)) + "\n")
        for r in failed:
            for failure in r.failures:
                stdout.write(f"FAILED {r.variant}: {failure}\n")
        stdout.write(f"{len(results)} variants verified, {len(failed)} with failed checks\n")
    return EXIT_FAILED if failed else EXIT_OK


def _cmd_theorem(args, stdout: TextIO, stderr: TextIO) -> int:
    t = class_theorem()
    members = {name: is_margin_loss(loss) for name, loss in CATALOGUE.items()}
    if args.json:
        dump_json({"statement": t.statement, "proved": t.proved, "steps": list(t.steps),
                   "variants": {n: {"margin_loss": m, "reason": r}
                                for n, (m, r) in members.items()}}, stdout,
                  indent=None if args.compact else 2)
    else:
        stdout.write(t.statement + "\n")
        stdout.write("".join(f"  {s}\n" for s in t.steps))
        stdout.write(f"  {'PROVED' if t.proved else 'NOT PROVED'}\n\nvariants:\n")
        for n, (m, r) in members.items():
            stdout.write(f"  {n:<16} {'margin loss' if m else 'not a margin loss':<18} {r}\n")
    return EXIT_OK if t.proved else EXIT_FAILED


def _cmd_list(args, stdout: TextIO, stderr: TextIO) -> int:
    rows = [{"variant": l.name, "title": l.title, "citation": l.citation,
             "trl_name": l.trl_name,
             "parameters": {p.name: {"domain": p.domain_text, "default": sp.sstr(p.default),
                                     "description": p.description} for p in l.parameters},
             "loss": sp.sstr(l.expr), "reading": l.reading}
            for l in CATALOGUE.values()]
    readings = {key: r.source for key, r in READINGS.items()}
    if args.json:
        dump_json({"variants": rows, "not_per_pair": dict(NOT_PER_PAIR), "readings": readings},
                  stdout)
        return EXIT_OK
    for r in rows:
        params = ", ".join(f"{k}={v['default']}" for k, v in r["parameters"].items())
        trl = f"  [TRL: {r['trl_name']}]" if r["trl_name"] else ""
        stdout.write(f"{r['variant']:<14} {r['title']} ({r['citation']}){trl}\n"
                     f"{'':<14} L = {r['loss']}   ({params})\n")
    for name, why in NOT_PER_PAIR.items():
        stdout.write(f"{name:<14} not per-pair: {why}\n")
    stdout.write(f"{len(rows)} variants; {len(readings)} other readings NAME@CONVENTION "
                 f"({', '.join(readings)}): see 'readings'\n")
    return EXIT_OK


def add_subcommands(sub) -> None:
    def common(p):
        p.add_argument("--json", action="store_true", help="print JSON instead of text")
        p.add_argument("--compact", action="store_true", help="JSON on one line")
        p.add_argument("--budget", type=budget_seconds, default=BUDGETS["analyze"],
                       help=f"safety-net seconds for each symbolic derivation (default {BUDGETS['analyze']:.0f})")

    p = sub.add_parser("analyze", help="derive and check one variant",
                       description="Derive dL/dx1, dL/dx2, R = |dL/dx2|/|dL/dx1|, the regions "
                       "of R vs 1, field quantities, and check them. JSON keys: variant, loss, "
                       "d_x1, d_x2, ratio, region_ratio_gt_1, radial, verdicts, ... "
                       "(expressions are sympy strings in x1, x2, r_w, r_l, beta).")
    p.add_argument("variant", nargs="?", help=VARIANT_HELP + " (see 'list')")
    add_weights_option(p)
    p.add_argument("--expr", metavar="EXPR",
                   help="analyze your own loss, e.g. \"-log(sigmoid(beta*log(x1/r_w) - "
                   "beta*log(x2/r_l)))\"; write --expr=\"-...\" if EXPR starts with '-' and has no "
                   "spaces (safe parser: names x1 x2 r_w r_l beta, declared "
                   "parameters, numbers, + - * / **, log exp sqrt sigmoid logsigmoid "
                   "softplus tanh Abs Max Min log1p expm1 Heaviside)")
    p.add_argument("--param", action="append", metavar="NAME=VALUE|NAME=DOMAIN",
                   help="NAME=VALUE fixes a constant, e.g. beta=0.5; with --expr, "
                   "NAME=DOMAIN declares a parameter's interval, e.g. gamma='(0,oo)' or "
                   "eps='[0,0.5)' (an interval declares, a number fixes). Repeatable")
    p.add_argument("--at", action="append", metavar="x1=..,x2=..",
                   help="also evaluate the quantities at this point, at 50 digits")
    p.add_argument("--parametrization", metavar="NAME", default=None,
                   help="analyse the velocity dx/dt = -J J^T grad L induced when the model "
                   "moves parameters theta instead of probabilities: probability (default), "
                   "log, softmax (K = 3), softmax:K, or a map 'x1 = sigmoid(a), x2 = "
                   "sigmoid(b)'. JSON: ratio is then the speed ratio |dx2/dt|/|dx1/dt|")
    common(p)
    # None: 20 s for a variant, 5 s for --expr (see user_cli).
    p.set_defaults(handler=_cmd_analyze, budget=None)

    p = sub.add_parser("verify", help="analyze every variant; table of results")
    p.add_argument("variants", nargs="*", help="variants (default: all)")
    p.add_argument("--all", action="store_true", help="the whole catalogue")
    p.add_argument("--wide", action="store_true", help="every expression, region and "
                   "verdict in full (rows as long as they need)")
    common(p)
    add_progress_options(p)
    p.set_defaults(handler=_cmd_verify)

    p = sub.add_parser("theorem", help="prove the margin-loss class theorem; say which "
                       "variants it covers",
                       description="For L = l(h) with l an undefined function: R = x1/x2 "
                       "where l'(h) != 0, and gradient flow conserves x1^2 + x2^2. Each "
                       "variant is classified by computing its radial component.")
    p.add_argument("--json", action="store_true", help="the statement, its steps and each "
                   "variant's membership as one JSON object")
    p.add_argument("--compact", action="store_true", help="JSON on one line")
    p.set_defaults(handler=_cmd_theorem)

    p = sub.add_parser("list", help="the catalogue: variants, parameters, citations")
    p.add_argument("--json", action="store_true", help="variants (loss, constants, reading, "
                   "TRL name), the losses with no per-pair form and the recorded readings")
    p.set_defaults(handler=_cmd_list)

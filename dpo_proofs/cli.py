"""Command-line interface: a thin layer over the public API.

Each handler is ``(args, stdout, stderr) -> int`` so tests can call it with StringIO.
Exit codes: 0 all checks that must hold did; 1 a check failed; 2 bad input.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from typing import TextIO

import mpmath
import sympy as sp

from .symbols import interval_text

from .analysis import analyze
from .errors import DpoProofsError
from .variants import CATALOGUE, NOT_PER_PAIR, get_variant

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _key_values(items: Sequence[str] | None, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or ():
        # Split on commas outside brackets: "gamma=(0,oo),beta=1" is two items.
        for part in re.split(r",(?![^\(\[]*[\)\]])", item):
            name, sep, value = part.partition("=")
            if not sep or not name.strip() or not value.strip():
                raise DpoProofsError(f"{what} {part!r} must look like NAME=VALUE")
            out[name.strip()] = value.strip()
    return out


def _cmd_analyze(args, stdout: TextIO, stderr: TextIO) -> int:
    from .user_cli import USER_BUDGET_SECONDS, VARIANT_BUDGET_SECONDS, loss_from_args

    params = _key_values(args.param, "--param")
    if args.expr is not None:
        if args.variant:
            raise DpoProofsError("give either a variant or --expr, not both")
        variant, params = loss_from_args(args.expr, params)
        budget = USER_BUDGET_SECONDS if args.budget is None else args.budget
    elif args.variant:
        variant, budget = args.variant, (VARIANT_BUDGET_SECONDS if args.budget is None
                                         else args.budget)
    else:
        raise DpoProofsError("give a variant (see 'list') or --expr EXPR")
    result = analyze(variant, params=params, budget=budget,
                     parametrization=args.parametrization)
    at = _key_values(args.at, "--at")
    values = _values_at(result, at) if at else None
    if args.json:
        out = result.to_json()
        if values is not None:
            out["at"] = values
        json.dump(out, stdout, indent=None if args.compact else 2)
        stdout.write("\n")
    else:
        stdout.write(result.summary() + "\n")
        if values is not None:
            stdout.write("  at " + ", ".join(f"{k}={v}" for k, v in values["point"].items())
                         + ":\n")
            for k, v in values["values"].items():
                stdout.write(f"    {k} = {v}\n")
    return EXIT_FAILED if result.failures else EXIT_OK


def _values_at(result, at: dict[str, str]) -> dict:
    """Evaluate the derived quantities at one point, at 50 digits (validated input)."""
    from .precision import mp_callable, to_mpf
    from .symbols import X1, X2

    loss = result.loss
    point = {"x1": X1.validate(at.pop("x1", "0.5")), "x2": X2.validate(at.pop("x2", "0.5"))}
    for name, value in at.items():
        point[name] = loss.parameter(name).validate(value)
    for p in loss.parameters:
        point.setdefault(p.name, p.default)
    symbols = [sp.Symbol(n, positive=True) for n in point]
    f = result.field
    quantities = {"loss": loss.elementary}
    if f is not None:
        base = result.probability_field or f
        quantities.update({"d_x1": base.d_x1.closed_form, "d_x2": base.d_x2.closed_form,
                           "ratio": f.ratio})
        if result.probability_field is not None:
            quantities.update({"velocity_x1": -f.d_x1.closed_form,
                               "velocity_x2": -f.d_x2.closed_form})
    out = {}
    with mpmath.workdps(50):
        for name, expr in quantities.items():
            fn = mp_callable(expr, symbols)
            out[name] = mpmath.nstr(fn(*[to_mpf(v) for v in point.values()]), 50)
    return {"point": {k: sp.sstr(v) for k, v in point.items()}, "values": out}


def _cmd_verify(args, stdout: TextIO, stderr: TextIO) -> int:
    names = list(CATALOGUE) if args.all or not args.variants else args.variants
    results = [analyze(get_variant(n).name, budget=args.budget) for n in names]
    failed = [r for r in results if r.failures]
    if args.json:
        json.dump([r.to_json() for r in results], stdout, indent=None if args.compact else 2)
        stdout.write("\n")
    else:
        from .table import verification_table

        stdout.write(verification_table(results) + "\n")
        for r in failed:
            for failure in r.failures:
                stdout.write(f"FAILED {r.variant}: {failure}\n")
        stdout.write(f"{len(results)} variants verified, {len(failed)} with failed checks\n")
    return EXIT_FAILED if failed else EXIT_OK


def _cmd_theorem(args, stdout: TextIO, stderr: TextIO) -> int:
    from .theorems import is_margin_loss, margin_loss_theorem

    t = margin_loss_theorem()
    members = {name: is_margin_loss(loss) for name, loss in CATALOGUE.items()}
    if args.json:
        json.dump({"statement": t.statement, "proved": t.proved, "steps": list(t.steps),
                   "variants": {n: {"margin_loss": m, "reason": r}
                                for n, (m, r) in members.items()}}, stdout, indent=2)
        stdout.write("\n")
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
             "parameters": {p.name: {"domain": interval_text(p.domain), "default": sp.sstr(p.default),
                                     "description": p.description} for p in l.parameters},
             "loss": sp.sstr(l.expr), "reading": l.reading}
            for l in CATALOGUE.values()]
    if args.json:
        json.dump({"variants": rows, "not_per_pair": dict(NOT_PER_PAIR)}, stdout, indent=2)
        stdout.write("\n")
        return EXIT_OK
    for r in rows:
        params = ", ".join(f"{k}={v['default']}" for k, v in r["parameters"].items())
        trl = f"  [TRL: {r['trl_name']}]" if r["trl_name"] else ""
        stdout.write(f"{r['variant']:<14} {r['title']} ({r['citation']}){trl}\n"
                     f"{'':<14} L = {r['loss']}   ({params})\n")
    for name, why in NOT_PER_PAIR.items():
        stdout.write(f"{name:<14} not per-pair: {why}\n")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dpo-proofs",
        description="Formal symbolic verification of preference-optimization losses.",
        epilog="Exit status: 0 every check that must hold did; 1 a check failed "
               "(a high-precision confirmation, an equivalent form, a time budget); "
               "2 bad input (unknown variant, parameter outside its domain, unsafe "
               "expression). A refuted claim of the paper is a finding, not a failure.")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p):
        p.add_argument("--json", action="store_true", help="print JSON instead of text")
        p.add_argument("--compact", action="store_true", help="JSON on one line")
        p.add_argument("--budget", type=float, default=120.0,
                       help="safety-net seconds for each symbolic derivation (default 120)")

    p = sub.add_parser("analyze", help="derive and check one variant",
                       description="Derive dL/dx1, dL/dx2, R = |dL/dx2|/|dL/dx1|, the regions "
                       "of R vs 1, field quantities, and check them. JSON keys: variant, loss, "
                       "d_x1, d_x2, ratio, region_ratio_gt_1, radial, verdicts, ... "
                       "(expressions are sympy strings in x1, x2, r_w, r_l, beta).")
    p.add_argument("variant", nargs="?", help="catalogue name or TRL loss_type (see 'list')")
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
    common(p)
    p.set_defaults(handler=_cmd_verify)

    p = sub.add_parser("theorem", help="prove the margin-loss class theorem; say which "
                       "variants it covers",
                       description="For L = l(h) with l an undefined function: R = x1/x2 "
                       "where l'(h) != 0, and gradient flow conserves x1^2 + x2^2. Each "
                       "variant is classified by computing its radial component.")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_cmd_theorem)

    p = sub.add_parser("list", help="the catalogue: variants, parameters, citations")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_cmd_list)

    from .check_cli import add_subcommands as add_check
    from .impl_cli import add_subcommands as add_check_impl
    from .frames_cli import add_subcommands as add_frames
    from .dynamics_cli import add_subcommands as add_dynamics
    from .docs_cli import add_subcommands  # derive, plot (own module)

    add_subcommands(sub)
    add_check(sub)
    add_check_impl(sub)
    add_frames(sub)
    add_dynamics(sub)
    return parser


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    stdout = sys.stdout if stdout is None else stdout
    stderr = sys.stderr if stderr is None else stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse already printed its one-line usage error
        return EXIT_USAGE if exit_.code else EXIT_OK
    try:
        return args.handler(args, stdout, stderr)
    except DpoProofsError as error:
        stderr.write(f"dpo-proofs: error: {error}\n")
        return EXIT_USAGE


def main_exit() -> None:
    """Entry point of the ``dpo-proofs`` console script."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.exit(code)

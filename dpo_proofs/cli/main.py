"""Command-line interface: a thin layer over the public API.

Each handler is ``(args, stdout, stderr) -> int`` so tests can call it with StringIO.
Exit codes: 0 all checks that must hold did; 1 a check failed; 2 bad input.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import signal
import sys
from collections.abc import Sequence
from typing import TextIO

import mpmath
import sympy as sp

from ..loss.symbols import interval_text

from ..pipeline import analyze
from ..errors import DpoProofsError, Terminated
from ..loss.catalogue import CATALOGUE, NOT_PER_PAIR, get_variant

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

#: Longest time budget accepted on the command line (seconds).
MAX_BUDGET = 3600.0
#: Environment variable bounding the process's address space (bytes, or with a K/M/G
#: suffix; 0 turns the limit off) and its default.
MEMORY_ENV = "DPO_PROOFS_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = 8 * 2**30


def budget_seconds(text: str) -> float:
    """argparse type of --budget: a finite positive number of seconds, at most 3600."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or not 0 < value <= MAX_BUDGET:
        raise argparse.ArgumentTypeError(
            f"{text!r}: a budget must be a finite number of seconds in (0, {MAX_BUDGET:g}]")
    return value


class UsageError(Exception):
    """An argparse error, raised instead of printed so that main writes one line."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: 'dpo-proofs: error: PROG: MESSAGE' from main."""

    def error(self, message: str):  # noqa: D401 - argparse's hook
        prog = self.prog.removeprefix("dpo-proofs").strip()
        raise UsageError((f"{prog}: " if prog else "") + message
                         + f" (see {self.prog} --help)")


def dump_json(data, stream: TextIO, indent: int | None = 2) -> None:
    """Valid JSON on ``stream``: non-finite floats become "nan"/"inf" strings."""
    from ..files import json_safe

    json.dump(json_safe(data), stream, indent=indent, allow_nan=False)
    stream.write("\n")


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
    from .user import USER_BUDGET_SECONDS, VARIANT_BUDGET_SECONDS, loss_from_args

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
        dump_json(out, stdout, indent=None if args.compact else 2)
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
    from ..numerics.confirm import mp_callable, to_mpf
    from ..loss.symbols import X1, X2

    loss = result.loss
    at = dict(at)
    point = {"x1": X1.validate(at.pop("x1", "0.5")), "x2": X2.validate(at.pop("x2", "0.5"))}
    for name, value in at.items():
        point[name] = loss.parameter(name).validate(value)
    for p in loss.parameters:
        point.setdefault(p.name, p.default)
    # the loss's own symbols (a user parameter may be real, not positive)
    by_name = {"x1": X1.symbol, "x2": X2.symbol, **{p.name: p.symbol for p in loss.parameters}}
    symbols = [by_name[n] for n in point]
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
            try:
                value = fn(*[to_mpf(v) for v in point.values()])
            except (ZeroDivisionError, ValueError, OverflowError, TypeError) as error:
                # e.g. orpo's log(1 - x1) at x1 = 1: the quantity has no value there
                out[name] = f"undefined ({type(error).__name__})"
                continue
            if isinstance(value, mpmath.mpc) and value.imag != 0:
                out[name] = "undefined (not real)"
            elif not mpmath.isfinite(value):
                out[name] = f"undefined ({mpmath.nstr(value, 5)})"
            else:
                out[name] = mpmath.nstr(mpmath.re(value), 50)
    return {"point": {k: sp.sstr(v) for k, v in point.items()}, "values": out}


def _cmd_verify(args, stdout: TextIO, stderr: TextIO) -> int:
    names = list(CATALOGUE) if args.all or not args.variants else args.variants
    results = [analyze(get_variant(n).name, budget=args.budget) for n in names]
    failed = [r for r in results if r.failures]
    if args.json:
        dump_json([r.to_json() for r in results], stdout, indent=None if args.compact else 2)
    else:
        from ..printers.table import verification_table

        stdout.write(verification_table(results) + "\n")
        for r in failed:
            for failure in r.failures:
                stdout.write(f"FAILED {r.variant}: {failure}\n")
        stdout.write(f"{len(results)} variants verified, {len(failed)} with failed checks\n")
    return EXIT_FAILED if failed else EXIT_OK


def _cmd_theorem(args, stdout: TextIO, stderr: TextIO) -> int:
    from ..field.theorem import is_margin_loss, margin_loss_theorem

    t = margin_loss_theorem()
    members = {name: is_margin_loss(loss) for name, loss in CATALOGUE.items()}
    if args.json:
        dump_json({"statement": t.statement, "proved": t.proved, "steps": list(t.steps),
                   "variants": {n: {"margin_loss": m, "reason": r}
                                for n, (m, r) in members.items()}}, stdout)
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
        dump_json({"variants": rows, "not_per_pair": dict(NOT_PER_PAIR)}, stdout)
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
    parser = _Parser(
        prog="dpo-proofs",
        description="Formal symbolic verification of preference-optimization losses.",
        epilog="Exit status: 0 every check that must hold did; 1 a check failed "
               "(a high-precision confirmation, an equivalent form, a time budget); "
               "2 bad input (unknown variant, parameter outside its domain, unsafe "
               "expression, an output file that cannot be written), with a one-line error. "
               f"Memory is bounded ({MEMORY_ENV}, bytes or K/M/G, default 8G, 0 = off); "
               "running out of it is a one-line error with status 1. "
               "A refuted claim of the paper is a finding, not a failure.")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p):
        p.add_argument("--json", action="store_true", help="print JSON instead of text")
        p.add_argument("--compact", action="store_true", help="JSON on one line")
        p.add_argument("--budget", type=budget_seconds, default=120.0,
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

    from .check import add_subcommands as add_check
    from .impl import add_subcommands as add_check_impl
    from .frames import add_subcommands as add_frames
    from .dynamics import add_subcommands as add_dynamics
    from .docs import add_subcommands  # derive, plot (own module)

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
    except UsageError as error:
        return _error(stderr, error, EXIT_USAGE)
    except SystemExit as exit_:  # --help
        return EXIT_USAGE if exit_.code else EXIT_OK
    try:
        return args.handler(args, stdout, stderr)
    except DpoProofsError as error:
        return _error(stderr, error, EXIT_USAGE)
    except MemoryError:
        return _error(stderr, "out of memory (the limit is set by the environment "
                      f"variable {MEMORY_ENV}; 0 turns it off)", EXIT_FAILED)


def _error(stderr: TextIO, error: object, code: int) -> int:
    """One line on stderr, whatever the message holds (newlines are folded)."""
    text = " | ".join(line.strip() for line in str(error).splitlines() if line.strip())
    stderr.write(f"dpo-proofs: error: {text or type(error).__name__}\n")
    return code


def _on_sigterm(signum, frame):
    raise Terminated(128 + signum)


def memory_limit(env: dict | None = None) -> int | None:
    """Bytes of address space from DPO_PROOFS_MEMORY_LIMIT (default 8 GiB; 0: no limit)."""
    from ..errors import InvalidArgument

    text = (os.environ if env is None else env).get(MEMORY_ENV, "").strip()
    if not text:
        return DEFAULT_MEMORY_LIMIT
    m = re.fullmatch(r"(\d{1,15})\s*([KMGT]?)i?B?", text, re.IGNORECASE)
    if not m:
        raise InvalidArgument(f"{MEMORY_ENV}={text!r} must be a number of bytes, optionally "
                              "with K, M, G or T (0: no limit)")
    value = int(m.group(1)) * 1024 ** "BKMGT".index((m.group(2) or "B").upper())
    return value or None


def _limit_memory(limit: int | None) -> None:
    """Lower RLIMIT_AS to ``limit`` (never raise it above the hard limit already set)."""
    try:
        import resource
    except ImportError:  # not on this platform
        return
    if limit is None:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft == resource.RLIM_INFINITY or limit < soft:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def main_exit() -> None:
    """Entry point of the ``dpo-proofs`` console script: SIGTERM handler, memory limit."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        try:
            _limit_memory(memory_limit())
        except DpoProofsError as error:
            sys.exit(_error(sys.stderr, error, EXIT_USAGE))
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.exit(code)

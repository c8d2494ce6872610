"""`dynamics`: the gradient flow of one variant in one parametrization, derived and checked."""
from __future__ import annotations

from typing import TextIO

from ..errors import InvalidArgument
from ..printers.dynamics import dynamics_text
from ..printers.table import ASCII_MARKS, MARKS
from .options import (BUDGETS, VARIANT_HELP, budget_seconds, dump_json, key_values,
                      output_marks)

__all__ = ["add_subcommands"]


def _start(text: str) -> tuple[str, str]:
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or not all(parts):
        raise InvalidArgument(f"--start {text!r} must look like X1,X2 (e.g. 0.3,0.4)")
    from ..loss.symbols import X1, X2

    # bounded, exact, in (0, 1]: refused here in one line before any derivation
    X1.validate(parts[0])
    X2.validate(parts[1])
    return parts[0], parts[1]


def _cmd_dynamics(args, stdout: TextIO, stderr: TextIO) -> int:
    from ..numerics.odes import DEFAULT_STARTS
    from ..pipeline import dynamics

    starts = [_start(s) for s in args.start] if args.start else DEFAULT_STARTS
    d = dynamics(args.variant, args.parametrization, key_values(args.param, "--param"),
                 starts=starts, budget=args.budget)
    if args.json:
        dump_json(d.to_json(), stdout, indent=2)
    else:
        unicode = output_marks(stdout, MARKS, ASCII_MARKS) is MARKS
        stdout.write(dynamics_text(d, unicode) + "\n")
    return 0 if d.passed else 1


def add_subcommands(sub) -> None:

    p = sub.add_parser(
        "dynamics", help="gradient-flow dynamics of a variant in a parametrization",
        description="Derive the conserved quantity of dx/dt = -J J^T grad L, the orbit "
        "through a starting point (x1_0, x2_0), the limit point (final x1 as a formula of the "
        "start) and a discrete step's first- and second-order terms; check them against "
        "mpmath's ODE solver from several starting points and exact steps at eta = 1e-1..1e-4. "
        "Exit status 1 if a check fails.")
    p.add_argument("variant", help=VARIANT_HELP)
    p.add_argument("--parametrization", default="probability", metavar="NAME",
                   help="probability (default), log, softmax, softmax:K, or a map "
                   "'x1 = EXPR, x2 = EXPR'")
    p.add_argument("--param", action="append", metavar="NAME=VALUE",
                   help="fix a constant in the formulas (others stay symbolic; the "
                   "numerical checks use their defaults)")
    p.add_argument("--start", action="append", metavar="X1,X2",
                   help="a starting point of the ODE checks (repeatable; default: six points)")
    p.add_argument("--json", action="store_true", help="the closed forms, the limit and the ODE checks as JSON")
    p.add_argument("--budget", type=budget_seconds, default=BUDGETS["dynamics"],
                   help="safety-net seconds per symbolic derivation")
    p.set_defaults(handler=_cmd_dynamics)

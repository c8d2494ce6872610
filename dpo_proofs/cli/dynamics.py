"""`dynamics`: the gradient flow of one variant in one parametrization, derived and checked."""
from __future__ import annotations

from typing import TextIO

import sympy as sp

from ..errors import InvalidArgument
from .options import BUDGETS, VARIANT_HELP, budget_seconds, dump_json, key_values

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


def dynamics_text(d) -> str:
    """The closed forms, the limit argument and the two tables of checks."""
    lines = [f"{d.variant} in the {d.frame} frame   (numerical checks at "
             + ", ".join(f"{k}={v}" for k, v in d.values) + ")"]
    lines.append(f"  conserved quantity I : {sp.sstr(d.conserved) if d.conserved is not None else 'none'}"
                 + ("" if d.conserved is not None else f"  ({d.conserved_reason})"))
    if d.orbit is not None:
        lines.append(f"  orbit x2(x1)         : {sp.sstr(d.orbit)}")
    lines.append(f"  final x1             : {sp.sstr(d.limit.final_x1)}")
    lines.append(f"  final x2             : {sp.sstr(d.limit.final_x2)}")
    lines.append(f"  limit ({d.limit.case}) : {d.limit.argument}")
    lines.append(f"  step, first order    : dx = eta * ({sp.sstr(d.first_order[0])}, "
                 f"{sp.sstr(d.first_order[1])})")
    if d.second_order is not None:
        lines.append(f"  step, second order   : + eta^2/2 * ({sp.sstr(d.second_order[0])}, "
                     f"{sp.sstr(d.second_order[1])})")
    if d.checks:
        lines.append("  ODE checks (mpmath.odefun):")
        lines.append(f"    {'start':<14}{'ends at':<16}{'other coordinate':<34}"
                     f"{'I digits':>9}  {'final x1':<14}{'gap to limit':<24}{'s':>6}")
        for c in d.checks:
            gaps = " -> ".join(c.final_gaps) if c.final_gaps else "-"
            lines.append(f"    ({c.start[0]}, {c.start[1]})".ljust(18)
                         + f"{c.variable}={c.end}".ljust(16) + f"{c.numerical:<34}"
                         + f"{'-' if c.conserved_digits is None else c.conserved_digits:>9}  "
                         + f"{c.final_formula or '-':<14}{gaps:<24}{c.seconds:>6}")
    if d.step_checks:
        lines.append(f"  discrete step at (x1, x2) = ({d.step_point[0]}, {d.step_point[1]}): "
                     "error of the first-order prediction vs eta^2/2 * second-order term")
        for s in d.step_checks:
            lines.append(f"    eta={s.eta:<6} error=({s.error_x1}, {s.error_x2})  "
                         f"predicted=({s.predicted_x1}, {s.predicted_x2})  digits={s.digits}")
    lines.append("PASSED" if d.passed else "FAILED")
    return "\n".join(lines)


def _cmd_dynamics(args, stdout: TextIO, stderr: TextIO) -> int:
    from ..numerics.odes import DEFAULT_STARTS
    from ..pipeline import dynamics

    starts = [_start(s) for s in args.start] if args.start else DEFAULT_STARTS
    d = dynamics(args.variant, args.parametrization, key_values(args.param, "--param"),
                 starts=starts, budget=args.budget)
    if args.json:
        dump_json(d.to_json(), stdout, indent=2)
    else:
        stdout.write(dynamics_text(d) + "\n")
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

"""The text of a ``Dynamics``: closed forms of the flow, where it ends, and the checks."""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import sympy as sp

from .readable import readable, readable_text

if TYPE_CHECKING:
    from ..results import Dynamics

__all__ = ["dynamics_text"]


def _shown(expr: sp.Basic | None, unicode: bool) -> str:
    return "not derived" if expr is None else readable(expr, unicode)


def dynamics_text(d: "Dynamics", unicode: bool = False) -> str:
    """The closed forms (in readable mathematics), the limit argument and the two tables
    of checks."""
    show = functools.partial(_shown, unicode=unicode)
    lines = [f"{d.variant} in the {d.frame} frame   (numerical checks at "
             + ", ".join(f"{k}={v}" for k, v in d.values) + ")"]
    lines.append(f"  conserved quantity I : {show(d.conserved)}" if d.conserved is not None
                 else "  conserved quantity I : none  ("
                 f"{readable_text(d.conserved_reason, unicode)})")
    if d.orbit is not None:
        lines.append(f"  orbit x2(x1)         : {show(d.orbit)}")
    lines.append(f"  final x1             : {show(d.limit.final_x1)}")
    lines.append(f"  final x2             : {show(d.limit.final_x2)}")
    lines.append(f"  limit ({d.limit.case}) : "
                 f"{readable_text(d.limit.argument, unicode)}")
    lines.append(f"  step, first order    : dx = eta * ({show(d.first_order[0])}, "
                 f"{show(d.first_order[1])})")
    if d.second_order is not None:
        lines.append(f"  step, second order   : + eta^2/2 * ({show(d.second_order[0])}, "
                     f"{show(d.second_order[1])})")
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

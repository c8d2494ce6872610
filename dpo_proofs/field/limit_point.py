"""LimitPoint: where a flow ends, as formulas of its start (a value of the field stage)."""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

__all__ = ["LimitPoint"]


@dataclass(frozen=True)
class LimitPoint:
    """Where the flow from (x1_0, x2_0) ends: final x1 (and x2) as formulas, and why."""

    final_x1: sp.Expr | None
    final_x2: sp.Expr | None
    case: str
    argument: str

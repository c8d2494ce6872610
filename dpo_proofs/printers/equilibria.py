"""The stationary set and the flow's ends, as JSON, text lines and a table footer.

Formats an ``Equilibria`` value the pipeline derived (``numerics.equilibria``); it
derives nothing.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import mpmath
import sympy as sp

from .readable import readable

if TYPE_CHECKING:
    from ..numerics.equilibria import Equilibria
    from ..results import Analysis

__all__ = ["equilibria_json", "equilibria_lines", "wrong_way_footer"]


def _num(value) -> str:
    value = sp.Rational(value)
    return mpmath.nstr(mpmath.mpf(value.p) / value.q, 6)


#: the ratio a band of x1/x2 is written in (a name, printed as it is)
_RHO = sp.Symbol("x1/x2", positive=True)


def _wide(value) -> str:
    value = sp.Rational(value)
    return mpmath.nstr(mpmath.mpf(value.p) / value.q, 14)


def _ray(r: dict) -> dict[str, Any]:
    if r["kind"] == "band":
        exact = r.get("exact")
        return {"kind": "band", "where": (sp.sstr(exact) if exact is not None else
                                          f"sampled: rho in [{_num(r['lo'])}, {_num(r['hi'])}]"
                                          f" at {r['points']} scan points")}
    return {"kind": "zero", "rho_enclosure": [str(r["lo"]), str(r["hi"])],
            "rho": _num((r["lo"] + r["hi"]) / 2),
            "stability": "attracting" if r["stable"] else "repelling"}


def _flow(f: dict) -> dict[str, Any]:
    target = f["target"]
    sign = f["sign_at_start"]
    out: dict[str, Any] = {
        "start": [str(f["start"][0]), str(f["start"][1])],
        "x1_pushed": {1: "down", -1: "up", 0: "not at all", None: "undecided"}[sign],
        "ratio_moves": {1: "down", -1: "up", 0: "stays", None: "undecided"}[sign],
        "limit_ratio": None if target is None else _num((target["lo"] + target["hi"]) / 2),
        "max_x1_plus_x2": round(f["max_sum"], 6) if "max_sum" in f else None,
        "leaves_simplex": bool(f.get("max_sum", 0) > 1),
        "ode_check": f["ode"],
    }
    if target is not None:
        out["limit_point"] = [round(v, 6) for v in f["limit_point"]]
        out["limit_in_square"] = f["inside"]
        out["reached"] = "as t -> infinity (a simple zero of G is approached exponentially)"
    elif sign in (1, -1):
        out["reached"] = ("no zero of G in the scanned direction: the ratio moves without "
                          "bound (up to 1e12 scanned), toward the boundary x2 -> 0"
                          if sign < 0 else "no zero of G below: x1 -> 0")
    return out


def equilibria_json(eq: "Equilibria | None") -> dict[str, Any] | None:
    if eq is None:
        return None
    if not eq.derived:
        return {"derived": False, "reason": eq.reason, "constants": dict(eq.constants)}
    return {"derived": True, "argument": eq.reason, "constants": dict(eq.constants),
            "G_of_rho": sp.sstr(eq.G), "stationary": [_ray(r) for r in eq.rays],
            "notes": list(eq.notes), "flows": [_flow(f) for f in eq.flows],
            "wrong_way": eq.wrong_way}


def equilibria_lines(eq: "Equilibria | None") -> list[str]:
    """Plain sentences for a summary or a document's text."""
    if eq is None:
        return []
    if not eq.derived:
        return [f"Equilibria: not derived ({eq.reason})."]
    lines = [f"Equilibria (constants {', '.join(f'{k} = {v}' for k, v in eq.constants)}): "
             f"G(rho) = x1 dL/dx1 with rho = x1/x2."]
    if not eq.rays:
        lines.append("The gradient vanishes nowhere on 1e-12 <= x1/x2 <= 1e12 "
                     "(G has no sign change and no zero at the scanned ratios).")
    for r in eq.rays:
        shown = _ray(r)
        if r["kind"] == "band":
            exact = r.get("exact")
            where = (readable(exact.as_relational(_RHO), unicode=False)
                     if isinstance(exact, sp.Set) else shown["where"])
            lines.append(f"The gradient vanishes on a band: {where}.")
        else:
            lines.append(f"Stationary ray x1/x2 = {shown['rho']} (certified in "
                         f"[{_wide(r['lo'])}, {_wide(r['hi'])}]), {shown['stability']}.")
    for f in eq.flows:
        shown = _flow(f)
        start = f"({shown['start'][0]}, {shown['start'][1]})"
        if shown["limit_ratio"] is not None:
            where = (f"x1/x2 -> {shown['limit_ratio']}, at ({shown['limit_point'][0]}, "
                     f"{shown['limit_point'][1]}) as t -> infinity")
        else:
            where = shown.get("reached", "undecided")
        lines.append(f"From {start}: {where}; the largest x1 + x2 on the way is "
                     f"{shown['max_x1_plus_x2']}"
                     + (" (the paper's frame leaves the simplex)" if shown["leaves_simplex"]
                        else "") + ".")
    if eq.wrong_way:
        lines.append("WRONG-WAY: on the diagonal x1 is pushed down (G(1) > 0, certified), "
                     "so the flow from x1 = x2 ends with x2 > x1.")
    return lines


def wrong_way_footer(results: Sequence["Analysis"]) -> list[str]:
    """The verify table's finding: the losses whose flow from the diagonal ends with x2 > x1."""
    found = [a for a in results if a.equilibria is not None and a.equilibria.wrong_way]
    if not found:
        return []
    lines = ["", "Wrong-way losses (on x1 = x2 the loss pushes x1 down, certified;",
             "the flow from (1/2, 1/2) converges to x2 > x1):"]
    for a in found:
        target = a.equilibria.limit_ratio
        lines.append(f"  {a.variant:<16} x1/x2 -> "
                     + (_num((target["lo"] + target["hi"]) / 2) if target else "0")
                     + " at " + ", ".join(f"{k}={v}" for k, v in a.equilibria.constants))
    return lines

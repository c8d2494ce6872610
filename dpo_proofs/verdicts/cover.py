"""Interval box covers: the certificate format and its re-check (kernel rule K6).

A cover is a set of dyadic boxes named by bisection paths ('0' = lower half, '1' =
upper half of the dimension widest relative to the root), each 'in' (the claim holds on
all of it by ``mpmath.iv`` outward-rounded evaluation) or 'out' (a domain relation fails
on all of it). ``recheck`` rebuilds every box from its path, checks that the paths are
prefix-free with Kraft sum 1 (the leaves tile the root exactly) and re-evaluates each.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import sympy as sp

from ..loss.functions import to_elementary
from .certificates import OPS, normalize

__all__ = ["Certificate", "recheck", "iv_callable", "box_at", "to_iv", "certain"]

iv = mpmath.iv


def _iv_max(*args):
    return iv.mpf([max(a.a for a in map(iv.mpf, args)), max(a.b for a in map(iv.mpf, args))])


def _iv_min(*args):
    return iv.mpf([min(a.a for a in map(iv.mpf, args)), min(a.b for a in map(iv.mpf, args))])


def _iv_heaviside(z, h0=None):
    z = iv.mpf(z)
    if z.a > 0:
        return iv.mpf(1)
    if z.b < 0:
        return iv.mpf(0)
    return iv.mpf([0, 1])


_NAMESPACE = {
    "mpf": iv.mpf, "log": iv.log, "exp": iv.exp, "sqrt": iv.sqrt,
    "max": _iv_max, "min": _iv_min, "Max": _iv_max, "Min": _iv_min,
    "tanh": lambda z: 1 - 2 / (iv.exp(2 * z) + 1),
    "Heaviside": _iv_heaviside, "pi": iv.pi, "e": iv.e, "E": iv.e,
}


def iv_callable(expr: sp.Expr, variables: Sequence[sp.Symbol]) -> Callable:
    """``expr`` as a function of mpmath intervals (outward-rounded enclosure)."""
    elementary = to_elementary(expr)
    if elementary.has(sp.Piecewise, sp.Subs, sp.Derivative, sp.Integral):
        raise ValueError(f"no interval evaluation for {sp.sstr(elementary)[:80]}")
    return sp.lambdify(list(variables), elementary, modules=[_NAMESPACE, "mpmath"])


def to_iv(low: Fraction, high: Fraction):
    lo = iv.mpf(low.numerator) / low.denominator
    hi = iv.mpf(high.numerator) / high.denominator
    return iv.mpf([lo.a, hi.b])


def certain(value, op: str) -> int:
    """+1 if ``value op 0`` holds on the whole interval, -1 if it fails on all of it, 0 else."""
    # The raw ends as mpf: an interval's .a/.b are degenerate intervals, whose
    # comparisons with 0 raise TypeError when an end is nan (e.g. inf - inf).
    lo, hi = (mpmath.mpf(end) for end in value._mpi_)
    if mpmath.isnan(lo) or mpmath.isnan(hi):
        return 0
    holds = {">": lo > 0, ">=": lo >= 0, "<": hi < 0, "<=": hi <= 0, "!=": lo > 0 or hi < 0}
    fails = {">": hi <= 0, ">=": hi < 0, "<": lo >= 0, "<=": lo > 0, "!=": lo == hi == 0}
    return 1 if holds[op] else (-1 if fails[op] else 0)


@dataclass(frozen=True)
class Certificate:
    """A box cover of the root: every leaf certified (claim holds) or outside the domain.

    ``variables`` name the dimensions, ``root`` their exact bounds, ``leaves`` map a
    bisection path to 'in' (claim certified) or 'out' (a domain relation fails).
    """

    variables: tuple[str, ...]
    root: tuple[tuple[Fraction, Fraction], ...]
    leaves: tuple[tuple[str, str], ...]
    min_margin: str

    def to_json(self) -> dict:
        return {"variables": list(self.variables),
                "root": [[str(a), str(b)] for a, b in self.root],
                "leaves": [f"{kind}:{path}" for path, kind in self.leaves],
                "min_margin": self.min_margin}


def box_at(root, path: str):
    """The exact box of a bisection path (split the dimension widest relative to the root)."""
    box = [list(b) for b in root]
    for step in path:
        widths = [(hi - lo) / (r[1] - r[0]) if r[1] > r[0] else Fraction(0)
                  for (lo, hi), r in zip(box, root)]
        d = max(range(len(box)), key=lambda i: (widths[i], -i))
        mid = (box[d][0] + box[d][1]) / 2
        box[d] = [box[d][0], mid] if step == "0" else [mid, box[d][1]]
    return [tuple(b) for b in box]


def recheck(cert: Certificate, expr: sp.Expr, op: str, relations: Sequence[sp.Basic],
            variables: Sequence[sp.Symbol]) -> tuple[bool, str]:
    """Re-verify a certificate from scratch: exact tiling and every leaf re-evaluated."""
    if tuple(v.name for v in variables) != cert.variables:
        return False, "variables differ"
    paths = sorted(p for p, _ in cert.leaves)
    for a, b in zip(paths, paths[1:]):
        if b.startswith(a):
            return False, f"leaf {a!r} contains leaf {b!r}"
    if sum(Fraction(1, 2 ** len(p)) for p in paths) != 1:
        return False, "the leaves do not tile the root box"
    claim_fn = iv_callable(expr, variables)
    domain = [(iv_callable(r.lhs - r.rhs, variables), OPS[type(r)]) for r in relations]
    with mpmath.workprec(80):
        for path, kind in cert.leaves:
            args = [to_iv(lo, hi) for lo, hi in box_at(cert.root, path)]
            if kind == "in":
                if certain(iv.mpf(claim_fn(*args)), op) <= 0:
                    return False, f"leaf {path!r} is not certified"
            elif kind == "out":
                if not any(certain(iv.mpf(fn(*args)), o) < 0 for fn, o in domain):
                    return False, f"leaf {path!r} is not outside the domain"
            else:
                return False, f"unknown leaf kind {kind!r}"
    return True, "ok"


def variable_bounds(relations: Sequence[sp.Basic]) -> dict:
    """{v: (low, high)}: the bounds ``v >= c``, ``v > c``, ``v <= c``, ``v < c`` that
    relations of one variable against a rational state (None where a side is unbounded).
    A cover's root box may be clipped to them: every point of the domain satisfies them,
    so the clipped box still contains the domain (the kernel re-reads them)."""
    out: dict = {}
    for r in relations:
        gap, op = normalize(r)
        if op not in (">", ">=") or len(gap.free_symbols) != 1:
            continue
        (v,) = gap.free_symbols
        poly = gap.as_poly(v)
        if poly is None or poly.degree() != 1 or not all(c.is_Rational for c in poly.all_coeffs()):
            continue
        a, b = poly.all_coeffs()
        edge = -b / a
        edge = Fraction(int(edge.p), int(edge.q))
        low, high = out.get(v, (None, None))
        if a > 0:
            low = edge if low is None else max(low, edge)
        else:
            high = edge if high is None else min(high, edge)
        out[v] = (low, high)
    return out

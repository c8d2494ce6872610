"""The field a loss induces in a frame (a parametrization), and the frame's domain.

In a frame with metric M = J J^T the field analysed is M grad L = -dx/dt. Claims keep
their meaning there: ``d_x1`` and ``d_x2`` name the components of M grad L (so
``d_x1 < 0`` still reads "x1 increases") and ``ratio`` is the speed ratio
|dx2/dt| / |dx1/dt|; regions are restricted to the frame's domain (x1 + x2 < 1 for
softmax, the edge x1 + x2 = 1 for softmax:2).
"""
from __future__ import annotations

import dataclasses
import functools

import sympy as sp

from ..cache import cached
from ..loss.loss import Loss
from ..loss.symbols import x1, x2
from .frames import Parametrization
from .gradient import GradientField, gradient_field

__all__ = ["field_of", "restrict_to_frame", "on_frame", "with_frame_constants"]

#: a point, by symbol name
Point = dict


@functools.lru_cache(maxsize=256)
def field_of(loss: Loss, frame: Parametrization | None = None) -> GradientField:
    """grad L (or M grad L in ``frame``), derived once per (loss, frame): kept in this
    process, and on disk (``dpo_proofs.cache``) for every other process that asks for
    the same field -- the workers of ``derive --all``, the figures drawn after them, the
    test workers."""
    if frame is None or frame.is_identity:
        return cached("field", (loss, None), lambda: gradient_field(loss))
    return cached("field", (loss, frame), lambda: gradient_field(loss, frame.metric))


def with_frame_constants(loss: Loss, frame: Parametrization | None) -> Loss:
    """``loss`` with the frame's own constants (the Gram entries a, b, c) declared beside
    its own, so that claims, ranges and witnesses may name them."""
    from ..errors import InvalidArgument

    if frame is None or not frame.constants:
        return loss
    have = {p.name: p for p in loss.parameters}
    extra = []
    for p in frame.constants:
        if p.name in have:
            if have[p.name] == p:
                continue  # already extended
            raise InvalidArgument(f"{loss.name} has a constant named {p.name!r}, which the "
                                  f"{frame.name} frame uses for a Gram entry; rename it")
        extra.append(p)
    if not extra:
        return loss
    return dataclasses.replace(loss, parameters=(*loss.parameters, *extra))


def _edge_gap(relation: sp.Basic) -> sp.Expr | None:
    """lhs - rhs when it is +-(x1 + x2 - 1), with its sign: the simplex edge."""
    gap = sp.expand(relation.lhs - relation.rhs)
    edge = x1 + x2 - 1
    if gap == edge:
        return 1
    if gap == -edge:
        return -1
    return None


def restrict_to_frame(region: sp.Basic, frame: Parametrization) -> sp.Basic:
    """``region`` within the frame's domain, with relations to the simplex edge decided.

    On x1 + x2 < 1 a relation x1 + x2 > 1 is false and x1 + x2 < 1 true; on the edge
    x1 + x2 = 1 every relation is read with x2 = 1 - x1.
    """
    domain = frame.domain
    if domain is sp.true or region in (sp.true, sp.false):
        return region
    if isinstance(domain, sp.Equality):
        # The relations are left as substituted: field.region_forms reduces each one in
        # x1 (a threshold on (0, 1)), far cheaper than sympy's simplify of the whole.
        return sp.And(domain, region.subs(x2, 1 - x1)) if region.free_symbols else region
    decided = {}
    for rel in region.atoms(sp.core.relational.Relational):
        side = _edge_gap(rel)
        if side is None:
            continue
        # On the frame x1 + x2 - 1 < 0, so lhs - rhs = side*(x1 + x2 - 1) has sign -side.
        value = sp.Integer(-side)
        truth = {sp.StrictGreaterThan: value > 0, sp.GreaterThan: value >= 0,
                 sp.StrictLessThan: value < 0, sp.LessThan: value <= 0,
                 sp.Equality: False, sp.Unequality: True}[type(rel)]
        decided[rel] = sp.true if truth else sp.false
    return sp.And(domain, region.xreplace(decided))


def on_frame(point: Point, frame: Parametrization) -> Point | None:
    """The point moved onto the frame (x2 = 1 - x1 on the edge), or None if outside."""
    if frame.domain is sp.true:
        return point
    if isinstance(frame.domain, sp.Equality):
        moved = dict(point)
        moved["x2"] = 1 - moved["x1"]
        return moved if 0 < moved["x2"] <= 1 else None
    inside = frame.domain.subs({x1: point["x1"], x2: point["x2"]})
    return point if inside is sp.true else None

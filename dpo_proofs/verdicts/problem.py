"""A claim as the provers see it: ``expr op 0`` (op in '>', '>=', '=', '!=') on a domain.

``reduce_claim`` substitutes the derived quantities (loss, d_x1, d_x2, ratio) and the
fixed constants, normalises the relation, and keeps the conditions under which the
claim's text is defined. Every prover, the kernel and the search read this value.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sympy as sp

from ..errors import InvalidArgument
from ..field.gradient import GradientField
from ..field.frames import Parametrization
from ..field.hessian import hessian_of
from ..field.in_frame import field_of
from ..loss.loss import Loss
from ..phrases import Phrase
from ..field.canonical import canonical
from ..loss.symbols import (D_X1, D_X2, HESSIAN_SYMBOLS, LOSS, MARGIN_RATE, RATIO, S_L, S_W,
                            V_L, V_W, x1, x2)
from .certificates import OPS, gap_of, normalize
from .values import Claim

__all__ = ["Problem", "reduce_claim", "quantities", "constant_domains", "lhs_text",
           "normalize"]


def quantities(loss: Loss, field: GradientField | None = None,
               frame: Parametrization | None = None, hessian: bool = False,
               named: frozenset | set | None = None) -> dict[sp.Symbol, sp.Expr]:
    """The derived quantities a claim may name, as expressions in the standard symbols.

    The Hessian (of L in ``frame``'s coordinates) only when ``hessian``: it is derived
    for the claims that name it. The velocities and incentives only when ``named``
    (the symbols a claim uses) includes them, or when ``named`` is None.
    """
    field = field_of(loss, frame) if field is None else field
    d1, d2 = field.d_x1.closed_form, field.d_x2.closed_form
    out = {LOSS: loss.elementary, D_X1: d1, D_X2: d2, RATIO: field.ratio}

    def wanted(*symbols) -> bool:
        return named is None or bool(set(symbols) & set(named))

    if wanted(V_W, V_L, MARGIN_RATE):
        # The field is M grad L = -dx/dt, so d(log x_i)/dt = -(M grad L)_i / x_i.
        v_w, v_l = canonical(-d1 / x1), canonical(-d2 / x2)
        out.update({V_W: v_w, V_L: v_l, MARGIN_RATE: canonical(v_w - v_l)})
    if wanted(S_W, S_L):
        plain = field if frame is None or frame.is_identity else field_of(loss)
        out[S_W] = canonical(-x1 * plain.d_x1.closed_form)
        out[S_L] = canonical(x2 * plain.d_x2.closed_form)
    if hessian:
        H = hessian_of(loss, frame)
        if H.entries is None:
            raise InvalidArgument(f"the Hessian in the {H.frame} frame is not derived: "
                                  f"{H.reason}")
        out.update(zip(HESSIAN_SYMBOLS, (*H.entries, H.det, H.trace)))
    return out


@dataclass(frozen=True)
class Problem:
    """A claim reduced to ``expr op 0`` (op in '>', '>=', '=', '!=') on a domain.

    ``fixed`` holds parameters fixed to exact values (already substituted);
    ``ranges`` parameters that range over closed intervals (left symbolic).
    """

    claim: Claim
    loss: Loss
    expr: sp.Expr
    op: str
    form: sp.Expr  # the claim's ``expr`` before the quantities were substituted
    domain: tuple[sp.Basic, ...]
    fixed: tuple[tuple[str, sp.Expr], ...]
    ranges: tuple[tuple[str, sp.Expr, sp.Expr], ...]
    #: where the claim's text is defined (see Claim.requires), quantities substituted
    requires: tuple[sp.Basic, ...] = ()
    #: expressions that must have a real value at a counterexample: the loss itself and
    #: a frame's chart (a point where L is undefined, or that no coordinates reach, such
    #: as x1 = 1 under x1 = sigmoid(t1), is no pair the claim can be about)
    defined: tuple[sp.Basic, ...] = ()

    @property
    def variables(self) -> tuple[sp.Symbol, ...]:
        return (x1, x2, *[p.symbol for p in self.loss.parameters
                          if p.name not in dict(self.fixed)])


def _without_weaker(domain: tuple[sp.Basic, ...]) -> tuple[sp.Basic, ...]:
    """The domain without a relation g >= 0 that a strict g > 0 beside it implies (the
    softmax frame's x1 + x2 < 1 and a user's "simplex", x1 + x2 <= 1): the same set, and
    the provers' substitutions are not split over two encodings of one half-plane."""
    gaps = [gap_of(r) for r in domain]
    strict = {sp.expand(g[0]) for g in gaps if g is not None and g[1] == ">"}
    return tuple(r for r, g in zip(domain, gaps)
                 if g is None or g[1] != ">=" or sp.expand(g[0]) not in strict)


def _relations(domain: sp.Basic) -> tuple[sp.Basic, ...]:
    if domain is sp.true or domain is None:
        return ()
    if isinstance(domain, sp.And):
        return tuple(a for arg in domain.args for a in _relations(arg))
    if type(domain) in OPS:
        return (domain,)
    raise InvalidArgument(f"domain {sp.sstr(domain)!r} must be relations joined by '&'")


def reduce_claim(claim: Claim, loss: Loss, params: Mapping[str, object] | None = None,
                 field: GradientField | None = None,
                 frame: Parametrization | None = None) -> Problem:
    """Substitute the derived quantities and write the claim as ``expr op 0``.

    ``frame``: the quantities are the frame's (its field M grad L, the Hessian in its
    coordinates) and the domain is intersected with the frame's.
    """
    if frame is not None and frame.name != "probability" and frame.domain is not sp.true:
        claim = Claim(claim.name, claim.statement, sp.And(claim.domain, frame.domain),
                      claim.description, claim.requires)
    if frame is not None and frame.constraint is not sp.true:
        claim = Claim(claim.name, claim.statement, sp.And(claim.domain, frame.constraint),
                      claim.description, claim.requires)
    statement = claim.statement
    if type(statement) not in OPS:
        raise InvalidArgument(f"claim {sp.sstr(statement)!r} is not a single relation")
    op = OPS[type(statement)]
    expr = statement.lhs - statement.rhs
    if op in ("<", "<="):
        expr, op = -expr, op.replace("<", ">")
    fixed, ranges = {}, []
    from .claim_text import parse_range

    for name, value in (params or {}).items():
        if isinstance(value, str) and parse_range(value) is not None:
            value = parse_range(value)  # "0.01..10": the constant ranges over [0.01, 10]
        if isinstance(value, tuple):
            low, high = (loss.parameter(name).validate(v) for v in value)
            if low > high:
                raise InvalidArgument(f"{name}: empty range {value[0]}..{value[1]}")
            ranges.append((name, low, high))
        else:
            fixed[name] = loss.parameter(name).validate(value)
    named = statement.free_symbols | claim.domain.free_symbols | \
        {s for q in claim.requires for s in q.free_symbols}
    subs = quantities(loss, field, frame, bool(named & set(HESSIAN_SYMBOLS)), named)
    form = expr
    expr = expr.subs(subs)
    bound = {loss.parameter(n).symbol: v for n, v in fixed.items()}
    expr = expr.subs(bound)
    try:
        domain = tuple(r.subs(subs).subs(bound) for r in _relations(claim.domain))
    except TypeError as error:  # e.g. s_w/s_l with s_l identically 0: zoo < c/a
        raise InvalidArgument(f"the domain of {claim.name!r} is undefined for "
                              f"{loss.name}: a quantity it names is not a number "
                              f"({error})") from None
    # A relation the constants decide is dropped (true) or empties the domain (false).
    domain = _without_weaker(tuple(r for r in domain if r is not sp.true))
    requires = tuple(r for r in (q.subs(subs).subs(bound) for q in claim.requires)
                     if r is not sp.true)
    defined = (loss.expr, *(() if frame is None else (e for _, e in frame.chart)))
    return Problem(claim, loss, expr, op, form, domain, tuple(sorted(fixed.items())),
                   tuple(ranges), requires, tuple(e.subs(bound) for e in defined))


def constant_domains(problem: Problem) -> dict:
    """Each free constant's set: its range if ranged, else its declared domain."""
    ranges = {n: (lo, hi) for n, lo, hi in problem.ranges}
    fixed = dict(problem.fixed)
    out = {}
    for p in problem.loss.parameters:
        if p.name in fixed:
            continue
        if p.name in ranges:
            out[p.symbol] = sp.Interval(*ranges[p.name])
        else:
            out[p.symbol] = p.domain
    return out


def lhs_text(problem: Problem) -> Phrase:
    """The claim's left-hand side (``expr op 0`` before substitution: ratio - 1, d_x1),
    kept as mathematics for the printers."""
    return Phrase(problem.form)

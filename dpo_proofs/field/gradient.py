"""The gradient field of a loss over (x1, x2) and the quantities derived from it.

For a loss L(x1, x2) the field is grad L = (dL/dx1, dL/dx2); gradient descent moves
(x1, x2) along -grad L. The speed ratio R = |dL/dx2| / |dL/dx1| compares how fast the
dispreferred probability falls with how fast the preferred one rises.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from .canonical import canonical, disjoint_pieces, prove_equal
from ..loss.functions import to_elementary
from ..loss.loss import Loss
from .conserved import ConservedQuantity, conserved_quantity, flow_check
from .limits import Limit, limits_at_zero
from .signs import (SignAnalysis, active_domains, analyze_sign, domains_in_force,
                    parameter_domains)
from ..loss.symbols import x1, x2
from ..phrases import Phrase, join

__all__ = ["Partial", "ConservedQuantity", "Limit", "GradientField", "gradient_field",
           "ratio_of", "conserved_quantity", "RATIO_MINUS_ONE", "SQUARES_DIFFERENCE",
           "PER_PIECE", "flow_check"]

#: What ``GradientField.ratio_excess_expr`` is: R - 1 (both partials, or their quotient,
#: of fixed sign), (dL/dx2)^2 - (dL/dx1)^2 (otherwise), or, for a piecewise loss whose
#: pieces differ in that respect, each piece's own (see ``GradientField.pieces``).
RATIO_MINUS_ONE = "R - 1"
SQUARES_DIFFERENCE = "d_x2**2 - d_x1**2"
PER_PIECE = "per piece"
#: the field quantities derived on first use (``GradientField.derive_all`` forces them)
_QUANTITIES = ("gradient_norm", "divergence", "curl")


@dataclass(frozen=True)
class Partial:
    """dL/dx for one probability: the chain-rule form and the canonical closed form."""

    symbol: sp.Symbol
    chain_rule: sp.Expr
    closed_form: sp.Expr
    sign: SignAnalysis


@dataclass(frozen=True)
class GradientField:
    """Everything derived from grad L (all closed forms canonical)."""

    d_x1: Partial
    d_x2: Partial
    ratio: sp.Expr
    ratio_excess: SignAnalysis  # sign analysis of R - 1 (or of d_x2^2 - d_x1^2)
    ratio_excess_expr: sp.Expr
    radial: sp.Expr
    #: where R is defined (dL/dx1 != 0); the regions below are intersected with it.
    defined_where: sp.Basic = sp.true
    #: the set where the gradient vanishes (both partials 0): no motion there.
    vanishing: sp.Basic = sp.false
    #: for piecewise losses: (condition, field of that piece); the kinks between
    #: pieces are where the loss is not differentiable.
    pieces: tuple = ()
    kinks: tuple[sp.Basic, ...] = ()
    #: which quantity ratio_excess_expr is: RATIO_MINUS_ONE, SQUARES_DIFFERENCE or PER_PIECE.
    ratio_excess_of: str = RATIO_MINUS_ONE
    #: the derived-on-demand quantities (|grad L|, divergence, curl, the conserved
    #: quantity, limits as x2 -> 0+): verify and the claims never need them, and they cost
    #: half of a field's derivation (in a frame, where the documents show none of them,
    #: the divergence of M grad L alone costs as much as the velocity).
    #: ``domains`` are the constants' domains in force when the field was derived, so a
    #: quantity derived later sees the same ones; ``limits_wanted`` is False in a frame.
    domains: dict = field(default_factory=dict, compare=False, repr=False)
    limits_wanted: bool = True
    _lazy: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def conserved(self) -> ConservedQuantity | None:
        """A first integral of the gradient flow, or None (see ``conserved_reason``)."""
        return self._conserved()[0]

    @property
    def conserved_reason(self) -> str:
        """Why no conserved quantity was found ("" when one was)."""
        return self._conserved()[1]

    @property
    def gradient_norm(self) -> sp.Expr | None:
        """|grad L| = sqrt((dL/dx1)^2 + (dL/dx2)^2) (None: not derived, see
        ``quantities_reason``)."""
        return self._quantity("gradient_norm")

    @property
    def divergence(self) -> sp.Expr | None:
        """div grad L = d^2L/dx1^2 + d^2L/dx2^2 (of the field's components in a frame)."""
        return self._quantity("divergence")

    @property
    def curl(self) -> sp.Expr | None:
        """d/dx1 (dL/dx2) - d/dx2 (dL/dx1): 0 for a gradient, not for M grad L in a frame."""
        return self._quantity("curl")

    @property
    def quantities_reason(self) -> str:
        """Why the norm, divergence or curl was not derived ("" when they were)."""
        return self._lazy.get("quantities_reason", "")

    def _quantity(self, name: str) -> sp.Expr | None:
        if name not in self._lazy:
            with domains_in_force(self.domains):
                self._lazy[name] = self._derive_quantity(name)
        return self._lazy[name]

    def _derive_quantity(self, name: str) -> sp.Expr | None:
        if self.pieces:
            if any(getattr(piece, name) is None for _, piece in self.pieces):
                return None
            return _joined(self.pieces, lambda piece: getattr(piece, name))
        a, b = self.d_x1.closed_form, self.d_x2.closed_form
        if name == "gradient_norm":
            return sp.sqrt(canonical(a**2 + b**2))
        if name == "divergence":
            return canonical(sp.diff(a, x1) + sp.diff(b, x2))
        return canonical(sp.diff(b, x1) - sp.diff(a, x2))

    @property
    def limits(self) -> tuple[Limit, ...]:
        """Limits of dL/dx2 as x2 -> 0+ (the probability frame's; () in other frames)."""
        if "limits" not in self._lazy:
            with domains_in_force(self.domains):
                self._lazy["limits"] = (limits_at_zero(self.d_x2.closed_form)
                                        if self.limits_wanted else ())
        return self._lazy["limits"]

    def _conserved(self) -> tuple[ConservedQuantity | None, str]:
        if "conserved" not in self._lazy:
            with domains_in_force(self.domains):
                self._lazy["conserved"] = (_pieces_conserved(self.pieces) if self.pieces else
                                           conserved_quantity(self.d_x1.closed_form,
                                                              self.d_x2.closed_form))
        return self._lazy["conserved"]

    def not_derived(self, reason: str) -> None:
        """Record the on-demand quantities not derived yet as not derivable (``reason``),
        e.g. when a time budget ran out while deriving them."""
        self._lazy.setdefault("conserved", (None, reason))
        self._lazy.setdefault("limits", ())
        for name in _QUANTITIES:
            if name not in self._lazy:
                self._lazy[name] = None
                self._lazy["quantities_reason"] = reason
        for _, piece in self.pieces:
            piece.not_derived(reason)

    def derive_all(self) -> GradientField:
        """Derive the on-demand quantities now (inside the caller's time budget)."""
        for _, piece in self.pieces:
            piece.derive_all()
        for name in _QUANTITIES:
            self._quantity(name)
        self._conserved()
        self.limits
        return self

    @property
    def region_ratio_gt_1(self) -> sp.Basic:
        return self._region(">")

    @property
    def region_ratio_eq_1(self) -> sp.Basic:
        return self._region("=")

    @property
    def region_ratio_lt_1(self) -> sp.Basic:
        return self._region("<")

    def _region(self, op: str) -> sp.Basic:
        if self.pieces:
            return sp.Or(*[sp.And(cond, piece._region(op)) for cond, piece in self.pieces])
        return sp.And(self.ratio_excess.region(op), self.defined_where)

    def region_partial(self, symbol: sp.Symbol, op: str) -> sp.Basic:
        """Where dL/d(symbol) op 0 (op in '>', '<', '='), exactly."""
        if self.pieces:
            return sp.Or(*[sp.And(cond, piece.region_partial(symbol, op))
                           for cond, piece in self.pieces])
        partial = self.d_x1 if symbol == x1 else self.d_x2
        return partial.sign.region(op)

    @property
    def is_margin_loss(self) -> bool:
        """Radial component identically 0: L is invariant under (x1, x2) -> (t x1, t x2)."""
        return self.radial == 0


def _partial(loss: Loss, symbol: sp.Symbol) -> Partial:
    return _partial_of(loss.expr, symbol)


def _partial_of(expr: sp.Expr, symbol: sp.Symbol) -> Partial:
    chain_rule = sp.diff(expr, symbol)
    closed = canonical(chain_rule)
    return Partial(symbol, chain_rule, closed, analyze_sign(closed, already_canonical=True))


def ratio_of(d_x1: Partial, d_x2: Partial) -> tuple[sp.Expr, sp.Expr, SignAnalysis]:
    """R = |dL/dx2| / |dL/dx1|, and the sign analysis that decides R > 1.

    With both signs known the absolute values are dropped and R - 1 is factored;
    otherwise R > 1 iff dL/dx2^2 - dL/dx1^2 > 0 (where dL/dx1 != 0), which is factored.
    """
    return _ratio_parts(d_x1, d_x2)[:3]


def _ratio_parts(d_x1: Partial, d_x2: Partial) -> tuple[sp.Expr, sp.Expr, SignAnalysis, str]:
    """ratio_of, and which quantity its excess is (RATIO_MINUS_ONE or SQUARES_DIFFERENCE).

    R - 1 is factored when dL/dx2 / dL/dx1 has one sign (both partials of fixed sign,
    or a quotient of fixed sign although the partials are not): then
    R = +-(dL/dx2)/(dL/dx1) with no absolute values left.
    """
    s1, s2 = d_x1.sign.sign, d_x2.sign.sign
    a, b = d_x1.closed_form, d_x2.closed_form
    if a == 0:
        # No motion of x1: R is undefined (nan), never > 1 or < 1.
        return sp.nan, sp.nan, analyze_sign(sp.S.Zero, already_canonical=True), RATIO_MINUS_ONE
    if s1 and s2:
        ratio = canonical((s2 * b) / (s1 * a))
        excess = canonical(ratio - 1)
        return ratio, excess, analyze_sign(excess, already_canonical=True), RATIO_MINUS_ONE
    q = canonical(b / a)
    q_sign = analyze_sign(q, already_canonical=True)
    if q_sign.sign in (1, -1):
        # dL/dx2 / dL/dx1 has one sign wherever both are non-zero (e.g. l'(h) factors cancel).
        ratio = canonical(q_sign.sign * q)
        excess = canonical(ratio - 1)
        return ratio, excess, analyze_sign(excess, already_canonical=True), RATIO_MINUS_ONE
    decided = sp.Mul(*[sp.Pow(f.base, f.exponent) * (f.sign if f.odd else 1)
                       for f in q_sign.factors if f.sign is not None])
    rest = sp.Mul(*[sp.Pow(f.base, f.exponent) for f in q_sign.factors if f.sign is None])
    ratio = decided * sp.Abs(rest)
    # b^2 - a^2 = (b - a)(b + a): each side factored on its own, then the product put in
    # factored form factor by factor. Expanding b^2 - a^2 first gives the same factors
    # but, for a frame's velocity, a polynomial of hundreds of terms to factor (30 s).
    excess = sp.powsimp(sp.factor(canonical(b - a) * canonical(b + a)), combine="exp")
    return ratio, excess, analyze_sign(excess, already_canonical=True), SQUARES_DIFFERENCE


def gradient_field(loss: Loss, metric: sp.Matrix | None = None) -> GradientField:
    """Derive grad L, R, the regions of R vs 1 and the field quantities of ``loss``.

    With ``metric`` M (a parametrization's J J^T, see ``dpo_proofs.parametrizations``)
    the field is M grad L = -dx/dt instead: its "partials" are the components of minus
    the induced velocity, and its ratio is the speed ratio |dx2/dt| / |dx1/dt|.
    """
    with parameter_domains(loss.parameters):
        return _gradient_field(loss, metric)


def _gradient_field(loss: Loss, metric: sp.Matrix | None) -> GradientField:
    expr = to_elementary(loss.expr)
    if expr.has(sp.Max, sp.Min, sp.Abs, sp.Heaviside, sp.sign, sp.Piecewise):
        folded = sp.piecewise_fold(expr.rewrite(sp.Piecewise))
        if isinstance(folded, sp.Piecewise):
            return _piecewise_field(folded, metric)
    return _smooth_field(loss.expr, metric)


def _apply_metric(metric: sp.Matrix, d1: Partial, d2: Partial) -> tuple[Partial, Partial]:
    """(M grad L)_i, shown as M_i1 dL/dx1 + M_i2 dL/dx2 before simplification."""
    out = []
    for i, symbol in enumerate((x1, x2)):
        chain = metric[i, 0] * d1.chain_rule + metric[i, 1] * d2.chain_rule
        closed = canonical(metric[i, 0] * d1.closed_form + metric[i, 1] * d2.closed_form)
        out.append(Partial(symbol, chain, closed, analyze_sign(closed, already_canonical=True)))
    return out[0], out[1]


def _smooth_field(expr: sp.Expr, metric: sp.Matrix | None = None) -> GradientField:
    d1 = _partial_of(expr, x1)
    d2 = _partial_of(expr, x2)
    framed = metric is not None and metric != sp.eye(2)
    if framed:
        d1, d2 = _apply_metric(metric, d1, d2)
    a, b = d1.closed_form, d2.closed_form
    ratio, excess, excess_sign, excess_of = _ratio_parts(d1, d2)
    radial = canonical(x1 * a + x2 * b)
    defined = sp.Not(d1.sign.region("=")) if a != 0 else sp.false
    return GradientField(
        d_x1=d1,
        d_x2=d2,
        ratio=ratio,
        ratio_excess=excess_sign,
        ratio_excess_expr=excess,
        radial=radial,
        # The limits as x2 -> 0+ are the loss's (dL/dx2), reported by the probability
        # frame; a frame's velocity components are not re-limited (gruntz is slow there).
        limits_wanted=not framed,
        domains=active_domains(),
        defined_where=defined,
        vanishing=sp.And(d1.sign.region("="), d2.sign.region("=")),
        ratio_excess_of=excess_of,
    )


def _joined(pieces, get) -> sp.Piecewise:
    """The piecewise quantity ``get(field)`` of the pieces [(condition, field), ...], the
    last piece taking whatever the earlier conditions leave."""
    last = len(pieces) - 1
    return sp.Piecewise(*[(get(f), c if i < last else True) for i, (c, f) in enumerate(pieces)])


def _pieces_conserved(pieces) -> tuple[ConservedQuantity | None, str]:
    """The conserved quantity of a piecewise field: the same one on every moving piece."""
    def joined(get) -> sp.Expr:
        return _joined(pieces, get)

    moving = [(c, f) for c, f in pieces if f.d_x1.closed_form != 0 or f.d_x2.closed_form != 0]
    kept = {f.conserved.expr for _, f in moving if f.conserved is not None}
    if moving and len(kept) == 1 and all(f.conserved is not None for _, f in moving):
        I = kept.pop()
        return ConservedQuantity(
            I, Phrase("on every piece where the gradient is non-zero the flow conserves ",
                      I, " (checked piece by piece); elsewhere nothing moves"),
            joined(lambda f: f.conserved.check if f.conserved else sp.S.Zero)), ""
    return None, Phrase("the pieces conserve different quantities (or none): ", join(
        "; ", (Phrase("on ", c, ": ", f.conserved_reason or f.conserved.expr)
               for c, f in moving)))


def _boundary(cond: sp.Basic) -> list[sp.Basic]:
    return [sp.Eq(r.lhs, r.rhs) for r in cond.atoms(sp.core.relational.Relational)
            if not isinstance(r, (sp.Eq, sp.Ne))]


def _piecewise_field(pw: sp.Piecewise, metric: sp.Matrix | None = None) -> GradientField:
    """Field of a piecewise loss: each piece analysed as a smooth loss on its set.

    The derivative on the boundary between pieces (the kink) does not exist; the
    kinks are listed, and confirmations must avoid them.
    """
    pieces = [(cond, _smooth_field(e, metric)) for e, cond in disjoint_pieces(pw)]

    def joined(get) -> sp.Expr:
        return _joined(pieces, get)

    def partial(symbol, get) -> Partial:
        closed = joined(lambda f: get(f).closed_form)
        chain = joined(lambda f: get(f).chain_rule)
        return Partial(symbol, chain, closed, analyze_sign(closed, already_canonical=True))

    d1, d2 = partial(x1, lambda f: f.d_x1), partial(x2, lambda f: f.d_x2)
    kinks = tuple(dict.fromkeys(b for c, _ in pieces for b in _boundary(c)))
    return GradientField(
        d_x1=d1, d_x2=d2,
        ratio=joined(lambda f: f.ratio),
        ratio_excess=analyze_sign(joined(lambda f: f.ratio_excess_expr), already_canonical=True),
        ratio_excess_expr=joined(lambda f: f.ratio_excess_expr),
        radial=joined(lambda f: f.radial),
        domains=active_domains(),
        defined_where=sp.Or(*[sp.And(c, f.defined_where) for c, f in pieces]),
        vanishing=sp.Or(*[sp.And(c, f.vanishing) for c, f in pieces]),
        pieces=tuple(pieces), kinks=kinks,
        ratio_excess_of=(pieces[0][1].ratio_excess_of
                         if len({f.ratio_excess_of for _, f in pieces}) == 1 else PER_PIECE),
    )


def same_function(a: sp.Expr, b: sp.Expr) -> tuple[bool | None, str]:
    """Whether two expressions define the same function on the domain (see prove_equal)."""
    return prove_equal(a, b)

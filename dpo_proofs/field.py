"""The gradient field of a loss over (x1, x2) and the quantities derived from it.

For a loss L(x1, x2) the field is grad L = (dL/dx1, dL/dx2); gradient descent moves
(x1, x2) along -grad L. The speed ratio R = |dL/dx2| / |dL/dx1| compares how fast the
dispreferred probability falls with how fast the preferred one rises.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .canonical import canonical, prove_equal
from .loss import Loss
from .signs import SignAnalysis, analyze_sign, parameter_domains
from .symbols import beta, x1, x2

__all__ = ["Partial", "ConservedQuantity", "Limit", "GradientField", "gradient_field",
           "ratio_of", "conserved_quantity"]


@dataclass(frozen=True)
class Partial:
    """dL/dx for one probability: the chain-rule form and the canonical closed form."""

    symbol: sp.Symbol
    chain_rule: sp.Expr
    closed_form: sp.Expr
    sign: SignAnalysis


@dataclass(frozen=True)
class ConservedQuantity:
    """I(x1, x2) constant along gradient flow, with how it was found and checked."""

    expr: sp.Expr
    derivation: str
    check: sp.Expr  # grad I . grad L in canonical form: 0 when I is conserved


@dataclass(frozen=True)
class Limit:
    """lim_{x2 -> 0+} of a quantity, in one case of beta (or for every beta)."""

    quantity: str
    case: str
    value: sp.Expr | None
    reason: str = ""


@dataclass(frozen=True)
class GradientField:
    """Everything derived from grad L (all closed forms canonical)."""

    d_x1: Partial
    d_x2: Partial
    ratio: sp.Expr
    ratio_excess: SignAnalysis  # sign analysis of R - 1 (or of d_x2^2 - d_x1^2)
    ratio_excess_expr: sp.Expr
    gradient_norm: sp.Expr
    radial: sp.Expr
    divergence: sp.Expr
    curl: sp.Expr
    conserved: ConservedQuantity | None
    conserved_reason: str
    limits: tuple[Limit, ...]

    @property
    def region_ratio_gt_1(self) -> sp.Basic:
        return self.ratio_excess.region(">")

    @property
    def region_ratio_eq_1(self) -> sp.Basic:
        return self.ratio_excess.region("=")

    @property
    def region_ratio_lt_1(self) -> sp.Basic:
        return self.ratio_excess.region("<")

    @property
    def is_margin_loss(self) -> bool:
        """Radial component identically 0: L is invariant under (x1, x2) -> (t x1, t x2)."""
        return self.radial == 0


def _partial(loss: Loss, symbol: sp.Symbol) -> Partial:
    chain_rule = sp.diff(loss.expr, symbol)
    closed = canonical(chain_rule)
    return Partial(symbol, chain_rule, closed, analyze_sign(closed, already_canonical=True))


def ratio_of(d_x1: Partial, d_x2: Partial) -> tuple[sp.Expr, sp.Expr, SignAnalysis]:
    """R = |dL/dx2| / |dL/dx1|, and the sign analysis that decides R > 1.

    With both signs known the absolute values are dropped and R - 1 is factored;
    otherwise R > 1 iff dL/dx2^2 - dL/dx1^2 > 0 (where dL/dx1 != 0), which is factored.
    """
    s1, s2 = d_x1.sign.sign, d_x2.sign.sign
    a, b = d_x1.closed_form, d_x2.closed_form
    if s1 and s2:
        ratio = canonical((s2 * b) / (s1 * a))
        excess = canonical(ratio - 1)
    else:
        ratio = sp.Abs(b) / sp.Abs(a)
        excess = canonical(b**2 - a**2)
    return ratio, excess, analyze_sign(excess, already_canonical=True)


def conserved_quantity(d_x1: sp.Expr, d_x2: sp.Expr) -> tuple[ConservedQuantity | None, str]:
    """A first integral of dx/dt = -grad L, when the orbit equation separates.

    Orbits satisfy dx2/dx1 = (dL/dx2)/(dL/dx1). If that slope is c*f(x1)*g(x2), then
    I = int dx2/g(x2) - c*int f(x1) dx1 is constant along them; I is then checked by
    grad I . grad L == 0 (canonical form).
    """
    if d_x1 == 0:
        return None, "dL/dx1 is identically 0: x1 does not move"
    slope = canonical(d_x2 / d_x1)
    parts = sp.separatevars(slope, symbols=[x1, x2], dict=True, force=False)
    if not parts:
        return None, f"the orbit equation dx2/dx1 = {sp.sstr(slope)} does not separate"
    c = parts["coeff"]
    f = parts.get(x1, sp.S.One)
    g = parts.get(x2, sp.S.One)
    integral = sp.integrate(1 / g, x2) - c * sp.integrate(f, x1)
    if integral.has(sp.Integral):
        return None, "the separated orbit equation has no closed-form integral"
    integral = sp.factor_terms(sp.expand(integral))
    coeff, rest = integral.as_coeff_Mul()
    if rest.free_symbols & {x1, x2}:
        integral = rest  # a constant factor does not change a level set
    check = canonical(sp.diff(integral, x1) * d_x1 + sp.diff(integral, x2) * d_x2)
    if check != 0:
        return None, f"candidate {sp.sstr(integral)} fails grad I . grad L = 0: {sp.sstr(check)}"
    derivation = (f"orbits solve dx2/dx1 = dL/dx2 / dL/dx1 = {sp.sstr(slope)}, which separates; "
                  f"integrating gives I = {sp.sstr(integral)}, and grad I . grad L = 0 exactly")
    return ConservedQuantity(integral, derivation, check), ""


_BETA_CASES = (
    # beta = 1/(1+b) < 1, beta = 1, beta = 1+b > 1 with b > 0: sympy's limit can decide
    # powers like x2**(beta - 1) once the sign of beta - 1 is encoded this way.
    ("beta < 1", lambda b: 1 / (1 + b)),
    ("beta = 1", lambda b: sp.S.One),
    ("beta > 1", lambda b: 1 + b),
)


def _limits(d_x2: sp.Expr) -> tuple[Limit, ...]:
    b = sp.Symbol("b", positive=True)
    cases = _BETA_CASES if beta in d_x2.free_symbols else (("every beta", None),)
    out = []
    for case, value in cases:
        expr = d_x2 if value is None else d_x2.subs(beta, value(b))
        try:
            limit = sp.limit(expr, x2, 0, "+")
        except (NotImplementedError, ValueError) as error:
            out.append(Limit("d_x2", case, None, f"sympy.limit could not decide: {error}"))
            continue
        if isinstance(limit, sp.Limit) or limit.has(sp.AccumBounds):
            out.append(Limit("d_x2", case, None, "sympy.limit returned it unevaluated"))
            continue
        if value is not None:
            limit = canonical(limit.subs(b, sp.solve(sp.Eq(value(b), beta), b)[0])) \
                if limit.has(b) else limit
        out.append(Limit("d_x2", case, limit))
    return tuple(out)


def gradient_field(loss: Loss) -> GradientField:
    """Derive grad L, R, the regions of R vs 1 and the field quantities of ``loss``."""
    with parameter_domains(loss.parameters):
        return _gradient_field(loss)


def _gradient_field(loss: Loss) -> GradientField:
    d1 = _partial(loss, x1)
    d2 = _partial(loss, x2)
    a, b = d1.closed_form, d2.closed_form
    ratio, excess, excess_sign = ratio_of(d1, d2)
    radial = canonical(x1 * a + x2 * b)
    conserved, reason = conserved_quantity(a, b)
    return GradientField(
        d_x1=d1,
        d_x2=d2,
        ratio=ratio,
        ratio_excess=excess_sign,
        ratio_excess_expr=excess,
        gradient_norm=sp.sqrt(canonical(a**2 + b**2)),
        radial=radial,
        divergence=canonical(sp.diff(a, x1) + sp.diff(b, x2)),
        curl=canonical(sp.diff(b, x1) - sp.diff(a, x2)),
        conserved=conserved,
        conserved_reason=reason,
        limits=_limits(b),
    )


def same_function(a: sp.Expr, b: sp.Expr) -> tuple[bool | None, str]:
    """Whether two expressions define the same function on the domain (see prove_equal)."""
    return prove_equal(a, b)

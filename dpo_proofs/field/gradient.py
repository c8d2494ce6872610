"""The gradient field of a loss over (x1, x2) and the quantities derived from it.

For a loss L(x1, x2) the field is grad L = (dL/dx1, dL/dx2); gradient descent moves
(x1, x2) along -grad L. The speed ratio R = |dL/dx2| / |dL/dx1| compares how fast the
dispreferred probability falls with how fast the preferred one rises.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..budget import time_budget
from .canonical import canonical, prove_equal
from ..errors import DerivationTimeout
from ..loss.functions import to_elementary
from ..loss.loss import Loss
from .signs import SignAnalysis, analyze_sign, parameter_domains
from ..loss.symbols import beta, r_l, r_w, x1, x2

__all__ = ["Partial", "ConservedQuantity", "Limit", "GradientField", "gradient_field",
           "ratio_of", "conserved_quantity", "RATIO_MINUS_ONE", "SQUARES_DIFFERENCE",
           "PER_PIECE", "flow_check"]

#: What ``GradientField.ratio_excess_expr`` is: R - 1 (both partials, or their quotient,
#: of fixed sign), (dL/dx2)^2 - (dL/dx1)^2 (otherwise), or, for a piecewise loss whose
#: pieces differ in that respect, each piece's own (see ``GradientField.pieces``).
RATIO_MINUS_ONE = "R - 1"
SQUARES_DIFFERENCE = "d_x2**2 - d_x1**2"
PER_PIECE = "per piece"


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
    excess = canonical(b**2 - a**2)
    return ratio, excess, analyze_sign(excess, already_canonical=True), SQUARES_DIFFERENCE


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
        found = _darboux(slope, d_x1, d_x2)
        if found is not None:
            return found, ""
        return None, (f"the orbit equation dx2/dx1 = {sp.sstr(slope)} does not separate, "
                      "and no product of powers of its polynomial factors is conserved")
    c = parts["coeff"]
    f = parts.get(x1, sp.S.One)
    g = parts.get(x2, sp.S.One)
    # No Meijer-G route: on some frames (nca_pair, softmax) it runs for minutes and
    # the result would then depend on the time budget, not on the mathematics.
    integral = sp.integrate(1 / g, x2, meijerg=False) - c * sp.integrate(f, x1, meijerg=False)
    if integral.has(sp.Integral):
        return None, "the separated orbit equation has no closed-form integral"
    integral = _real_logs(sp.factor_terms(sp.expand(integral)))
    coeff, rest = integral.as_coeff_Mul()
    if rest.free_symbols & {x1, x2}:
        integral = rest  # a constant factor does not change a level set
    check = flow_check(integral, d_x1, d_x2)
    if check != 0:
        return None, f"candidate {sp.sstr(integral)} fails grad I . grad L = 0: {sp.sstr(check)}"
    derivation = (f"orbits solve dx2/dx1 = dL/dx2 / dL/dx1 = {sp.sstr(slope)}, which separates; "
                  f"integrating gives I = {sp.sstr(integral)}, and grad I . grad L = 0 exactly")
    return ConservedQuantity(integral, derivation, check), ""


def flow_check(I: sp.Expr, d_x1: sp.Expr, d_x2: sp.Expr) -> sp.Expr:
    """grad I . grad L in canonical form, piece by piece: 0 when I is conserved.

    An antiderivative such as int x**(1 - beta) dx comes back as
    Piecewise((x**(2 - beta)/(2 - beta), Ne(beta, 2)), (log(x), True)): the second piece
    holds only at beta = 2, so it is checked with beta = 2 substituted (the equalities its
    condition imposes on the constants), not with beta left free, where it is not
    conserved and a valid I would be rejected. The pieces' conditions are made disjoint
    first (piece i holds where no earlier one does).
    """
    expr = sp.piecewise_fold(sp.diff(I, x1) * d_x1 + sp.diff(I, x2) * d_x2)
    if not isinstance(expr, sp.Piecewise):
        return canonical(expr)
    branches = []
    for e, cond in _disjoint(expr):
        values = _equalities(cond)
        branches.append((canonical(e.subs(values)) if values else canonical(e), cond))
    if all(e == 0 for e, _ in branches):
        return sp.S.Zero
    return sp.Piecewise(*[(e, c if i < len(branches) - 1 else True)
                          for i, (e, c) in enumerate(branches)])


def _equalities(cond: sp.Basic) -> dict:
    """{constant: value} forced by ``cond`` when it is an equation (or a conjunction with
    equations) in one constant each, such as Eq(beta, 2); x1, x2 are never solved for."""
    atoms = cond.args if isinstance(cond, sp.And) else (cond,)
    out = {}
    for a in atoms:
        if not isinstance(a, sp.Eq):
            continue
        free = (a.lhs - a.rhs).free_symbols - {x1, x2}
        if len(free) != 1 or (a.lhs - a.rhs).free_symbols & {x1, x2}:
            continue
        (s,) = free
        solutions = sp.solve(a.lhs - a.rhs, s)
        if len(solutions) == 1:
            out[s] = solutions[0]
    return out


def _real_logs(expr: sp.Expr) -> sp.Expr:
    """log(a) -> log(-a) where a < 0 on the domain (they differ by the constant i*pi):
    antiderivatives such as log(x1 - 1) would otherwise be complex on (0, 1)."""
    from .signs import _bounded

    swap = {}
    for term in expr.atoms(sp.log):
        arg = term.args[0]
        # -arg >= 0 on the square (zero allowed: log(1 - x1) at x1 = 1 is a boundary).
        if sp.factor(sp.together(_bounded(-arg))).is_nonnegative:
            swap[term] = sp.log(-arg)
    return expr.xreplace(swap) if swap else expr


def _darboux(slope: sp.Expr, d_x1: sp.Expr, d_x2: sp.Expr) -> ConservedQuantity | None:
    """A conserved I = prod f_i**a_i over the polynomial factors f_i of the orbit equation.

    With dx2/dx1 = N/D (polynomials), I is conserved iff sum a_i (D f_i,x1 + N f_i,x2)/f_i
    vanishes identically: after clearing denominators, a linear system in the a_i
    (the Darboux method). Factors: x1, x2, 1 - x1 - x2 and those of N and D.
    """
    N, D = sp.fraction(sp.together(slope))
    if not (N.is_polynomial(x1, x2) and D.is_polynomial(x1, x2)):
        return None
    factors: list[sp.Expr] = [x1, x2, 1 - x1 - x2]
    for poly in (N, D):
        for f, _ in sp.factor_list(poly, x1, x2)[1]:
            if f.free_symbols & {x1, x2} and not any(
                    sp.expand(f - g) == 0 or sp.expand(f + g) == 0 for g in factors):
                factors.append(f)
    if len(factors) > 8:
        return None
    a = sp.symbols(f"a0:{len(factors)}", cls=sp.Dummy)  # not a user parameter a0
    total = sp.Mul(*factors)
    P = sp.expand(sum(ai * (D * sp.diff(f, x1) + N * sp.diff(f, x2)) * sp.cancel(total / f)
                      for ai, f in zip(a, factors)))
    equations = sp.Poly(P, x1, x2).coeffs()
    solutions = sp.linsolve(equations, a)
    if not solutions:
        return None
    (solution,) = solutions
    free = sorted(set().union(*[sp.sympify(v).free_symbols for v in solution]) & set(a),
                  key=str)
    if not free:
        return None  # only a = 0
    chosen = [sp.sympify(v).subs({t: (1 if i == 0 else 0) for i, t in enumerate(free)})
              for v in solution]
    if not any(chosen):
        return None
    scale = sp.ilcm(*[sp.fraction(sp.nsimplify(c))[1] for c in chosen if c != 0])
    integral = sp.Mul(*[f**(c * scale) for f, c in zip(factors, chosen) if c != 0])
    check = flow_check(integral, d_x1, d_x2)
    if check != 0:
        return None
    derivation = (f"the orbit equation dx2/dx1 = {sp.sstr(slope)} does not separate; "
                  f"with I = prod f_i**a_i over f in {sp.sstr(factors)}, grad I . field = 0 "
                  f"is a linear system in the a_i whose solution gives I = {sp.sstr(integral)}, "
                  "and grad I . field = 0 exactly")
    return ConservedQuantity(integral, derivation, check)


#: Seconds allowed for one sympy.limit (it can run for minutes on large expressions).
LIMIT_SECONDS = 4.0

_BETA_CASES = (
    # beta = 1/(1+b) < 1, beta = 1, beta = 1+b > 1 with b > 0: sympy's limit can decide
    # powers like x2**(beta - 1) once the sign of beta - 1 is encoded this way.
    # (case, beta in terms of b, b in terms of beta)
    ("beta < 1", lambda b: 1 / (1 + b), lambda v: 1 / v - 1),
    ("beta = 1", lambda b: sp.S.One, None),
    ("beta > 1", lambda b: 1 + b, lambda v: v - 1),
)

#: Symbols that are never case-split: the variables, and the reference probabilities,
#: whose symbols are positive, so sympy's limit already holds for each r in (0, 1].
_NOT_CONSTANTS = {x1, x2, r_w, r_l}


def _interior(symbol: sp.Symbol, domain: sp.Interval, c: sp.Symbol):
    """(symbol written through c > 0 onto the interior of ``domain``, c in terms of symbol),
    or None when the symbol's own assumptions already describe the interior (positive
    symbol on (0, oo)) or the domain is the real line.

    sympy.limit decides signs from assumptions only: eps in (0, 1/2) as (1/2)/(1 + c)
    lets it see that eps > 0, which the symbol eps (nonnegative) does not say.
    """
    if not isinstance(domain, sp.Interval):
        return None
    lo, hi = domain.inf, domain.sup
    if lo.is_finite and hi is sp.oo:
        if lo == 0 and symbol.is_positive:
            return None
        return lo + c, lambda v: v - lo
    if lo is sp.S.NegativeInfinity and hi.is_finite:
        return hi - c, lambda v: hi - v
    if lo.is_finite and hi.is_finite:
        return lo + (hi - lo) / (1 + c), lambda v: (hi - lo) / (v - lo) - 1
    return None


def _interior_text(symbol: sp.Symbol, domain: sp.Interval) -> str:
    """0 < eps < 1/2, n_l > 1, ...: the interior of ``domain`` as a condition."""
    lo, hi, name = domain.inf, domain.sup, sp.sstr(symbol)
    if lo.is_finite and hi.is_finite:
        return f"{sp.sstr(lo)} < {name} < {sp.sstr(hi)}"
    if lo.is_finite:
        return f"{name} > {sp.sstr(lo)}"
    if hi.is_finite:
        return f"{name} < {sp.sstr(hi)}"
    return f"{name} real"


def _endpoints(domain: sp.Interval) -> list[sp.Expr]:
    """The finite endpoints that belong to ``domain`` (eps = 0 of [0, 1/2), ...)."""
    if not isinstance(domain, sp.Interval):
        return []
    out = []
    if domain.inf.is_finite and not domain.left_open:
        out.append(domain.inf)
    if domain.sup.is_finite and not domain.right_open:
        out.append(domain.sup)
    return out


def _same_value(a: sp.Expr, b: sp.Expr) -> bool:
    """a and b are the same limit value (both decided; oo, -oo compared exactly)."""
    if a == b:
        return True
    if any(e.has(sp.oo, -sp.oo, sp.zoo, sp.nan) for e in (a, b)):
        return False
    try:
        return sp.simplify(a - b) == 0
    except (TypeError, ValueError, NotImplementedError):
        return False


def _sympy_limit(expr: sp.Expr) -> tuple[sp.Expr | None, str]:
    """sympy.limit(expr, x2, 0, '+') under the time budget, or (None, why not)."""
    try:
        with time_budget(LIMIT_SECONDS, "sympy.limit"):
            limit = sp.limit(expr, x2, 0, "+")
    except DerivationTimeout:
        return None, f"sympy.limit did not finish within {LIMIT_SECONDS:g} s"
    except (NotImplementedError, ValueError, TypeError) as error:
        return None, f"sympy.limit could not decide: {error}"
    if isinstance(limit, sp.Limit) or limit.has(sp.Limit):
        return None, "sympy.limit returned it unevaluated"
    if limit.has(sp.AccumBounds):
        return None, f"sympy.limit returned bounds, not a value: {sp.sstr(limit)}"
    if limit.has(sp.nan, sp.zoo, sp.sign, sp.Abs):
        # -oo*sign(eps) is nan at eps = 0: a value that depends on a sign sympy could not
        # decide is not a limit valid on the whole domain.
        return None, (f"sympy.limit returned {sp.sstr(limit)}, whose value depends on a "
                      "sign it could not decide")
    return limit, ""


def _eventually(cond: sp.Basic) -> tuple[sp.Basic | None, str]:
    """What ``cond`` becomes for all small enough x2 > 0: True, False, or a condition free
    of x2; None when that is not decided.

    Each relation g op 0 with x2 in g is decided by lim g as x2 -> 0+: +-oo, or a limit
    of fixed sign, settles it for all small x2; a limit that may be 0 does not.
    """
    replace = {}
    for rel in cond.atoms(sp.core.relational.Relational):
        if x2 not in rel.free_symbols:
            continue
        g, why = _sympy_limit(rel.lhs - rel.rhs)
        if g is None:
            return None, f"the limit of the condition {sp.sstr(rel)} is not decided: {why}"
        sign = 1 if (g is sp.oo or g.is_positive) else -1 if (g is -sp.oo or g.is_negative) \
            else None
        if sign is None:
            return None, (f"whether {sp.sstr(rel)} holds as x2 -> 0+ is not decided "
                          f"(its lhs - rhs tends to {sp.sstr(g)})")
        truth = {sp.StrictGreaterThan: sign > 0, sp.GreaterThan: sign > 0,
                 sp.StrictLessThan: sign < 0, sp.LessThan: sign < 0,
                 sp.Eq: False, sp.Ne: True}[type(rel)]
        replace[rel] = sp.true if truth else sp.false
    return cond.xreplace(replace), ""


def _limit_of(expr: sp.Expr) -> tuple[sp.Expr | None, str]:
    """lim_{x2 -> 0+} expr; a Piecewise limit keeps every piece whose condition holds for
    all small x2 on part of the domain (conditions free of x2 are kept as they are: a
    piece on x1 >= r_w has its own limit there), each with its own limit."""
    if not isinstance(expr, sp.Piecewise):
        return _sympy_limit(expr)
    kept = []
    for e, cond in _disjoint(expr):
        when, why = _eventually(cond)
        if when is None:
            return None, why
        if when is sp.false:
            continue
        value, why = _limit_of(e)
        if value is None:
            return None, f"on the piece {sp.sstr(cond)}: {why}"
        kept.append((value, when))
    if not kept:
        return None, "no piece of the partial holds as x2 -> 0+"
    if len({v for v, _ in kept}) == 1:
        return kept[0][0], ""
    # The disjoint conditions are exhaustive, so the last kept piece holds where no earlier one does.
    return sp.Piecewise(*[(v, c if i < len(kept) - 1 else True)
                          for i, (v, c) in enumerate(kept)]), ""


def _readable(reason: str, back: dict) -> str:
    """A reason with the case encodings (b, _c0, ...) written in the constants."""
    import re

    for symbol, value in back.items():
        reason = re.sub(rf"(?<![\w.]){re.escape(symbol.name)}(?!\w)", f"({sp.sstr(value)})", reason)
    return reason


def _back(value: sp.Expr, back: dict) -> sp.Expr:
    """Undo the case encodings (b, c -> beta, eps, ...) and bring the value to canonical form."""
    if not back:
        return value
    value = value.subs(back)
    if isinstance(value, sp.Piecewise):
        return sp.Piecewise(*[(canonical(e), c) for e, c in value.args])
    return canonical(value) if value.free_symbols else value


def _constant_cases(expr: sp.Expr) -> list[tuple[str, dict, dict, dict]]:
    """Every combination of interior / included endpoint of the constants in ``expr``:
    (case text, substitution, back-substitution, endpoint values), interior first."""
    from itertools import product

    from .signs import _DOMAINS

    domains = _DOMAINS.get()
    choices = []
    for i, symbol in enumerate(sorted(expr.free_symbols - _NOT_CONSTANTS - {beta}, key=str)):
        domain = domains.get(symbol)
        if domain is None:
            continue
        c = sp.Symbol(f"_c{i}", positive=True)
        inner = _interior(symbol, domain, c)
        options = []
        if inner is not None:
            options.append((_interior_text(symbol, domain), {symbol: inner[0]},
                            {c: inner[1](symbol)}, {}))
        elif _endpoints(domain):
            options.append((_interior_text(symbol, domain), {}, {}, {}))
        else:
            continue
        options += [(f"{sp.sstr(symbol)} = {sp.sstr(v)}", {symbol: v}, {}, {symbol: v})
                    for v in _endpoints(domain)]
        choices.append(options)
    out = []
    for combo in product(*choices):
        subs, back, at = {}, {}, {}
        for _, s_, b_, a_ in combo:
            subs.update(s_)
            back.update(b_)
            at.update(a_)
        out.append((", ".join(t for t, *_ in combo), subs, back, at))
    return out or [("", {}, {}, {})]


def _limits(d_x2: sp.Expr) -> tuple[Limit, ...]:
    """lim_{x2 -> 0+} dL/dx2 in each case of beta (beta < 1, = 1, > 1) and, where the
    value differs there, at each endpoint a constant's domain includes (eps = 0 of
    [0, 1/2) is plain DPO, whose limit is not that of eps > 0)."""
    b = sp.Dummy("b", positive=True)  # never equal to a user parameter named b
    cases = _BETA_CASES if beta in d_x2.free_symbols else (("every beta", None, None),)
    constants = _constant_cases(d_x2)
    out = []
    for case, value, inverse in cases:
        expr = d_x2 if value is None else d_x2.subs(beta, value(b))
        beta_back = {b: inverse(beta)} if inverse is not None else {}
        found = []
        for text, subs, back, at in constants:
            limit, reason = _limit_of(expr.subs(subs))
            if limit is not None:
                limit = _back(limit, {**back, **beta_back})
            else:
                reason = _readable(reason, {**back, **beta_back})
            found.append((text, at, limit, reason))
        generic = found[0][2]
        # One case when the interior's value also holds at every endpoint combination.
        if generic is not None and all(
                lim is not None and _same_value(generic.subs(at), lim)
                for _, at, lim, _ in found[1:]):
            out.append(Limit("d_x2", case, generic))
            continue
        for text, _, limit, reason in found:
            name = case if not text else (text if case == "every beta" else f"{case}, {text}")
            out.append(Limit("d_x2", name, limit, reason))
    return tuple(out)


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
    conserved, reason = conserved_quantity(a, b)
    defined = sp.Not(d1.sign.region("=")) if a != 0 else sp.false
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
        # The limits as x2 -> 0+ are the loss's (dL/dx2), reported by the probability
        # frame; a frame's velocity components are not re-limited (gruntz is slow there).
        limits=() if framed else _limits(b),
        defined_where=defined,
        vanishing=sp.And(d1.sign.region("="), d2.sign.region("=")),
        ratio_excess_of=excess_of,
    )


def _disjoint(pw: sp.Piecewise) -> list[tuple[sp.Expr, sp.Basic]]:
    """The pieces with conditions made disjoint (piece i holds where no earlier one does)."""
    out, before = [], sp.false
    for e, c in pw.args:
        cond = sp.And(c, sp.Not(before))
        before = sp.Or(before, c)
        if cond is not sp.false:
            out.append((e, cond))
    return out


def _boundary(cond: sp.Basic) -> list[sp.Basic]:
    return [sp.Eq(r.lhs, r.rhs) for r in cond.atoms(sp.core.relational.Relational)
            if not isinstance(r, (sp.Eq, sp.Ne))]


def _piecewise_field(pw: sp.Piecewise, metric: sp.Matrix | None = None) -> GradientField:
    """Field of a piecewise loss: each piece analysed as a smooth loss on its set.

    The derivative on the boundary between pieces (the kink) does not exist; the
    kinks are listed, and confirmations must avoid them.
    """
    pieces = [(cond, _smooth_field(e, metric)) for e, cond in _disjoint(pw)]

    def joined(get) -> sp.Expr:
        return sp.Piecewise(*[(get(f), c if i < len(pieces) - 1 else True)
                              for i, (c, f) in enumerate(pieces)])

    def partial(symbol, get) -> Partial:
        closed = joined(lambda f: get(f).closed_form)
        chain = joined(lambda f: get(f).chain_rule)
        return Partial(symbol, chain, closed, analyze_sign(closed, already_canonical=True))

    d1, d2 = partial(x1, lambda f: f.d_x1), partial(x2, lambda f: f.d_x2)
    moving = [(c, f) for c, f in pieces if f.d_x1.closed_form != 0 or f.d_x2.closed_form != 0]
    kept = {f.conserved.expr for _, f in moving if f.conserved is not None}
    if moving and len(kept) == 1 and all(f.conserved is not None for _, f in moving):
        I = kept.pop()
        conserved = ConservedQuantity(
            I, "on every piece where the gradient is non-zero the flow conserves "
               f"{sp.sstr(I)} (checked piece by piece); elsewhere nothing moves",
            joined(lambda f: f.conserved.check if f.conserved else sp.S.Zero))
        reason = ""
    else:
        conserved, reason = None, "the pieces conserve different quantities (or none): " + \
            "; ".join(f"on {sp.sstr(c)}: {f.conserved_reason or sp.sstr(f.conserved.expr)}"
                      for c, f in moving)
    kinks = tuple(dict.fromkeys(b for c, _ in pieces for b in _boundary(c)))
    return GradientField(
        d_x1=d1, d_x2=d2,
        ratio=joined(lambda f: f.ratio),
        ratio_excess=analyze_sign(joined(lambda f: f.ratio_excess_expr), already_canonical=True),
        ratio_excess_expr=joined(lambda f: f.ratio_excess_expr),
        gradient_norm=joined(lambda f: f.gradient_norm),
        radial=joined(lambda f: f.radial),
        divergence=joined(lambda f: f.divergence),
        curl=joined(lambda f: f.curl),
        conserved=conserved, conserved_reason=reason,
        limits=_limits(d2.closed_form),
        defined_where=sp.Or(*[sp.And(c, f.defined_where) for c, f in pieces]),
        vanishing=sp.Or(*[sp.And(c, f.vanishing) for c, f in pieces]),
        pieces=tuple(pieces), kinks=kinks,
        ratio_excess_of=(pieces[0][1].ratio_excess_of
                         if len({f.ratio_excess_of for _, f in pieces}) == 1 else PER_PIECE),
    )


def same_function(a: sp.Expr, b: sp.Expr) -> tuple[bool | None, str]:
    """Whether two expressions define the same function on the domain (see prove_equal)."""
    return prove_equal(a, b)

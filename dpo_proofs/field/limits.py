"""Limits of dL/dx2 as x2 -> 0+, with the case split on the constants they depend on.

Each constant is split into its interior (encoded so that sympy sees e.g. eps > 0) and
each endpoint its domain includes, reported separately where the values differ; a
piecewise quantity keeps every piece whose condition can hold as x2 -> 0+; a value sympy
cannot decide is reported with the reason.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..budget import time_budget
from ..errors import DerivationTimeout
from ..loss.symbols import beta, r_l, r_w, x1, x2
from .canonical import canonical, disjoint_pieces
from .signs import active_domains

__all__ = ["Limit", "LIMIT_OPS", "LIMIT_SECONDS", "limits_at_zero"]


@dataclass(frozen=True)
class Limit:
    """lim_{x2 -> 0+} of a quantity, in one case of beta (or for every beta)."""

    quantity: str
    case: str
    value: sp.Expr | None
    reason: str = ""


#: Work bound of one sympy.limit, in operations of the expression (``sympy.count_ops``).
#: Over the catalogue every limit of up to 158 operations took under a second; gruntz on
#: larger ones ran 22 s (268 operations) or past 5 minutes (330). The bound is on the
#: expression, not on a clock, so the same limits are derived on an idle or a busy
#: machine (a 4 s clock once made a committed document depend on the load).
LIMIT_OPS = 200
#: Seconds: only a safety net against a limit within the work bound that runs away
#: (none does in the catalogue); its expiry is reported, and never cached.
LIMIT_SECONDS = 120.0

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
    """sympy.limit(expr, x2, 0, '+') within the work bound, or (None, why not)."""
    ops = sp.count_ops(expr)
    if ops > LIMIT_OPS:
        return None, (f"the expression has {ops} operations, over the work bound of "
                      f"{LIMIT_OPS} for sympy.limit")
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
    for e, cond in disjoint_pieces(expr):
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

    domains = active_domains()
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


def limits_at_zero(d_x2: sp.Expr) -> tuple[Limit, ...]:
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

"""Limits of dL/dx2 as x2 -> 0+, with the case split on the constants they depend on.

Each constant is split into its interior (encoded so that sympy sees e.g. eps > 0) and
each endpoint its domain includes, reported separately where the values differ; within
each, the constant an exponent of x2 depends on is cut at the exponent's roots
(field.thresholds: beta vs n_l for SimPO) and neighbouring cases with one value merged;
a case still undecided is split once more on the thresholds of a second constant.
A piecewise quantity keeps every piece whose condition can hold as x2 -> 0+. A quantity
over the work bound is reduced to its dominant part (field.dominant). Every value is
checked against the quantity at x2 = 1e-30 and 1e-60 (field.limit_check), and a value
sympy cannot decide, or the check refuses, is reported with the reason.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import sympy as sp

from ..budget import time_budget
from ..errors import DerivationTimeout
from ..loss.symbols import UNIT, beta, r_l, r_w, x1, x2
from .canonical import canonical, disjoint_pieces
from .dominant import dominant
from .limit_check import contradiction
from .signs import active_domains, sign_of
from .thresholds import Case, cases_along, merged, open_interval

__all__ = ["Limit", "LIMIT_OPS", "LIMIT_SECONDS", "limits_at_zero"]


@dataclass(frozen=True)
class Limit:
    """lim_{x2 -> 0+} of a quantity in one case of the constants ("beta < n_l",
    "0 < eps < 1/2", "every beta", ...)."""

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

#: How a limit whose value depends on an undecided sign is reported.
SIGN_UNDECIDED = "whose value depends on a sign it could not decide"

#: Symbols that are never case-split: the variables, and the reference probabilities,
#: whose symbols are positive, so sympy's limit already holds for each r in (0, 1].
_NOT_CONSTANTS = {x1, x2, r_w, r_l}


def _interior(symbol: sp.Symbol, domain: sp.Interval, c: sp.Symbol):
    """(symbol written through c > 0 onto the interior of ``domain``, c in terms of
    symbol), or None when the symbol's own assumptions already describe the interior
    (positive symbol on (0, oo)) or the domain is the real line."""
    if not isinstance(domain, sp.Interval):
        return None
    lo, hi = domain.inf, domain.sup
    if (lo == 0 and hi is sp.oo and symbol.is_positive) or not (lo.is_finite or hi.is_finite):
        return None
    return open_interval(symbol, lo, hi, c)


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
        return _dominant_limit(expr, ops)
    try:
        with time_budget(LIMIT_SECONDS, "sympy.limit"):
            limit = sp.limit(expr, x2, 0, "+")
    except DerivationTimeout:
        return None, f"sympy.limit did not finish within {LIMIT_SECONDS:g} s"
    except (NotImplementedError, ValueError, TypeError) as error:
        # sympy's own message names its internal variables (_b0, _c1): say what it means
        if "sign" in str(error):
            return None, f"sympy.limit could not decide it, {SIGN_UNDECIDED} in the constants"
        return None, f"sympy.limit could not decide it ({type(error).__name__})"
    if isinstance(limit, sp.Limit) or limit.has(sp.Limit):
        return None, "sympy.limit returned it unevaluated"
    if limit.has(sp.AccumBounds):
        return None, f"sympy.limit returned bounds, not a value: {sp.sstr(limit)}"
    if limit.has(sp.sign):
        limit = limit.xreplace({a: _decided_sign(a.args[0]) for a in limit.atoms(sp.sign)})
    if limit.has(sp.nan, sp.zoo, sp.sign, sp.Abs):
        # -oo*sign(eps) is nan at eps = 0: a value that depends on a sign sympy could not
        # decide is not a limit valid on the whole domain.
        return None, f"sympy.limit returned {sp.sstr(limit)}, {SIGN_UNDECIDED}"
    return limit, ""


def _decided_sign(arg: sp.Expr) -> sp.Expr:
    """sign(arg) as -1, 0 or 1 where it is the same for every value of the symbols (their
    assumptions and the constants' domains); else sign(arg) unchanged.

    A difference P - Q of positive terms has the sign of log P - log Q, expanded: ORPO's
    (1 + c)**(-1/n_w) - 1 is negative because -log(1 + c)/n_w is."""
    decided = sign_of(arg)
    if decided is None:
        terms = sp.Add.make_args(sp.expand(arg))
        plus = sp.Add(*[t for t in terms if not t.could_extract_minus_sign()])
        minus = -sp.Add(*[t for t in terms if t.could_extract_minus_sign()])
        if plus.is_positive and minus.is_positive:
            decided = sign_of(sp.expand_log(sp.log(plus) - sp.log(minus), force=True))
    return sp.sign(arg) if decided is None else sp.Integer(decided)


def _dominant_limit(expr: sp.Expr, ops: int) -> tuple[sp.Expr | None, str]:
    """The limit of an expression over the work bound through its dominant part
    (field.dominant): lim expr = lim lead once every correction is shown to tend to 0."""
    over = (f"the expression has {ops} operations, over the work bound of {LIMIT_OPS} "
            "for sympy.limit")
    split = dominant(expr)
    if split is None:
        return None, over + ", and its dominant part is not decided"
    lead, corrections = split
    for part in (lead, *corrections):
        if sp.count_ops(part) > LIMIT_OPS:
            return None, over + ", and so is a part of its dominant form"
    for c in corrections:
        value, why = _sympy_limit(c)
        if value != 0:
            return None, over + (f"; the correction {sp.sstr(c)} of its dominant part is "
                                 f"not shown to tend to 0 ({why or sp.sstr(value)})")
    return _sympy_limit(lead)


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


def _constant_cases(expr: sp.Expr, extra: dict) -> list[tuple[str, dict, dict, dict]]:
    """Every combination of interior / included endpoint of the constants in ``expr`` (and
    of the symbols in ``extra``, symbol -> interval): (case text, substitution,
    back-substitution, endpoint values), interior first."""
    domains = {**active_domains(), **extra}
    choices = []
    split = (expr.free_symbols - _NOT_CONSTANTS - {beta}) | set(extra)
    for i, symbol in enumerate(sorted(split, key=str)):
        domain = domains.get(symbol)
        if domain is None:
            continue
        c = sp.Symbol(f"_c{i}", positive=True)
        inner = _interior(symbol, domain, c)
        options = []
        if inner is not None:
            options.append((_interior_text(symbol, domain), {symbol: inner[0]},
                            {c: inner[1]}, {}))
        elif _endpoints(domain):
            options.append((_interior_text(symbol, domain), {}, {}, {}))
        else:
            continue
        options += [(f"{sp.sstr(symbol)} = {sp.sstr(v)}", {symbol: v}, {}, {symbol: v})
                    for v in _endpoints(domain)]
        choices.append(options)
    out = []
    for combo in itertools.product(*choices):
        subs, back, at = {}, {}, {}
        for _, s_, b_, a_ in combo:
            subs.update(s_)
            back.update(b_)
            at.update(a_)
        out.append((", ".join(t for t, *_ in combo), subs, back, at))
    return out or [("", {}, {}, {})]


@dataclass(frozen=True)
class _Within:
    """A case of a second constant (``inner``, its ends written in the constants) inside
    a case of the first: BPO-SBA's lam_s > -1/2, then beta < -1/lam_s."""

    outer: Case
    inner: Case

    def __getattr__(self, name: str):
        # parameter, lo, hi, lo_closed, hi_closed: the inner case's
        if name in ("outer", "inner") or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.inner, name)

    def text(self) -> str:
        return ", ".join(t for t in (self.outer.text(), self.inner.text()) if t)


def _rows(d_x2: sp.Expr, subs: dict, back: dict, at: dict,
          nest: bool = True) -> list[tuple[Case, sp.Expr | None, str]]:
    """(case along the split constant, limit, reason) in one case of the other constants:
    the thresholds are read from d_x2 there (at its endpoint values ``at``), each case is
    encoded for sympy, and neighbours with the same value are merged. A case whose limit
    stays undecided is split once more on the thresholds of another constant (``nest``)."""
    count = itertools.count()
    cases = cases_along(d_x2.subs(at) if at else d_x2,
                        lambda: sp.Dummy(f"b{next(count)}", positive=True))
    found = []
    for case in cases:
        encoded = case.apply(d_x2).subs(subs)
        limit, reason = _limit_of(encoded)
        if limit is None and not nest:
            encoded = _plain_exponents(encoded)
            limit, reason = _limit_of(encoded)
        if limit is not None:
            reason = contradiction(encoded, limit, active_domains())
            limit = None if reason else limit
        full = {**back, **case.back}
        inner = _nested(case, d_x2, subs, full, at) if limit is None and nest else []
        if limit is not None:
            limit = _back(limit, full)
        else:
            reason = _readable(reason, full)
        found.append((limit, reason, inner))

    def same(i: int, j: int) -> bool:
        a, b = found[i][0], found[j][0]
        return a is not None and b is not None and _same_value(a, b)

    rows = []
    for case, k in merged(cases, same):
        rows += found[k][2] or [(case, found[k][0], found[k][1])]
    return rows


def _plain_exponents(expr: sp.Expr) -> sp.Expr:
    """Powers of x2 with case-encoded exponents simplified: sympy.limit cannot see the
    sign of beta/2 - beta/(2b + 2) - 1 (nested encodings) until it is -d/(d + 1)."""
    return expr.replace(lambda e: e.is_Pow and e.base == x2 and e.exp.has(sp.Dummy),
                        lambda e: x2 ** sp.factor(sp.simplify(e.exp)))


def _nested(case: Case, d_x2: sp.Expr, subs: dict, back: dict, at: dict) -> list:
    """The rows of ``case`` split on a second constant, or [] when that decides nothing."""
    if case.parameter is None:
        return []
    rows = _rows(case.apply(d_x2), subs, back, at, nest=False)
    if not any(value is not None for _, value, _ in rows) or any(
            isinstance(c.parameter, sp.Dummy) or c.parameter is None for c, _, _ in rows):
        return []
    shown = lambda e: sp.simplify(e.subs(back))  # noqa: E731
    # exponents built through two encodings (r_l**(2*lam_s + 2*lam_s/(1 - ...))) simplified
    plain = lambda v: v if v is None else canonical(v.replace(  # noqa: E731
        lambda e: e.is_Pow and not e.exp.is_Number, lambda e: e.base ** sp.simplify(e.exp)))
    return [(_Within(case, Case(c.parameter, shown(c.lo), shown(c.hi), c.lo_closed,
                                c.hi_closed, {}, {})), plain(value), reason)
            for c, value, reason in rows]


def _every(d_x2: sp.Expr) -> str:
    names = sorted((s for s in d_x2.free_symbols - _NOT_CONSTANTS), key=lambda s: (s != beta, s.name))
    return "every " + ", ".join(sp.sstr(s) for s in names) if names else "every point"


def _blocks(d_x2: sp.Expr, extra: dict) -> list:
    return [(text, at, _rows(d_x2, subs, back, at))
            for text, subs, back, at in _constant_cases(d_x2, extra)]


def limits_at_zero(d_x2: sp.Expr) -> tuple[Limit, ...]:
    """lim_{x2 -> 0+} dL/dx2 in each case of the constants where its value differs.

    The cases are the interior and each included endpoint of every constant's domain
    (eps = 0 of [0, 1/2) is plain DPO, whose limit is not that of eps > 0) and, within
    each, the sides of the thresholds read off the exponents of x2 (field.thresholds:
    beta vs 1 for DPO, beta vs n_l for SimPO). A case whose rows are those of the
    interior at its endpoint values is not repeated."""
    blocks = _blocks(d_x2, {})
    if any(value is None and SIGN_UNDECIDED in reason and "x1" in reason
           for _, _, rows in blocks for _, value, reason in rows):
        # ORPO's limit is -oo*sign(x1**(1/n_w) - 1): decided on x1 < 1, not at x1 = 1.
        blocks = _blocks(d_x2, {x1: UNIT})
    interior = blocks[0][2]

    def repeats(at: dict, rows) -> bool:
        # The same cases (thresholds at the endpoint values) with the same limits.
        return len(rows) == len(interior) and all(
            c.parameter == e.parameter and (c.lo_closed, c.hi_closed) == (e.lo_closed, e.hi_closed)
            and _same_value(c.lo.subs(at), e.lo) and _same_value(c.hi.subs(at), e.hi)
            and v is not None and w is not None and _same_value(v.subs(at), w)
            for (c, v, _), (e, w, _) in zip(interior, rows))

    if all(repeats(at, rows) for _, at, rows in blocks[1:]):
        blocks = [("", {}, interior)]
    out = []
    for text, _, rows in blocks:
        for case, value, reason in rows:
            name = ", ".join(t for t in (text, case.text()) if t) or _every(d_x2)
            out.append(Limit("d_x2", name, value, reason))
    return tuple(out)

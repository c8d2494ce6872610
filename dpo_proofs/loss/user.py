"""User-defined losses: a safely parsed expression plus declared parameter domains.

The text goes through ``parser.parse_expression`` (an ast whitelist, never eval or
sympify); domains such as "(0,1]", "[0,0.5)", "(0,oo)" are parsed by a small grammar.
A loss that does not depend on x1 or x2, or is undefined on the whole domain, is
refused with NotALoss and the reason.
"""
from __future__ import annotations

import re
from collections.abc import Mapping

import sympy as sp

from ..errors import InvalidArgument, NotALoss, UnsafeExpression
from .loss import Loss
from .parser import parse_expression
from .symbols import BETA, R_L, R_W, STANDARD_SYMBOLS, Parameter, parse_number

__all__ = ["user_loss", "parse_domain", "is_domain_text"]

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d{1,3})?(?:/\d+)?|[-+]?oo"
_DOMAIN = re.compile(rf"^\s*([\(\[])\s*({_NUMBER})\s*,\s*({_NUMBER})\s*([\)\]])\s*$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,30}(?:_[A-Za-z0-9]{1,30})?$")
_STANDARD = {"beta": BETA, "r_w": R_W, "r_l": R_L}


def is_domain_text(text: str) -> bool:
    """Whether ``text`` looks like an interval "(a, b]" or "a..b" rather than a value."""
    return bool(_DOMAIN.match(text)) or ".." in text


def _number(text: str) -> sp.Expr:
    text = text.strip()
    if text.lstrip("+-") == "oo":
        return sp.S.NegativeInfinity if text.startswith("-") else sp.oo
    return parse_number(text, f"domain end {text!r}")


def parse_domain(text: str) -> sp.Interval:
    """"(0,1]" -> Interval.Lopen(0, 1); only numbers, oo and brackets are accepted.
    "a..b" (the range notation of ``check``) is the closed [a, b], open at an infinite end."""
    if not isinstance(text, str) or len(text) > 100:
        raise InvalidArgument(f"domain {text!r} must be a short string like '(0, 1]'")
    if ".." in text and not text.strip()[:1] in ("(", "["):
        low, _, high = text.partition("..")
        lo, hi = (_number(low), _number(high)) if low.strip() and high.strip() else (None, None)
        if lo is None:
            raise InvalidArgument(f"domain {text!r} must look like LOW..HIGH")
        text = ("(" if lo.is_infinite else "[") + f"{low.strip()}, {high.strip()}" + \
            (")" if hi.is_infinite else "]")
    m = _DOMAIN.match(text)
    if not m:
        raise InvalidArgument(f"domain {text!r} must look like (a, b], [a, b), (0, oo)")
    left, lo, hi, right = m.groups()
    lo, hi = _number(lo), _number(hi)
    if (lo.is_infinite and left == "[") or (hi.is_infinite and right == "]"):
        raise InvalidArgument(f"domain {text!r}: an infinite end must be open")
    if not lo < hi:
        raise InvalidArgument(f"domain {text!r} is empty (need a < b)")
    return sp.Interval(lo, hi, left == "(", right == ")")


def _default(domain: sp.Interval) -> sp.Expr:
    lo, hi = domain.inf, domain.sup
    if lo.is_finite and hi.is_finite:
        return (lo + hi) / 2
    if lo.is_finite:
        return lo + 1
    if hi.is_finite:
        return hi - 1
    return sp.S.Zero


def _symbol(name: str, domain: sp.Interval) -> sp.Symbol:
    if domain.inf >= 0:
        return sp.Symbol(name, positive=True) if (domain.inf > 0 or domain.left_open) \
            else sp.Symbol(name, nonnegative=True)
    return sp.Symbol(name, real=True)


def reserved_names() -> frozenset[str]:
    """Names a user parameter may not take: the probabilities, the derived quantities of
    claims (loss, d_x1, ...), the package's own named symbols (the flow's start x1_0, the
    margin h of derivations) and the parser's functions and constants. Read from the
    modules that define them, so a new internal name is reserved without editing here.
    """
    from .parser import CONSTANTS, FUNCTIONS
    from .symbols import INTERNAL_NAMES

    return frozenset({*INTERNAL_NAMES, *FUNCTIONS, *CONSTANTS})


def user_loss(expr: str | sp.Expr, params: Mapping[str, str] | None = None,
              name: str = "user", fixed: Mapping[str, object] | None = None) -> Loss:
    """A Loss from ``expr`` (text or sympy) with parameters declared as NAME -> "(a, b]".

    beta, r_w, r_l keep their standard domains unless redeclared; ``fixed`` fixes
    constants to values. Refuses unsafe text (UnsafeExpression) and non-losses (NotALoss).
    """
    declared: dict[str, Parameter] = {}
    reserved = reserved_names()
    for pname, dom in (params or {}).items():
        if not isinstance(pname, str) or not _NAME.match(pname):
            raise InvalidArgument(f"parameter name {pname!r} is not allowed (letters, digits "
                                  "and one '_', starting with a letter)")
        if pname in reserved:
            raise InvalidArgument(f"parameter name {pname!r} is reserved by dpo_proofs; "
                                  "choose another")
        domain = parse_domain(dom) if isinstance(dom, str) else dom
        if not isinstance(domain, sp.Interval):
            raise InvalidArgument(f"domain of {pname} must be an interval")
        if pname in _STANDARD:
            p = _STANDARD[pname]
            if domain.is_subset(p.domain) is not True:
                raise InvalidArgument(f"{pname} must stay within {sp.sstr(p.domain)}")
            declared[pname] = Parameter(p.symbol, domain, p.default if domain.contains(
                p.default) is sp.true else _default(domain), p.description)
        else:
            declared[pname] = Parameter(_symbol(pname, domain), domain, _default(domain),
                                        "user-declared parameter")
    names = {n: p.symbol for n, p in declared.items()}
    if isinstance(expr, str):
        parsed = parse_expression(expr, names)
    elif isinstance(expr, sp.Expr):
        parsed = expr
    else:
        raise UnsafeExpression(f"expression must be a string or sympy expression, "
                               f"got {type(expr).__name__}")
    free = parsed.free_symbols
    if not free & {STANDARD_SYMBOLS["x1"], STANDARD_SYMBOLS["x2"]}:
        raise NotALoss(f"{sp.sstr(parsed)} does not depend on x1 or x2")
    parameters = [declared.get(n, p) for n, p in _STANDARD.items()
                  if p.symbol in free or n in declared]
    parameters += [p for n, p in declared.items() if n not in _STANDARD]
    loss = Loss(name, parsed, tuple(parameters), "user-defined loss", "", None,
                f"parsed from {expr if isinstance(expr, str) else sp.sstr(expr)!r}")
    _check_defined(loss)
    if fixed:
        loss = loss.with_parameters(fixed)
    return loss


def _check_defined(loss: Loss) -> None:
    """Refuse a loss that is not a finite real number at any of a few domain points.

    The points are exact (interior and near the edges, constants at their defaults) and
    the value is sympy's 30-digit evaluation: enough to tell defined from undefined.
    """
    from ..loss.functions import to_elementary

    R = sp.Rational
    defaults = {p.symbol: p.default for p in loss.parameters}
    expr = to_elementary(loss.expr)
    x1, x2 = STANDARD_SYMBOLS["x1"], STANDARD_SYMBOLS["x2"]
    for a, b in ((R(1, 2), R(1, 3)), (R(3, 10), R(3, 5)), (R(9, 10), R(1, 10)),
                 (R(1, 100), R(99, 100)), (R(1, 7), R(1, 7)), (R(1, 1000), R(1, 10**6))):
        try:
            value = sp.N(expr.subs({x1: a, x2: b, **defaults}), 30)
        except (ZeroDivisionError, ValueError, TypeError, OverflowError):
            continue
        if value.is_real and value.is_finite and value.is_Number:
            return
    raise NotALoss(f"{sp.sstr(loss.expr)} is not a finite real number at any tested point of "
                   "the domain (undefined, complex or infinite there)")

"""Claims from text: 'ratio > 1' on 'x1 > x2', parsed by the safe parser, never eval.

Names: x1, x2, r_w, r_l, beta, the loss's own constants, and the derived quantities
``loss``, ``d_x1``, ``d_x2``, ``ratio``. Domains: ``square`` (the default, (0, 1]^2),
``simplex`` (x1 + x2 <= 1), or relations joined by ``&`` or ``,``, e.g.
``0.1 <= x1 <= 0.5, x2 >= 0.2`` (a box) or ``x1 > x2``.
"""
from __future__ import annotations

import re
from difflib import get_close_matches

import sympy as sp

from ..errors import InvalidArgument
from ..loss.loss import Loss
from ..loss.parser import parse_relation, parse_relation_where_defined
from ..loss.user import parse_domain as parse_domain_text
from ..loss.symbols import parse_number, x1, x2
from .values import QUANTITY_SYMBOLS, Claim, builtin_claims

__all__ = ["parse_claim", "parse_domain", "parse_range", "claim_from_text", "NAMED_DOMAINS"]

#: Domains with a name (the square is the whole domain: no extra relation).
NAMED_DOMAINS = {"square": sp.true, "simplex": sp.LessThan(x1 + x2, 1)}


def _names(loss: Loss) -> dict[str, sp.Basic]:
    names: dict[str, sp.Basic] = {p.name: p.symbol for p in loss.parameters}
    names.update(QUANTITY_SYMBOLS)
    return names


def _split(text: str) -> list[str]:
    return [p for p in re.split(r",(?![^\(\[]*[\)\]])", text) if p.strip()]


def parse_domain(text: str | None, loss: Loss) -> sp.Basic:
    """The domain's relations (besides (0, 1]^2) as a sympy boolean."""
    if text is None or not text.strip():
        return sp.true
    parts = []
    for part in _split(text):
        key = part.strip().lower()
        if key in NAMED_DOMAINS:
            parts.append(NAMED_DOMAINS[key])
        else:
            parts.append(parse_relation(part, _names(loss)))
    return sp.And(*parts)


def parse_claim(text: str, loss: Loss) -> sp.Basic:
    """A single relation such as 'ratio > 1' or 'd_x1 < 0'."""
    relation = parse_relation(text, _names(loss))
    if isinstance(relation, sp.And):
        raise InvalidArgument(f"claim {text!r} must be one relation; put conditions in "
                              "--domain")
    return relation


def claim_from_text(text: str, loss: Loss, domain: str | None = None) -> Claim:
    """A built-in claim by name, or a claim parsed from ``text`` on ``domain``."""
    for c in builtin_claims():
        if c.name == text.strip():
            extra = parse_domain(domain, loss)
            return Claim(c.name, c.statement, sp.And(c.domain, extra), c.description)
    names = [c.name for c in builtin_claims()]
    if text.strip().isidentifier() and text.strip() not in _names(loss):
        # a bare name is meant as a built-in claim: a typo gets the name it was meant as
        near = get_close_matches(text.strip(), names, n=1)
        if near:
            raise InvalidArgument(f"unknown claim {text.strip()!r}; did you mean {near[0]!r}?"
                                  f" (built-in claims: {', '.join(names)})")
    statement = parse_claim(text, loss)
    requires = parse_relation_where_defined(text, _names(loss))[1]
    where = parse_domain(domain, loss)
    # Named as typed: sympy may have simplified the statement ((x1-x2)/(x1-x2) is 1).
    name = " ".join(text.split()) + ("" if where is sp.true else f" on {sp.sstr(where)}")
    return Claim(name, statement, where, "user claim", requires)


def parse_range(text: str) -> tuple[sp.Rational, sp.Rational] | None:
    """'0.01..10' (or the interval '[0.01, 10]') -> (1/100, 10); None if ``text`` is not
    a range. A range is closed and bounded: the interval prover covers it with boxes."""
    if text.strip()[:1] in ("(", "["):
        interval = parse_domain_text(text)  # the interval notation of analyze --expr
        if interval.left_open or interval.right_open:
            raise InvalidArgument(f"range {text!r}: a constant's range is closed and "
                                  "bounded, written LOW..HIGH or [LOW, HIGH]")
        return interval.start, interval.end
    if ".." not in text:
        return None
    low, _, high = text.partition("..")
    if not low.strip() or not high.strip():
        raise InvalidArgument(f"range {text!r} must look like LOW..HIGH")
    # bounded literals, no zero denominators (1..1/0), no nan/inf: one-line errors
    return (parse_number(low, f"range {text!r}: LOW"),
            parse_number(high, f"range {text!r}: HIGH"))

"""Weighted mixtures of catalogued losses, analysed as one loss.

TRL lets ``loss_type`` be a list with ``loss_weights`` (MPO is sigmoid + bco_pair + sft,
and since its DPO refactor RPO is ["sigmoid", "sft"]); the per-pair loss it minimises is

    L(x1, x2) = sum_i w_i * L_i(x1, x2),

with one value per shared constant (one beta for every term). A mixture is written
"sigmoid+bco_pair+sft" (weights 1) or "0.8*sigmoid+0.2*bco_pair+sft" (``parse_mixture``);
``loss.names.get_variant`` resolves each name (a catalogue key, a TRL loss_type, a
reading NAME@CONVENTION) and calls ``mixture``. Weights are exact rationals > 0.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

import sympy as sp

from ..errors import InvalidArgument
from .loss import Loss
from .symbols import Parameter, interval_text, parse_number

__all__ = ["mixture", "is_mixture_name", "parse_mixture"]

_TERM = re.compile(r"^\s*(?:([0-9][0-9.eE+\-/]*)\s*\*\s*)?([A-Za-z][A-Za-z0-9_.@\-]*)\s*$")
#: More terms than any framework mixes; bounds the work a typed name can ask for.
MAX_TERMS = 8


def is_mixture_name(name: str) -> bool:
    """Whether ``name`` asks for a mixture (it joins terms with '+')."""
    return isinstance(name, str) and "+" in name.replace("e+", "")


def parse_mixture(name: str) -> tuple[tuple[str, ...], tuple[sp.Rational, ...]]:
    """"0.8*sigmoid+0.2*bco_pair+sft" -> (("sigmoid", "bco_pair", "sft"), (4/5, 1/5, 1))."""
    parts = [p for p in re.split(r"(?<![eE])\+", name)]
    if len(parts) > MAX_TERMS:
        raise InvalidArgument(f"a mixture has at most {MAX_TERMS} terms, not {len(parts)}")
    names, weights = [], []
    for part in parts:
        m = _TERM.match(part)
        if not m:
            raise InvalidArgument(f"mixture term {part.strip()!r} must be NAME or WEIGHT*NAME "
                                  "(e.g. 0.8*sigmoid+0.2*bco_pair+sft)")
        weight, term = m.groups()
        names.append(term)
        weights.append(_weight(weight) if weight else sp.Integer(1))
    return tuple(names), tuple(weights)


def _weight(value: object) -> sp.Rational:
    text = value if isinstance(value, str) else repr(value)
    w = value if isinstance(value, sp.Rational) else parse_number(text.strip(), "mixture weight")
    if not w > 0:
        raise InvalidArgument(f"mixture weight {text.strip()} must be > 0 (drop the term "
                              "instead of weighting it by 0)")
    return w


def _weight_text(w: sp.Rational) -> str:
    """A weight as it can stand in a file name: 0.8, 2, or 1over3 (no '/')."""
    q = int(w.q)
    for f in (2, 5):
        while q % f == 0:
            q //= f
    if q == 1:
        text = f"{sp.Float(w, 30):.15f}".rstrip("0").rstrip(".")
        if sp.Rational(text) == w:
            return text
    return f"{w.p}over{w.q}"


def _merged(losses: Sequence[Loss]) -> tuple[Parameter, ...]:
    """One parameter per symbol: the domains intersected, the first default that lies in
    the intersection (TRL passes one value of each constant to every term)."""
    by_symbol: dict[sp.Symbol, list[Parameter]] = {}
    for loss in losses:
        for p in loss.parameters:
            by_symbol.setdefault(p.symbol, []).append(p)
    names: dict[str, sp.Symbol] = {}
    out = []
    for symbol, params in by_symbol.items():
        if names.setdefault(symbol.name, symbol) != symbol:
            raise InvalidArgument(
                f"the terms use two different constants named {symbol.name!r} (different "
                "assumptions): this mixture cannot share one value of it")
        domain = params[0].domain
        for p in params[1:]:
            domain = domain.intersect(p.domain)
        if domain.is_empty or not isinstance(domain, sp.Interval):
            raise InvalidArgument(
                f"the terms give {symbol.name} disjoint domains ("
                + ", ".join(interval_text(p.domain) for p in params) + ")")
        default = next((p.default for p in params if domain.contains(p.default) is sp.true),
                       None)
        if default is None:
            raise InvalidArgument(f"no term's default {symbol.name} lies in the shared "
                                  f"domain {interval_text(domain)}; give it with --param")
        descriptions = list(dict.fromkeys(p.description for p in params))
        out.append(Parameter(symbol, domain, default, "; ".join(descriptions),
                             params[0].integer))
    return tuple(out)


def mixture(terms: Sequence[Loss], weights: Sequence[object] | None = None) -> Loss:
    """The loss sum_i w_i * L_i of the given losses (weights 1 when not given).

    Constants with the same name are one constant (TRL passes one beta to every term);
    a constant two terms declare with different domains ranges over the intersection.
    """
    terms = tuple(terms)
    if len(terms) < 2:
        raise InvalidArgument("a mixture needs at least two terms (joined with '+')")
    if len(terms) > MAX_TERMS:
        raise InvalidArgument(f"a mixture has at most {MAX_TERMS} terms, not {len(terms)}")
    if weights is None:
        ws = tuple(sp.Integer(1) for _ in terms)
    else:
        if len(weights) != len(terms):
            raise InvalidArgument(f"{len(weights)} weights for {len(terms)} terms: give one "
                                  "weight per term")
        ws = tuple(_weight(w) for w in weights)
    parameters = _merged(terms)
    expr = sp.Add(*[w * t.expr for w, t in zip(ws, terms)])
    key = "+".join(t.name if w == 1 else f"{_weight_text(w)}*{t.name}" for w, t in zip(ws, terms))
    readings = "; ".join(f"{t.name}: {t.reading}" for t in terms)
    return Loss(
        name=key, expr=expr, parameters=parameters,
        title="Mixture " + " + ".join(
            (t.title or t.name) if w == 1 else f"{sp.sstr(w)} x {t.title or t.name}"
            for w, t in zip(ws, terms)),
        citation="; ".join(dict.fromkeys(t.citation for t in terms if t.citation)),
        trl_name=("[" + ", ".join(repr(t.trl_name) for t in terms) + "]")
        if all(t.trl_name for t in terms) else None,
        reading=f"weighted sum of the terms with loss_weights [{', '.join(map(sp.sstr, ws))}] "
                f"and one value per shared constant ({readings})",
        notes=("TRL: loss_type=[...], loss_weights=[...]; the terms' constants are shared",),
    )

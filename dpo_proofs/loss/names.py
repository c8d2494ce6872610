"""What a variant name means: a catalogue key, a TRL loss_type, a reading, or a mixture.

    get_variant("dpo")                      the catalogue's entry
    get_variant("sigmoid")                  TRL's loss_type name for it
    get_variant("fdpo_alpha@trl-0.x")       one framework's reading of a loss
    get_variant("0.8*sigmoid+0.2*bco_pair+sft")   a weighted mixture (TRL loss_weights)

Every command resolves names here, so each accepts every form.
"""
from __future__ import annotations

import difflib

from ..errors import UnknownVariant
from .catalogue import CATALOGUE, NOT_PER_PAIR
from .loss import Loss
from .mixture import is_mixture_name, mixture, parse_mixture
from .readings import CONVENTIONS, READINGS

__all__ = ["get_variant", "variant_names"]


def variant_names() -> tuple[str, ...]:
    """The catalogue's keys, in catalogue order."""
    return tuple(CATALOGUE)


def _suggest(key: str, known: list[str]) -> str:
    near = difflib.get_close_matches(key, known, n=1)
    return f"; did you mean {near[0]!r}?" if near else ""


def _reading(name: str, key: str) -> Loss:
    if key in READINGS:
        return READINGS[key].loss()
    variant, _, convention = key.partition("@")
    if convention not in CONVENTIONS:
        raise UnknownVariant(f"unknown convention {convention!r} in {name!r}"
                             f"{_suggest(convention, list(CONVENTIONS))} (known: "
                             f"{', '.join(CONVENTIONS)})")
    base = get_variant(variant)
    if convention == "trl" and base.trl_name:
        return base  # TRL names this entry and runs the catalogue's reading of it
    of = sorted(k for k, r in READINGS.items() if r.variant == base.name)
    raise UnknownVariant(
        f"{base.name} has no reading {convention!r} recorded"
        + (f" (its readings: {', '.join(of)})" if of else
           " (no framework's version of it differs from the catalogue's)"))


def get_variant(name: str, weights=None) -> Loss:
    """The loss called ``name``: a catalogue key, a TRL loss_type (what TRL runs today),
    NAME@CONVENTION (see ``readings``), or a mixture "a+b+c" / "0.8*a+0.2*b" (``weights``
    gives one weight per term instead)."""
    if not isinstance(name, str) or not name.strip():
        raise UnknownVariant(f"a variant name must be a non-empty string, not {name!r}")
    key = name.strip().lower()
    if is_mixture_name(key):
        names, ws = parse_mixture(key)
        if weights is not None:
            if any(w != 1 for w in ws):
                raise UnknownVariant("give the weights either in the name (0.8*sigmoid+...) "
                                     "or with --weights, not both")
            ws = weights
        return mixture([get_variant(n) for n in names], ws)
    if weights is not None:
        raise UnknownVariant(f"--weights needs a mixture (names joined with '+'), not {name!r}")
    if "@" in key:
        return _reading(name, key)
    if key in CATALOGUE:
        return CATALOGUE[key]
    for loss in CATALOGUE.values():
        if loss.trl_name == key:
            return loss
    if key in NOT_PER_PAIR:
        raise UnknownVariant(f"variant {name!r} has no per-pair form: {NOT_PER_PAIR[key]}")
    known = [*CATALOGUE, *NOT_PER_PAIR, *(v.trl_name for v in CATALOGUE.values()
                                          if v.trl_name)]
    raise UnknownVariant(f"unknown variant {name!r}{_suggest(key, known)} "
                         f"(known: {', '.join(CATALOGUE)})")

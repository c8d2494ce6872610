"""The catalogue of DPO-family losses, each built from its published definition.

Names follow TRL's ``loss_type`` where one exists. Every entry is a per-pair loss
in x1 = pi(y_w|x), x2 = pi(y_l|x); the analysis of each is derived, never stored here.
"""
from __future__ import annotations

from types import MappingProxyType

import sympy as sp

from .errors import UnknownVariant
from .functions import log_sigmoid
from .loss import STANDARD_PARAMETERS, Loss, margin
from .symbols import beta, r_l, r_w, x1, x2

__all__ = ["CATALOGUE", "NOT_PER_PAIR", "get_variant", "variant_names"]


def _dpo() -> Loss:
    return Loss(
        name="dpo",
        expr=-log_sigmoid(margin()),
        parameters=STANDARD_PARAMETERS,
        title="Direct Preference Optimization",
        citation="arXiv:2305.18290",
        trl_name="sigmoid",
        reading="-log sigma(beta*log(x1/r_w) - beta*log(x2/r_l)), Rafailov et al. Eq. 7",
        equivalent_forms=((
            "Feng et al. 2024 (arXiv:2404.04626), reduced form with K = (r_w/r_l)^beta",
            -sp.log(x1**beta / (x1**beta + (r_w / r_l) ** beta * x2**beta))),),
    )


_BUILDERS = {"dpo": _dpo}

#: name -> Loss, in catalogue order.
CATALOGUE: MappingProxyType = MappingProxyType({name: build() for name, build in _BUILDERS.items()})

#: Variants with no per-pair form, and why (listed, not faked).
NOT_PER_PAIR: MappingProxyType = MappingProxyType({})


def variant_names() -> tuple[str, ...]:
    return tuple(CATALOGUE)


def get_variant(name: str) -> Loss:
    """The catalogued loss called ``name`` (its key or its TRL loss_type)."""
    key = name.strip().lower()
    if key in CATALOGUE:
        return CATALOGUE[key]
    for loss in CATALOGUE.values():
        if loss.trl_name == key:
            return loss
    if key in NOT_PER_PAIR:
        raise UnknownVariant(f"variant {name!r} has no per-pair form: {NOT_PER_PAIR[key]}")
    raise UnknownVariant(
        f"unknown variant {name!r}; known: {', '.join(CATALOGUE)}")

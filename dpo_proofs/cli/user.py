"""CLI glue for user expressions: ``analyze --expr EXPR [--param NAME=DOMAIN|VALUE]``.

With --expr, ``--param NAME=(a,b]`` declares a parameter's domain and
``--param NAME=VALUE`` fixes it (declared as a real number if not declared otherwise).
"""
from __future__ import annotations

from ..loss.user import is_domain_text, user_loss

__all__ = ["loss_from_args"]


def loss_from_args(expr: str, params: dict[str, str]):
    """(Loss, fixed values) from --expr and the --param items (domains vs values)."""
    # text opening with a bracket is meant as an interval: malformed, it gets the
    # domain's error message, not "not a number"
    def domain(v: str) -> bool:
        return is_domain_text(v) or v.strip()[:1] in ("(", "[")

    domains = {k: v for k, v in params.items() if domain(v)}
    values = {k: v for k, v in params.items() if not domain(v)}
    for name in values:
        domains.setdefault(name, "(-oo, oo)") if name not in ("beta", "r_w", "r_l") else None
    return user_loss(expr, domains, name="expr"), values

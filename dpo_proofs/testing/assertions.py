"""Assertions for users' own test suites: claims, fields and ratios, decided by the engine.

Each helper fails with an AssertionError that carries the verdict, the deciding method
and, when there is one, the counterexample confirmed at 60 and 120 digits:

    from dpo_proofs.testing import assert_claim, assert_same_field, assert_ratio

    def test_my_loss_lowers_x2_faster():
        assert_claim("ratio > 1", my_loss, domain="x1 > x2")
"""
from __future__ import annotations

from collections.abc import Mapping

import mpmath
import sympy as sp

from ..field.canonical import canonical
from ..verdicts.claim_text import claim_from_text
from ..field.in_frame import field_of
from ..verdicts.engine import check
from ..loss.loss import Loss
from ..loss.parser import parse_expression
from ..numerics.confirm import DPS, confirmation_points, mp_callable, show, to_mpf
from ..loss.names import get_variant
from ..loss.symbols import x1, x2
from ..verdicts.values import RATIO, Claim, Status, Verdict

__all__ = ["assert_claim", "assert_same_field", "assert_ratio"]


def _loss(loss: Loss | str) -> Loss:
    return get_variant(loss) if isinstance(loss, str) else loss


def _describe(v: Verdict) -> str:
    text = f"{v.claim}: {v.status} [{v.method}] {v.evidence}"
    if v.counterexample:
        text += "\n  counterexample: " + ", ".join(f"{k}={x}" for k, x in
                                                   v.counterexample.items())
    return text


def assert_claim(claim: Claim | str, loss: Loss | str, domain: str | None = None,
                 params: Mapping[str, object] | None = None, budget: float = 30.0) -> Verdict:
    """Fail unless ``claim`` is proved for ``loss`` (refuted or unknown both fail).

    Arguments in the package's one order: what is checked first, then the loss, as in
    ``check(claim, loss)`` and ``check_implementation(fn, loss)``.

    ``claim`` is a Claim, a built-in claim name, or text such as "ratio > 1";
    ``domain`` is text such as "x1 > x2" or "simplex"; ``params`` fix constants
    (``beta=0.1``) or range them (``beta="0.01..10"``).
    """
    loss = _loss(loss)
    if isinstance(claim, str):
        claim = claim_from_text(claim, loss, domain)
    elif domain is not None:
        raise TypeError("give the domain inside the Claim when passing a Claim object")
    verdict = check(claim, loss, params, budget=budget)
    if verdict.status is not Status.PROVED:
        raise AssertionError(f"{loss.name}: claim not proved\n  {_describe(verdict)}")
    return verdict


def _differences(a: Loss, b: Loss) -> dict[str, sp.Expr]:
    fa, fb = field_of(a), field_of(b)
    return {"d_x1": fa.d_x1.closed_form - fb.d_x1.closed_form,
            "d_x2": fa.d_x2.closed_form - fb.d_x2.closed_form}


def assert_same_field(loss_a: Loss | str, loss_b: Loss | str) -> str:
    """Fail unless dL_a/dx_i = dL_b/dx_i identically (i = 1, 2).

    Proved when the canonical difference of each partial is 0; otherwise refuted
    with a point where the partials differ, confirmed at 60 and 120 digits.
    """
    a, b = _loss(loss_a), _loss(loss_b)
    diffs = _differences(a, b)
    left = {k: canonical(d) for k, d in diffs.items()}
    if all(d == 0 for d in left.values()):
        return f"{a.name} and {b.name}: both partials agree identically (canonical difference 0)"
    params = {p.name: p for p in (*a.parameters, *b.parameters)}
    symbols = [x1, x2, *[p.symbol for p in params.values()]]
    # Confirmation points over the union of both losses' constants.
    merged = Loss("merged", x1, tuple(params.values()), "", "")
    for name, diff in left.items():
        if diff == 0:
            continue
        fn = mp_callable(diff, symbols)
        for point in confirmation_points(merged, random_points=8):
            values = []
            for dps in (DPS, 2 * DPS):
                with mpmath.workdps(dps):
                    try:
                        values.append(fn(*[to_mpf(point[s.name]) for s in symbols]))
                    except (ZeroDivisionError, ValueError):
                        values.append(None)
            low, high = values
            if low is None or high is None or not mpmath.isfinite(high):
                continue
            with mpmath.workdps(2 * DPS):
                if high != 0 and abs(low - high) < abs(high) * mpmath.mpf(10) ** (-DPS // 2):
                    shown = ", ".join(f"{k}={show(v)}" for k, v in point.items())
                    raise AssertionError(
                        f"{a.name} and {b.name} have different gradient fields: at {shown}, "
                        f"{name}[{a.name}] - {name}[{b.name}] = {mpmath.nstr(high, 20)} "
                        f"(at {2 * DPS} digits; {DPS}-digit value agrees)")
    raise AssertionError(
        f"{a.name} and {b.name}: the partials' difference did not reduce to 0 and no point "
        f"with a confirmed difference was found (unknown): {sp.sstr(left)}")


def assert_ratio(loss: Loss | str, expected: sp.Expr | str) -> str:
    """Fail unless R = |dL/dx2|/|dL/dx1| equals ``expected`` (text or sympy) identically."""
    loss = _loss(loss)
    names = {p.name: p.symbol for p in loss.parameters}
    target = parse_expression(expected, names) if isinstance(expected, str) else expected
    ratio = field_of(loss).ratio
    claim = Claim(f"ratio == {sp.sstr(target)}", sp.Eq(RATIO, target))
    difference = canonical(ratio - target)
    if difference == 0:
        return f"{loss.name}: R = {sp.sstr(ratio)} = {sp.sstr(target)} identically"
    verdict = check(claim, loss, budget=30)
    if verdict.status is Status.PROVED:
        return _describe(verdict)
    raise AssertionError(f"{loss.name}: R = {sp.sstr(ratio)}, not {sp.sstr(target)}\n  "
                         + _describe(verdict))

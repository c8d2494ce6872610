"""The field's published statements about DPO-family gradients, as claims the engine decides.

Each ``Statement`` holds a paper's statement as published (its wording, citation, the
frame it lives in, the loss it is made for) and its reading as claims in the claim
language: relations in x1, x2, the constants, the Gram entries a, b, c and the derived
quantities (d_x1, d_x2, ratio, v_w, v_l, margin_rate, s_w, s_l). Nothing here states a
verdict: ``reproduce`` decides every claim with ``engine.check`` at run time, and
``analogue`` decides the same claims for another loss (the condition for the chosen
probability to rise under SimPO, CPO, IPO, ...).

A claim is universal (it must hold on its whole domain) unless ``exists``: then the
paper asserts that some point shows the effect, and the claim holds when its negation
is refuted at a certified point. ``weaker`` readings (the weak inequality, a hypothesis
the paper leaves implicit) are decided too, so that a statement that fails as
published can be reported as imprecise, with what does hold, rather than just wrong.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp

from ..cache import cached
from ..errors import InvalidArgument
from ..workers import for_each
from ..field.frames import get_parametrization
from ..field.in_frame import with_frame_constants
from ..loss.names import get_variant
from ..loss.loss import Loss
from ..loss.user import user_loss
from .claim_text import claim_from_text
from .engine import check
from .statements import NOT_REDUCIBLE, STATEMENTS, Claimed, Statement
from .values import Claim, Status, Verdict

__all__ = ["Claimed", "Statement", "Reproduction", "STATEMENTS", "NOT_REDUCIBLE",
           "reproduce", "reproduce_all", "statement", "outcome_of", "OUTCOMES"]

#: what a statement's reproduction can come to
OUTCOMES = ("reproduced", "imprecise", "refuted", "unknown", "not for this loss")


@dataclass(frozen=True)
class Reproduction:
    """A statement decided for one loss: a verdict per claim and per weaker reading."""

    statement: Statement
    variant: str
    verdicts: tuple[Verdict, ...]
    weaker: tuple[Verdict, ...]
    outcome: str
    #: each claim as the engine read it (statement and domain as sympy), None where it
    #: says nothing for this loss: what the documents typeset
    read_as: tuple[Claim | None, ...] = ()

    @property
    def own(self) -> bool:
        """Decided for the loss the paper states it for (not an analogue)."""
        stated = self.statement.loss
        return self.variant == (stated[5:] if stated.startswith("expr:") else stated)

    def failing(self) -> tuple[Claimed, Verdict] | None:
        """The first claim that fails, with its verdict (the evidence)."""
        for c, v in zip(self.statement.claims, self.verdicts):
            if _holds(c, v) is False:
                return c, v
        return None

    def undecided(self) -> tuple[Claimed, Verdict] | None:
        for c, v in zip(self.statement.claims, self.verdicts):
            if _holds(c, v) is None:
                return c, v
        return None

    def to_json(self) -> dict:
        s = self.statement
        return {"statement": s.key, "paper": s.paper, "arxiv": s.arxiv, "where": s.where,
                "wording": s.wording, "frame": s.frame, "variant": self.variant,
                "stated_for": s.loss, "reading": s.reading, "source": s.source,
                "outcome": self.outcome,
                "claims": [{"claim": str(c), "exists": c.exists, "holds": _holds(c, v),
                            **v.to_json()} for c, v in zip(s.claims, self.verdicts)],
                "weaker": [{"claim": str(c), "holds": _holds(c, v), **v.to_json()}
                           for c, v in zip(s.weaker, self.weaker)]}


def _holds(claimed: Claimed, verdict: Verdict) -> bool | None:
    """True (the claim holds), False (it fails), None (undecided)."""
    if verdict.status is Status.UNKNOWN:
        return None
    proved = verdict.status is Status.PROVED
    # an existence claim was decided through its negation
    return (not proved) if claimed.exists else proved


def outcome_of(claims: Sequence[Claimed], verdicts: Sequence[Verdict],
               weaker: Sequence[Claimed] = (), weak: Sequence[Verdict] = ()) -> str:
    """reproduced (every claim holds), imprecise (one fails, every weaker reading
    holds), refuted (one fails), unknown (none fails, one undecided)."""
    held = [_holds(c, v) for c, v in zip(claims, verdicts)]
    if all(h is True for h in held):
        return "reproduced"
    if any(h is False for h in held):
        if weak and all(_holds(c, v) is True for c, v in zip(weaker, weak)):
            return "imprecise"
        return "refuted"
    return "unknown"


def _loss(name: str) -> Loss:
    if name.startswith("expr:"):
        return user_loss(name[5:], name=name[5:])
    return get_variant(name)


def _decide(claimed: Claimed, loss: Loss, frame: str, budget: float | None) -> Verdict:
    try:
        return _decided(claimed, loss, frame, budget)
    except InvalidArgument as error:  # the claim says nothing for this loss
        return Verdict(str(claimed), Status.UNKNOWN, "not posed", str(error))


def _read(claimed: Claimed, loss: Loss, frame: str) -> Claim | None:
    """The claim as parsed for ``loss`` in ``frame`` (None: not posed for this loss)."""
    try:
        return claim_from_text(claimed.text, with_frame_constants(
            loss, get_parametrization(frame)), claimed.domain)
    except InvalidArgument:
        return None


def _decided(claimed: Claimed, loss: Loss, frame: str, budget: float | None) -> Verdict:
    framed = with_frame_constants(loss, get_parametrization(frame))
    claim = claim_from_text(claimed.text, framed, claimed.domain)
    if claimed.exists:
        # "some point has P": decided as "P never holds" -- a certified counterexample
        # to that is the point; a proof of it shows there is none.
        claim = Claim(f"not ({claim.name})", sp.Not(claim.statement), claim.domain,
                      "negation of an existence claim", claim.requires)
    return check(claim, framed, budget=budget,
                 frame=None if frame == "probability" else frame)


def reproduce(item: Statement | str, variant: str | None = None,
              budget: float | None = 60) -> Reproduction:
    """Decide ``item``'s claims for its own loss, or for ``variant`` (its analogue).

    Kept in the disk cache (the verdicts are values of the statement and the loss)."""
    s = statement(item) if isinstance(item, str) else item
    name = variant or s.loss
    if variant is not None and variant != s.loss and not s.analogue:
        return Reproduction(s, name, (), (), "not for this loss")
    loss = _loss(name)
    return cached("literature", (s, loss), lambda: _reproduce(s, loss, budget))


def reproduce_all(keys: Sequence[str] | None = None, variants: Sequence[str] | None = None,
                  jobs: int | None = None, on_done=None) -> list[Reproduction]:
    """Every statement (or ``keys``) for its own loss, then, for ``variants``, each
    statement's analogue for each of them; variants side by side over ``jobs``."""
    chosen = [statement(k) for k in keys] if keys else list(STATEMENTS)
    items = [(s.key, None) for s in chosen]
    items += [(s.key, get_variant(v).name) for v in variants or () for s in chosen
              if s.analogue and get_variant(v).name != s.loss]
    labels = [f"{k}" + (f" [{v}]" if v else "") for k, v in items]
    return for_each(_reproduce_item, items, labels, jobs, on_done)


def _reproduce_item(item: tuple[str, str | None]) -> Reproduction:
    return reproduce(item[0], item[1])


def _reproduce(s: Statement, loss: Loss, budget: float | None) -> Reproduction:
    verdicts = tuple(_decide(c, loss, s.frame, budget) for c in s.claims)
    outcome = outcome_of(s.claims, verdicts)
    weak: tuple[Verdict, ...] = ()
    if outcome == "refuted" and s.weaker:
        weak = tuple(_decide(c, loss, s.frame, budget) for c in s.weaker)
        outcome = outcome_of(s.claims, verdicts, s.weaker, weak)
    read = tuple(_read(c, loss, s.frame) for c in s.claims)
    return Reproduction(s, loss.name, verdicts, weak, outcome, read)


def statement(key: str) -> Statement:
    for s in STATEMENTS:
        if s.key == key:
            return s
    from difflib import get_close_matches

    near = get_close_matches(key, [s.key for s in STATEMENTS], n=1)
    raise InvalidArgument(f"unknown statement {key!r}" +
                          (f"; did you mean {near[0]!r}?" if near else "") +
                          f" (known: {', '.join(s.key for s in STATEMENTS)})")



"""The field's published statements (../shared/LITERATURE.md) read as claims.

Each ``Statement`` holds a paper's statement as published (its wording, citation, the
frame it lives in, the loss it is made for) and its reading as claims in the claim
language: relations in x1, x2, the constants, the Gram entries a, b, c and the derived
quantities (d_x1, d_x2, ratio, v_w, v_l, margin_rate, s_w, s_l). Nothing here states a
verdict: ``literature.reproduce`` decides every claim at run time.

A claim is universal (it must hold on its whole domain) unless ``exists``: then the
paper asserts that some point shows the effect. ``weaker`` readings (the weak
inequality, a hypothesis the paper leaves implicit) are decided when the statement as
read fails, so that it can be reported as imprecise, with what does hold.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Claimed", "Statement", "STATEMENTS", "NOT_REDUCIBLE"]


@dataclass(frozen=True)
class Claimed:
    """One relation of a statement: ``text`` on ``domain`` (claim-language text).

    ``exists``: the paper asserts a point with this property (decided through the
    negation: refuted at a certified point means the point exists)."""

    text: str
    domain: str | None = None
    exists: bool = False

    def __str__(self) -> str:
        where = f" on {self.domain}" if self.domain else ""
        return ("some point has " if self.exists else "") + self.text + where


@dataclass(frozen=True)
class Statement:
    """A published statement and its reading as claims."""

    key: str
    paper: str
    arxiv: str
    where: str
    wording: str
    frame: str
    loss: str                       # a catalogue name, or "expr:TEXT" for a user loss
    claims: tuple[Claimed, ...]
    weaker: tuple[Claimed, ...] = ()
    #: decide the same claims (and weaker readings) for every catalogued variant
    analogue: bool = False
    #: how the statement was read, and what of it is not a claim here
    reading: str = ""
    source: str = ""                # "secondary source", "authors' code", ...

    @property
    def citation(self) -> str:
        return f"{self.paper}, arXiv:{self.arxiv}, {self.where}"


_S = Claimed
#: The statements of ../shared/LITERATURE.md that reduce to claims on one response pair.
STATEMENTS: tuple[Statement, ...] = (
    Statement(
        "feng-ratio", "Feng et al. 2024", "2404.04626", "Sec. 3 (the gradient field)",
        "DPO decreases the dispreferred probability faster than it increases the preferred "
        "one (the ratio of the gradient field's components)",
        "probability", "dpo",
        (_S("ratio = x1/x2"), _S("ratio > 1", "x1 > x2")), analogue=True,
        reading="R = |dL/dx2| / |dL/dx1| = x1/x2, so R > 1 where x1 > x2"),
    Statement(
        "yuan-entanglement", "Yuan et al. 2024", "2410.13828",
        "Sec. 3.1, Condition 1, Eqs. 3-5, Table 1",
        "under DPO the chosen log-prob increases iff c < a, the rejected decreases iff "
        "c < b; case 'both decrease' a < c < b; case 'both increase' b < c < a; the "
        "margin always grows", "gram", "dpo",
        (_S("v_w > 0", "c < a"), _S("v_w <= 0", "c >= a"),
         _S("v_l < 0", "c < b"), _S("v_l >= 0", "c >= b"),
         _S("v_w < 0", "a < c, c < b"), _S("v_l < 0", "a < c, c < b"),
         _S("v_w > 0", "b < c, c < a"), _S("v_l > 0", "b < c, c < a"),
         _S("margin_rate > 0")),
        weaker=(_S("margin_rate >= 0"),), analogue=True,
        reading="v_w = d log x1/dt and v_l = d log x2/dt under du/dt = -G grad_u L; "
        "'the margin grows' read as d(u_w - u_l)/dt > 0", source="secondary source"),
    Statement(
        "yuan-margin-losses", "Yuan et al. 2024", "2410.13828", "Sec. 3.2, Eq. 1",
        "for a loss m(h_w(u_w) - h_l(u_l)) with m' < 0 the same entanglement holds with "
        "h_w', h_l' as weights (SimPO's length normalisation changes the thresholds)",
        "gram", "simpo",
        (_S("v_w > 0", "c*n_w < a*n_l"), _S("v_w <= 0", "c*n_w >= a*n_l"),
         _S("v_l < 0", "c*n_l < b*n_w"), _S("v_l >= 0", "c*n_l >= b*n_w")),
        reading="SimPO: h_w = u_w/n_w, h_l = u_l/n_l, so the weight is w = n_l/n_w and "
        "the thresholds are c < a*w (chosen up) and c*w < b (rejected down)",
        source="secondary source"),
    Statement(
        "yuan-weights", "Yuan et al. 2024", "2410.13828", "Sec. 3.2 (any per-pair loss)",
        "the thresholds of every loss are set by the ratio of its weights on the two "
        "log-probabilities: chosen up iff c < a*w, rejected down iff c*w < b, "
        "w = s_w/s_l", "gram", "dpo",
        (_S("v_w > 0", "c < a*s_w/s_l"), _S("v_l < 0", "c*s_w/s_l < b")),
        weaker=(_S("v_w > 0", "c < a*s_w/s_l, s_l > 0"),
                _S("v_l < 0", "c*s_w/s_l < b, s_l > 0")),
        analogue=True,
        reading="the paper's hypothesis m' < 0 is s_l > 0 here; the claims leave it out "
        "and the weaker reading puts it back, so a loss that needs it shows as imprecise"),
    Statement(
        "yuan-pngd", "Yuan et al. 2024", "2410.13828", "Sec. 5",
        "updating along grad u_w/sqrt(a) - grad u_l/sqrt(b) raises the chosen and lowers "
        "the rejected unless the gradients are parallel", "gram", "dpo",
        (_S("sqrt(a) - c/sqrt(b) > 0", "c**2 < a*b"),
         _S("c/sqrt(a) - sqrt(b) < 0", "c**2 < a*b")),
        reading="along d = g_w/sqrt(a) - g_l/sqrt(b): du_w = <g_w, d> = sqrt(a) - "
        "c/sqrt(b), du_l = c/sqrt(a) - sqrt(b); 'not parallel' is c^2 < ab"),
    Statement(
        "razin-displacement", "Razin et al. 2024", "2410.08847", "Thm 1 / Thm 4, Eq. 7",
        "d/dt log pi(y+) = -l' <grad log pi+, grad log pi+ - grad log pi->; the chosen "
        "probability can decrease when the two unembeddings are similar",
        "gram", "dpo",
        (_S("v_w = s_w*(a - c)"), _S("v_w < 0", "a < c", exists=True)), analogue=True,
        reading="-l' is DPO's incentive s_w (= s_l); similar unembeddings: c > a"),
    Statement(
        "razin-sft", "Razin et al. 2024", "2410.08847", "Prop. 1",
        "an SFT term adds lambda*a to the chosen velocity", "gram", "rpo",
        (_S("v_w = (a - c)*s_l + a*alpha/n_w"),),
        reading="RPO is DPO plus (alpha/n_w) times the NLL of y_w, so lambda = alpha/n_w; "
        "its rejected incentive s_l is DPO's. Prop. 2 (weighting the two log-probs) is read "
        "in yang-dpo-shift; Thm 5 (other tokens) concerns a third response: see the list of "
        "statements not reducible to one pair"),
    Statement(
        "ren-squeezing", "Ren and Sutherland 2024", "2407.10490", "Sec. 3.3, App. C",
        "a negative gradient on a token under softmax lowers it and raises the most likely "
        "other token ('the rich get richer')", "softmax", "expr:log(x2)",
        (_S("d_x2 > 0"), _S("d_x1 < 0", "x1 > 1 - x1 - x2")),
        reading="descent on log pi(y_l) over softmax(z1, z2, z3); x1 the most likely other "
        "response (x1 > x3 = 1 - x1 - x2); the 'peakier squeezes harder' part is not "
        "stated as a claim here"),
    Statement(
        "yan-3d", "Yan et al. 2024", "2406.07327", "Cor. 1-2",
        "the ratio of DPO's partials is -x1/x2; as x2 -> 0 with beta < 1 the chosen "
        "gradient vanishes and the rejected one blows up", "probability", "dpo",
        (_S("d_x2/d_x1 = -x1/x2"),), analogue=True,
        reading="the ratio part only: limits are not claims of the claim language (the "
        "limits of dL/dx2 as x2 -> 0+ are derived in each variant's analysis)",
        source="secondary source"),
    Statement(
        "yang-dpo-shift", "Yang et al. 2025", "2502.07599", "Sec. 3",
        "scaling the rejected term by f(lambda) < 1 raises the chosen probability at the "
        "cost of the reward margin", "gram", "dpo_shift",
        (_S("v_w > 0", "c < a"), _S("margin_rate < 0", exists=True)),
        reading="the chosen rises wherever DPO's does (c < a), and the margin can shrink "
        "(d(u_w - u_l)/dt < 0 at some admissible G)"),
    Statement(
        "cho-bdpo", "Cho et al. 2025", "2506.12725", "Thm 1, Thm 2",
        "the optimum has pi(y_w) = 1, pi(y_l) = 0; the chosen probability stays above "
        "(1 - lambda) * r_w", "probability", "bdpo",
        (_S("d_x1 < 0"), _S("d_x2 > 0"), _S("d_x1 < 0", "x1 <= (1 - lam)*r_w")),
        reading="the flow pushes x1 up and x2 down everywhere (so it ends at (1, 0)), and "
        "x1 is pushed up wherever it is at or below (1 - lam)*r_w",
        source="the authors' write-up"),
    Statement(
        "azar-ipo-target", "Azar et al. 2023", "2310.12036", "Eq. 17, Sec. 4.2",
        "IPO has a finite target margin 1/(2 tau) where its gradient vanishes",
        "probability", "ipo",
        (_S("d_x1 = 0", "x1*r_l = x2*r_w*exp(1/(2*beta))"),
         _S("d_x2 = 0", "x1*r_l = x2*r_w*exp(1/(2*beta))")),
        reading="the catalogue's beta is IPO's tau; log(x1/r_w) - log(x2/r_l) = 1/(2 tau)",
        source="secondary source"),
    Statement(
        "azar-dpo-collapse", "Azar et al. 2023", "2310.12036", "Sec. 4.2",
        "DPO with deterministic preferences drives pi(y_l) -> 0 whatever beta",
        "probability", "dpo", (_S("d_x2 > 0"),), analogue=True,
        reading="x2 is pushed down at every point of the square, for every beta > 0",
        source="secondary source"),
    Statement(
        "chen-ranking", "Chen et al. 2024", "2405.19534", "Sec. 3 (paraphrase)",
        "DPO rarely flips the reference model's ranking: flipping it needs the loss driven "
        "below a threshold set by the reference ratio", "probability", "dpo",
        (_S("loss < log(1 + (r_w/r_l)**beta)", "x1 > x2"),), analogue=True,
        reading="where the policy ranks y_w first (x1 > x2) the loss is below "
        "-log sigmoid(beta log(r_l/r_w)) = log(1 + (r_w/r_l)^beta)",
        source="paraphrase"),
    Statement(
        "chen-band", "Chen, Wu et al. 2026", "2604.18239", "the disentanglement band",
        "with incentive scores d_w = -dL/du_w, d_l = dL/du_l, 'chosen up and rejected "
        "down' holds iff the ratio d_w/d_l lies in a band set by a, b, c",
        "gram", "dpo",
        (_S("v_w > 0", "c > 0, s_w/s_l > c/a, s_w/s_l < b/c"),
         _S("v_l < 0", "c > 0, s_w/s_l > c/a, s_w/s_l < b/c"),
         _S("v_w <= 0", "c > 0, s_w/s_l <= c/a"), _S("v_l >= 0", "c > 0, s_w/s_l >= b/c")),
        weaker=(_S("v_w > 0", "c > 0, s_w/s_l > c/a, s_w/s_l < b/c, s_l > 0"),
                _S("v_l < 0", "c > 0, s_w/s_l > c/a, s_w/s_l < b/c, s_l > 0"),
                _S("v_w <= 0", "c > 0, s_w/s_l <= c/a, s_l > 0"),
                _S("v_l >= 0", "c > 0, s_w/s_l >= b/c, s_l > 0")),
        analogue=True,
        reading="the band c/a < s_w/s_l < b/c (c > 0; for c <= 0 every positive ratio "
        "is in it); the weaker reading adds s_l > 0, which the ratio form leaves implicit", source="the authors' code"),
    Statement(
        "xu-mass", "Xu et al. 2024", "2404.10719", "Sec. 3",
        "DPO can put probability mass outside the data distribution (losses of x1/x2 alone "
        "do not fix x1 + x2)", "probability", "dpo",
        (_S("d_x1 + d_x2 > 0", exists=True),), analogue=True,
        reading="x1 + x2 falls somewhere: d(x1 + x2)/dt = -(d_x1 + d_x2) < 0",
        source="secondary source"),
)

#: Published statements not reducible to a claim on one response pair, and why.
NOT_REDUCIBLE: tuple[tuple[str, str], ...] = (
    ("Pal et al. 2402.13228 (Smaug/DPOP, Sec. 3)",
     "edit distance 1 with shared logits: a token-level statement about sequences"),
    ("Im and Li 2403.18742", "a statement about the whole distribution over responses"),
    ("Tajwar et al. 2404.14367", "on-policy sampling and coverage: not a property of a "
                                 "per-pair loss"),
    ("Shi et al. 2410.11677", "a statement about many responses at once"),
    ("Razin et al. 2410.08847 (multi-token theorems, CHES)",
     "token-level similarity of whole responses"),
    ("Razin et al. 2410.08847 (Thm 5)", "how a third response z moves (<W_z, W+ - W->): "
                                        "not a claim on the pair's two probabilities"),
)

"""The derivation document of one loss, and the overview of the catalogue.

Every formula is printed by ``sympy.latex`` from an expression the package derived
(Derivation / Analysis); the prose around it is written here. The result is a
``markup.Document``, rendered as LaTeX or Markdown by ``markup.render``.
"""
from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from ..field.gradient import PER_PIECE, RATIO_MINUS_ONE, SQUARES_DIFFERENCE
from ..loss.symbols import H, X1_0, X2_0
from ..results import Derivation
from .markup import (Code, Display, Document, Env, Figure, Heading, Inline, Items, Math,
                     Para, Table, number_tex, render)
from ..numerics.confirm import REQUIRED_DIGITS, DPS
from .text import SIGN_WORDS
from ..field.signs import FactorSign, SignAnalysis
from ..loss.symbols import X1, X2, x1, x2
from ..field.theorem import ClassTheorem
from ..verdicts.values import D_X1, D_X2, LOSS, RATIO

__all__ = ["derivation_document", "overview_document", "figure_name", "document_text"]

DL1 = r"\frac{\partial L}{\partial x_{1}}"
DL2 = r"\frac{\partial L}{\partial x_{2}}"
_DL = {x1: DL1, x2: DL2}
_CHECK_WORD = {True: "equal to the previous line", False: "NOT equal to the previous line",
               None: "equality with the previous line not decided"}


_QUANTITY_TEX = {LOSS: "L", D_X1: r"\partial_{x_{1}} L", D_X2: r"\partial_{x_{2}} L",
                 RATIO: "R", X1_0: "x_{1,0}", X2_0: "x_{2,0}"}


def latex(expr: sp.Basic) -> str:
    """sympy's LaTeX; the quantity symbols of claims print as L, R and partials."""
    return sp.latex(expr, symbol_names=_QUANTITY_TEX)


def figure_name(variant: str) -> str:
    """File name of the variant's field figure, next to its document."""
    return f"{variant}-field.pdf"


def _factor_tex(f: FactorSign) -> str:
    # A denominator factor is shown as its base (its position says where it is).
    exponent = -f.exponent if f.in_denominator else f.exponent
    if exponent == 1:
        return latex(f.base)
    return latex(sp.Pow(f.base, exponent, evaluate=False))


def _sign_table(analysis: SignAnalysis) -> Table:
    rows = []
    for f in analysis.factors:
        where = "denominator" if f.in_denominator else "numerator"
        rows.append(((Math(r"\displaystyle " + _factor_tex(f)),), (where,),
                     (SIGN_WORDS[f.sign] if f.sign is not None else "undecided",)))
    return Table(("factor", "position", "sign on the domain"), tuple(rows), "p{9cm}ll",
                 small=False)


def _signs_text(factors: Sequence[FactorSign]) -> list[Inline]:
    parts: list[Inline] = []
    for i, f in enumerate(factors):
        if i:
            parts.append(", ")
        op = {1: ">", -1: "<", 0: "="}[f.sign]  # a denominator base has its factor's sign
        parts.append(Math(_factor_tex(f) + " " + op + " 0"))
    return parts


def _symbols_section(d: Derivation) -> list:
    loss = d.loss
    rows = []
    for p in (X1, X2, *loss.parameters):
        rows.append(((Math(latex(p.symbol)),), (Math(latex(p.domain)),),
                     (Math(latex(p.default)),), (p.description,)))
    blocks: list = [
        Heading(1, "Setting and symbols"),
        Para(("A per-pair preference loss ", Math("L"), " is a function of ",
              Math(latex(x1)), ", the policy's probability of the preferred response, and ",
              Math(latex(x2)), ", that of the dispreferred one, with the constants below. "
              "Gradient descent moves ", Math(r"(x_{1}, x_{2})"), " along ",
              Math(r"-\nabla L"), ". Every formula in this document is printed by "
              "sympy from the expressions dpo_proofs derived; none is typed by hand.")),
        Table(("symbol", "domain", "default", "meaning"), tuple(rows), "llll"),
    ]
    if d.analysis.params:
        blocks.append(Para(("Constants fixed for this document: ",
                            *_join([Math(latex(sp.Eq(sp.Symbol(k, positive=True),
                                                     sp.Rational(v), evaluate=False)))
                                    for k, v in d.analysis.params]), ".")))
    return blocks


def _join(parts: Sequence[Inline], sep: str = ", ") -> list[Inline]:
    out: list[Inline] = []
    for i, p in enumerate(parts):
        if i:
            out.append(sep)
        out.append(p)
    return out


def _loss_section(d: Derivation) -> list:
    loss = d.loss
    blocks: list = [Heading(1, "The loss"),
                    Para((f"{loss.title}" + (f" ({loss.citation})" if loss.citation else "")
                          + ". Definition:",)),
                    Display("L = " + latex(loss.expr))]
    if loss.reading:
        blocks.append(Para(("As published: ", Code(loss.reading), ".")))
    form = d.margin_form
    if form is not None:
        blocks += [
            Para(("The definition depends on ", Math(latex(x1)), " and ", Math(latex(x2)),
                  " only through the implicit reward margin")),
            Display("h = " + latex(form.h)),
            Para(("so that ", Math("L = \\varphi(h)"), " with")),
            Display(r"\varphi(h) = " + latex(form.phi)),
        ]
    else:
        blocks.append(Para(("The definition is not a function of the DPO margin ",
                            Math("h"), " alone, so it is differentiated directly.")))
    elementary = loss.elementary
    if elementary != loss.expr:
        blocks += [Para(("With the building blocks written out in exp and log:",)),
                   Display("L = " + latex(elementary))]
    return blocks


def _partials_section(d: Derivation) -> list:
    f = d.analysis.field
    blocks: list = [Heading(1, "The partial derivatives")]
    form = d.margin_form
    if form is not None:
        blocks += [Para(("Derivative of the outer function:",)),
                   Display(r"\varphi'(h) = " + latex(form.dphi))]
    for pd, partial in zip(d.partials, (f.d_x1, f.d_x2)):
        name = latex(pd.symbol)
        blocks.append(Heading(2, f"With respect to {pd.symbol.name}"))
        if pd.dh is not None:
            blocks += [Para(("The margin's derivative:",)),
                       Display(r"\frac{\partial h}{\partial %s} = %s" % (name, latex(pd.dh)))]
        for i, step in enumerate(pd.steps, 1):
            note = "" if step.checked is None and i == 1 else \
                f" ({_CHECK_WORD[step.checked]}: {step.argument})"
            blocks.append(Para((f"Step {i}: {step.description}{note}.",)))
            blocks.append(Display(_DL[pd.symbol] + " = " + latex(step.expr)))
        blocks.append(Para(("Sign on the domain: ", SIGN_WORDS[partial.sign.sign],
                            ". Factors of the closed form:")))
        blocks.append(_sign_table(partial.sign))
    return blocks


#: LaTeX of the quantity whose sign decides R vs 1 (GradientField.ratio_excess_of).
_EXCESS_TEX = {RATIO_MINUS_ONE: "R - 1",
               SQUARES_DIFFERENCE: r"\left(%s\right)^{2} - \left(%s\right)^{2}" % (DL2, DL1)}


def _excess_tex(f) -> str:
    """The name of f.ratio_excess_expr: R - 1, the difference of squares, or (for a
    piecewise loss whose pieces factor different quantities) a generic name."""
    return _EXCESS_TEX.get(f.ratio_excess_of, r"E")


def _excess_displays(f) -> list:
    """``quantity = closed form``, one display per piece when the pieces differ in which
    quantity they factor (each display then says on which piece it holds)."""
    if f.ratio_excess_of != PER_PIECE:
        return [Display(_excess_tex(f) + " = " + latex(f.ratio_excess_expr))]
    blocks: list = [Para(("On each piece of the loss:",))]
    for cond, piece in f.pieces:
        blocks += [Para(("on ", Math(latex(cond)), ":")),
                   Display(_excess_tex(piece) + " = " + latex(piece.ratio_excess_expr))]
    return blocks


def _ratio_intro(f) -> tuple:
    if f.ratio_excess_of == PER_PIECE:
        return ("The pieces of the loss differ in whether the signs of the partials resolve "
                "the absolute values, so each piece factors its own quantity ", Math("E"),
                " (", Math("R - 1"), " or ", Math(_EXCESS_TEX[SQUARES_DIFFERENCE]),
                "), and ", Math("R > 1"), " exactly where ", Math("E > 0"),
                " (at points where ", Math(DL1 + r" \neq 0"), ").")
    if f.ratio_excess_of == SQUARES_DIFFERENCE:
        lhs = _EXCESS_TEX[SQUARES_DIFFERENCE]
        return ("Neither the partials nor their quotient has a fixed sign on the domain, so ",
                Math("R > 1"), " exactly where ", Math(lhs + " > 0"),
                " (at points where ", Math(DL1 + r" \neq 0"), "):")
    s1, s2 = f.d_x1.sign.sign, f.d_x2.sign.sign
    if s1 and s2:
        intro: tuple = ("Both partials have a fixed sign (", SIGN_WORDS[s1], " and ",
                        SIGN_WORDS[s2], "), so the absolute values are resolved and ")
    else:
        intro = ("The partials have no fixed sign, but their quotient ", Math(DL2 + " / " + DL1),
                 " has one wherever both are non-zero, so the absolute values are resolved and ")
    return (*intro, Math("R > 1"), " exactly where ", Math("R - 1 > 0"), ":")


def _ratio_section(d: Derivation) -> list:
    f = d.analysis.field
    excess = f.ratio_excess
    lhs = _excess_tex(f)
    blocks: list = [
        Heading(1, "The speed ratio R"),
        Display(r"R = \frac{\left|%s\right|}{\left|%s\right|} = %s" % (DL2, DL1, latex(f.ratio))),
        Para(_ratio_intro(f)),
        *_excess_displays(f),
        Heading(2, "Sign analysis"),
        Para(("The factors of ", Math(lhs), " and their signs, decided from the assumptions "
              "(every symbol positive, probabilities at most 1):")),
        _sign_table(excess),
    ]
    return blocks


def _region_sentence(region: sp.Basic) -> list[Inline]:
    if region is sp.true:
        return ["everywhere on the domain"]
    if region is sp.false:
        return ["nowhere on the domain"]
    return [Math(latex(region))]


def _proposition(d: Derivation) -> list:
    f = d.analysis.field
    excess = f.ratio_excess
    lhs = _excess_tex(f)
    statement = Para(("On the domain ", Math(r"(x_{1}, x_{2}) \in (0, 1]^{2}"),
                      " (every constant in its domain): ", Math("R > 1"), " if and only if ",
                      *_region_sentence(d.analysis.region("ratio_gt_1")), "; ", Math("R = 1"),
                      " if and only if ", *_region_sentence(d.analysis.region("ratio_eq_1")),
                      "; ", Math("R < 1"), " if and only if ",
                      *_region_sentence(d.analysis.region("ratio_lt_1")),
                      "."))
    decided = [g for g in excess.factors if g.sign is not None]
    undecided = list(excess.undecided)
    proof: list = [Para(("By the previous section ",)), *_excess_displays(f)]
    if decided:
        proof.append(Para(("The factors ", *_signs_text(decided),
                           " have a fixed sign on the whole domain; their product is ",
                           SIGN_WORDS[excess.decided_sign], ".")))
    if undecided:
        names = _join([Math(_factor_tex(g)) for g in undecided])
        proof.append(Para(("The sign of ", Math(lhs), " is therefore that sign times the "
                           "signs of the remaining factors ", *names,
                           "; a factor in the denominator is never zero on the domain of ",
                           Math("R"), ". Enumerating the sign patterns of these factors "
                           "whose product is positive, zero, or negative gives exactly the "
                           "three conditions stated.")))
    else:
        proof.append(Para(("No factor changes sign, so ", Math(lhs),
                           " has the same sign everywhere, as stated.")))
    verdict = next((v for v in d.analysis.verdicts if v.claim == "dispreferred_faster"), None)
    if verdict is not None:
        proof.append(Para(("Independently, the engine's verdict on the claim of Feng et al. ",
                           "(R > 1 wherever x1 > x2) is ", Code(str(verdict.status)), " by ",
                           Code(verdict.method), ": ", Code(verdict.evidence), ".")))
    return [Heading(1, "Where the dispreferred probability falls faster"),
            Env("proposition", "region R > 1", (statement,)),
            Env("proof", "", tuple(proof))]


def _verdicts_section(d: Derivation) -> list:
    claims = {c.name: c for c in d.analysis.claims}
    rows = []
    for v in d.analysis.verdicts:
        c = claims.get(v.claim)
        statement = (Math(latex(c.statement)),) if c is not None else ("",)
        where = (Math(latex(c.domain)),) if c is not None and c.domain is not sp.true else \
            ("everywhere",)
        rows.append(((Code(v.claim),), statement, where, (str(v.status),), (v.method,)))
    evidence = Items(tuple((Code(v.claim), ": ", Code(v.evidence)) for v in d.analysis.verdicts))
    return [Heading(1, "Verdicts on the built-in claims"),
            Table(("claim", "statement", "where", "verdict", "method"), tuple(rows), "lllll"),
            Para(("Evidence, as produced by the engine:",)), evidence]


#: Longest formula printed in one display: beyond it TeX cannot even measure the box.
DISPLAY_LIMIT = 3000


def _displays(lhs: str, expr: sp.Expr) -> list:
    """``lhs = expr``; a formula too long for one line is split by common subexpressions."""
    text = latex(expr)
    if len(text) <= DISPLAY_LIMIT:
        return [Display(lhs + " = " + text)]
    names = sp.numbered_symbols("omega_")
    replacements, (reduced,) = sp.cse(expr, symbols=names)
    blocks = [Display(lhs + " = " + latex(reduced)),
              Para(("where (common subexpressions, innermost first):",))]
    blocks += [Display(latex(name) + " = " + latex(value)) for name, value in replacements]
    if any(len(b.tex) > DISPLAY_LIMIT for b in blocks if isinstance(b, Display)):
        return [Para((f"The closed form of ", Math(lhs), f" has {len(text)} characters in "
                      "LaTeX, too long to typeset; the JSON output carries it.",))]
    return blocks


def _field_section(d: Derivation) -> list:
    f = d.analysis.field
    blocks: list = [
        Heading(1, "Field quantities"),
        Para(("Radial component (zero exactly for a margin loss, one invariant under ",
              Math(r"(x_{1}, x_{2}) \mapsto (t x_{1}, t x_{2})"), "):")),
        Display(r"x_{1} %s + x_{2} %s = %s" % (DL1, DL2, latex(f.radial))),
        Para(("Margin loss: ", "yes" if f.is_margin_loss else "no", ".")),
        Para(("Norm, divergence and curl of the gradient field:",)),
        *_displays(r"\left\lVert \nabla L \right\rVert", f.gradient_norm),
        *_displays(r"\nabla \cdot \nabla L", f.divergence),
        *_displays(r"\frac{\partial}{\partial x_{1}} %s - \frac{\partial}{\partial x_{2}} %s"
                   % (DL2, DL1), f.curl),
        Heading(2, "Conserved quantity of gradient flow"),
    ]
    c = f.conserved
    if c is None:
        blocks.append(Para(("None found: ", Code(f.conserved_reason), ".")))
    else:
        grad = c.gradient
        blocks += [
            Para(("Orbits of ", Math(r"\dot x = -\nabla L"), " satisfy ",
                  Math(r"dx_{2}/dx_{1} = %s \big/ %s" % (DL2, DL1)),
                  "; the equation separates and integrates to")),
            Display("I(x_{1}, x_{2}) = " + latex(c.expr)),
            Para(("Check: ",)),
            Display(r"\nabla I = \left(%s,\; %s\right), \qquad \nabla I \cdot \nabla L = %s"
                    % (latex(grad[0]), latex(grad[1]), latex(c.check))),
            Para(("so ", Math("I"), " is constant along every trajectory. Derivation: ",
                  Code(c.derivation), ".")),
        ]
    rows = []
    for lim in f.limits:
        value = (Math(latex(lim.value)),) if lim.value is not None else \
            ("undecided: ", Code(lim.reason))
        rows.append(((lim.case,), value))
    blocks += [Heading(2, "Limits as x2 -> 0+"),
               Para(("The limit of ", Math(DL2), " as ", Math(r"x_{2} \to 0^{+}"),
                     " (by sympy.limit, in each case of ", Math(r"\beta"),
                     " when it matters):")),
               Table(("case", r"limit of dL/dx2"), tuple(rows), "ll")]
    return blocks


def _where(region: sp.Basic) -> list[Inline]:
    """Words for a region already restricted to its frame (pipeline.regions_of)."""
    if region is sp.true:
        return ["everywhere on the frame"]
    if region is sp.false:
        return ["nowhere on the frame"]
    return ["exactly where ", Math(latex(region))]


def _frames_section(d: Derivation) -> list:
    """The loss in each built-in parametrization: metric, velocity, speed ratio, region,
    the flow's conserved quantity and limit point, and the claims re-checked."""
    if not d.frames:
        return []
    blocks: list = [
        Heading(1, "Parametrizations: the velocity training induces"),
        Para(("A model moves parameters ", Math(r"\theta"), ", not probabilities. For a map ",
              Math(r"x = x(\theta)"), " with Jacobian ", Math("J"), ", gradient flow ",
              Math(r"\dot\theta = -\nabla_{\theta} L"), " induces ",
              Math(r"\dot x = -M \nabla_{x} L"), " with ", Math(r"M = J J^{\top}"),
              ", derived from the map and written in ", Math("x_{1}, x_{2}"),
              ". The speed ratio in that frame is ",
              Math(r"R_{M} = |\dot x_{2}| / |\dot x_{1}|"),
              "; in the probability frame ", Math("M = I"), " and ", Math("R_{M} = R"), ".")),
    ]
    for p, f, why, regions in d.frames:
        blocks += [Heading(2, f"Frame {p.name}"), Para((p.description + ".",)),
                   Display("M = " + latex(p.metric))]
        if p.domain is not sp.true:
            blocks.append(Para(("The map reaches ", Math(latex(p.domain)),
                                "; everything below is restricted to it.")))
        if f is None:
            blocks.append(Para(("The derivation did not complete: ", Code(why), ".")))
            continue
        blocks += [*_displays(r"\dot x_{1}", -f.d_x1.closed_form),
                   *_displays(r"\dot x_{2}", -f.d_x2.closed_form),
                   *_displays("R_{M}", f.ratio),
                   Para((Math("R_{M} > 1"), " (the dispreferred probability moves faster) ",
                         *_where(dict(regions)["ratio_gt_1"]), "; ", Math("R_{M} = 1"), " ",
                         *_where(dict(regions)["ratio_eq_1"]), "."))]
    if d.flows:
        blocks += [
            Heading(2, "Gradient-flow dynamics in each frame"),
            Para(("The conserved quantity ", Math("I"), " of ", Math(r"\dot x = -M \nabla L"),
                  " and, where the flow is proved monotone, the limit point as a function of "
                  "the start ", Math(r"(x_{1,0}, x_{2,0})"), " (the level set of ", Math("I"),
                  " through the start, followed to the boundary). The command ",
                  Code(f"python -m dpo_proofs dynamics {d.loss.name} --parametrization NAME"),
                  " checks these against mpmath's ODE solver.")),
        ]
        for flow in d.flows:
            items: list = [Code(flow.frame), ": "]
            if flow.conserved is None:
                items += ["no conserved quantity (", flow.conserved_reason, ")."]
                blocks.append(Para(tuple(items)))
                continue
            items += ["conserved ", Math("I = " + latex(flow.conserved)), "."]
            blocks.append(Para(tuple(items)))
            if flow.limit.final_x1 is not None:
                blocks += [Display(r"x_{1}(\infty) = " + latex(flow.limit.final_x1)),
                           Display(r"x_{2}(\infty) = " + latex(flow.limit.final_x2))]
            blocks.append(Para(("Limit (", flow.limit.case, "): ", flow.limit.argument, ".")))
    blocks += [Heading(2, "Built-in claims in each frame"),
               Para(("The verdict engine re-checks every built-in claim in every frame, with ",
                     Math(r"\partial_{x_{i}} L"), " replaced by ", Math(r"(M \nabla L)_{i}"),
                     " and the ratio by ", Math("R_{M}"), ", on the frame's domain: ",
                     Code(f"python -m dpo_proofs frames {d.loss.name}"),
                     " prints the table (--json adds the evidence and counterexamples).",))]
    return blocks


def _forms_section(d: Derivation) -> list:
    forms = d.analysis.equivalent_forms
    if not forms:
        return []
    blocks: list = [Heading(1, "Equivalent published forms")]
    word = {True: "the same function as the definition", False: "a DIFFERENT function",
            None: "not decided to be the same function"}
    for e in forms:
        blocks += [Para((e.source + ":",)), Display("L = " + latex(e.expr)),
                   Para(("This is ", word[e.same], " (", Code(e.argument), ").",))]
    return blocks


def _point_id(points: list[tuple[tuple[str, str], ...]], point) -> str:
    if point not in points:
        points.append(point)
    return f"P{points.index(point) + 1}"


def _numbers_section(d: Derivation) -> list:
    a = d.analysis
    points: list = []
    conf_rows = []
    for c in a.confirmations:
        pid = _point_id(points, c.point)
        conf_rows.append(((pid,), (Math(latex(sp.Symbol(c.quantity))),
                                   ) if False else (_QUANTITY.get(c.quantity, c.quantity),),
                          (Math(number_tex(c.symbolic)),), (Math(number_tex(c.numerical)),),
                          (f"{c.digits:.1f}",)))
    f64_rows = []
    for g in a.float64:
        pid = _point_id(points, g.point)
        f64_rows.append(((pid,), (_QUANTITY.get(g.quantity, g.quantity),), (Math(number_tex(g.float64)),),
                         (Math(number_tex(g.mpmath)),), (g.problem,)))
    point_rows = tuple(((f"P{i}",), tuple(_join(
        [Math(latex(sp.Symbol(n)) + " = " + number_tex(v)) for n, v in _ordered(p)], "; ")))
        for i, p in enumerate(points, 1))
    blocks: list = [
        Heading(1, "High-precision confirmation"),
        Para(("Each closed-form partial is evaluated with mpmath at ", str(DPS),
              " digits and compared with a numerical derivative of the loss itself "
              "(mpmath.diff in logarithmic coordinates, never of the symbolic partial). "
              "Required agreement: ", str(REQUIRED_DIGITS), " digits; ",
              "all passed." if a.confirmed else "NOT all passed.",
              " Points (exact rationals, shown rounded):")),
        Table(("point", "coordinates"), point_rows, "lp{14cm}"),
        Table(("point", "quantity", "symbolic value", "numerical value", "agreeing digits"),
              tuple(conf_rows), "lllll"),
        Heading(2, "float64 findings"),
    ]
    if f64_rows:
        blocks += [Para(("Points where evaluating the closed forms in float64 (numpy) "
                         "disagrees with mpmath:",)),
                   Table(("point", "quantity", "float64", "mpmath", "problem"),
                         tuple(f64_rows), "llllp{4cm}")]
    else:
        blocks.append(Para(("float64 agrees with mpmath at every point.",)))
    return blocks


_QUANTITY = {"d_x1": "dL/dx1", "d_x2": "dL/dx2", "ratio - 1": "R - 1"}


def _ordered(point) -> list[tuple[str, str]]:
    """x1, x2 first, then the constants by name."""
    values = dict(point)
    order = ["x1", "x2"] + sorted(k for k in values if k not in ("x1", "x2"))
    return [(k, values[k]) for k in order if k in values]


def derivation_document(d: Derivation, header: Sequence[str], figure: bool = True) -> Document:
    """The full derivation of one loss as a Document."""
    a = d.analysis
    loss = d.loss
    title = f"{loss.name}: {loss.title}" if loss.title else loss.name
    blocks: list = [*_symbols_section(d), *_loss_section(d)]
    if a.field is None:
        blocks.append(Para(("The derivation did not complete: ", Code(a.incomplete), ".")))
        return Document(f"Derivation for {title}", tuple(header), tuple(blocks))
    blocks += [*_partials_section(d), *_ratio_section(d), *_proposition(d),
               *_verdicts_section(d), *_field_section(d), *_forms_section(d)]
    if figure:
        blocks += [Heading(1, "The gradient field"),
                   Figure(figure_name(loss.name),
                          "Negative gradient field of L over (0, 1] x (0, 1], coloured by log R, "
                          "with the diagonal (dashed) and the boundary of the region R > 1 "
                          "(solid), at the default constants.",
                          f"Figure not generated (needs matplotlib): python -m dpo_proofs "
                          f"plot {loss.name} -o {figure_name(loss.name)}")]
    blocks += _numbers_section(d)
    blocks += _frames_section(d)  # last: the paper's frame first, then the others
    return Document(f"Derivation for {title}", tuple(header), tuple(blocks))


def _theorem_section(derivations: Sequence[Derivation], t: ClassTheorem) -> list:
    members = [d.loss.name for d in derivations
               if d.analysis.field is not None and d.analysis.field.is_margin_loss]
    return [
        Heading(1, "Class theorem: margin losses"),
        Env("proposition", "margin losses", (Para((t.statement,)),)),
        Env("proof", "", (
            Para(("With ", Math("l"), " an undefined function and ",
                  Math(r"h = \beta \log(x_{1}/r_{w}) - \beta \log(x_{2}/r_{l})"), ":")),
            Display(r"\frac{\partial L}{\partial x_{1}} = l'(h) \, " + latex(t.d_x1_factor)
                    + r", \qquad \frac{\partial L}{\partial x_{2}} = l'(h) \, "
                    + latex(t.d_x2_factor)),
            Para(("so where ", Math(r"l'(h) \neq 0"), ", ",
                  Math(r"|\partial L/\partial x_{2}| - \frac{x_{1}}{x_{2}}"
                       r"|\partial L/\partial x_{1}| = |l'(h)| \cdot " + latex(t.ratio_identity)),
                  ", and ", Math(r"x_{1} \partial L/\partial x_{1} + x_{2} \partial L/"
                                 r"\partial x_{2} = " + latex(t.radial)),
                  ", hence ", Math(r"\tfrac{d}{dt}(x_{1}^{2} + x_{2}^{2}) = " +
                                   latex(t.flow_derivative)), " along gradient flow. ",
                  "Checked by sympy: ", "all steps reduce to 0." if t.proved else
                  "NOT all steps reduced to 0.")),)),
        Para(("A variant is a margin loss when its radial component reduces to 0 identically "
              "(computed, not declared). Margin losses in the catalogue: ",
              ", ".join(members) if members else "none", ".")),
    ]


def overview_document(derivations: Sequence[Derivation], header: Sequence[str],
                      theorem: ClassTheorem) -> Document:
    """All variants side by side: ratio, region R > 1, margin loss, signs, verdicts;
    ``theorem`` is the class theorem as the pipeline proved it."""
    rows = []
    claims = derivations[0].analysis.claims if derivations else ()
    verdict_rows = []
    for d in derivations:
        f = d.analysis.field
        name = (Code(d.loss.name),)
        if f is None:
            rows.append((name, ("incomplete",), ("",), ("",), ("",), ("",)))
        else:
            rows.append((name, (Math(latex(f.ratio)),),
                         tuple(_region_sentence(d.analysis.region("ratio_gt_1"))),
                         ("yes" if f.is_margin_loss else "no",),
                         (SIGN_WORDS[f.d_x1.sign.sign],), (SIGN_WORDS[f.d_x2.sign.sign],)))
        statuses = {v.claim: str(v.status) for v in d.analysis.verdicts}
        verdict_rows.append((name, *[(statuses.get(c.name, "-"),) for c in claims]))
    legend = Items(tuple((f"{i}. ", Code(c.name), ": ", c.description, " (", Math(latex(c.statement)),
                          *((" where ", Math(latex(c.domain))) if c.domain is not sp.true
                            else ()), ")") for i, c in enumerate(claims, 1)))
    blocks = [
        Heading(1, "Variants"),
        Para(("For each catalogued variant: the speed ratio ",
              Math(r"R = |\partial L/\partial x_{2}| / |\partial L/\partial x_{1}|"),
              ", the exact region where ", Math("R > 1"),
              ", whether the loss is a margin loss (radial component identically zero), "
              "and the signs of the partials on the domain. Each variant has its own "
              "document with the full derivation.")),
        Table(("variant", "R", "R > 1 exactly where", "margin loss", "dL/dx1", "dL/dx2"),
              tuple(rows), "llp{4cm}lp{2cm}p{2cm}"),
        Heading(1, "Verdicts"),
        legend,
        Table(("variant", *[str(i) for i in range(1, len(claims) + 1)]), tuple(verdict_rows),
              "l" * (len(claims) + 1)),
        Para(("Columns are the claims above, in order.",)),
        *_theorem_section(derivations, theorem),
        *_overview_frames(derivations),
    ]
    return Document("dpo_proofs: overview of the catalogue", tuple(header), tuple(blocks))


def _overview_frames(derivations: Sequence[Derivation]) -> list:
    """Per variant and frame: the final x1 of gradient flow from (x1_0, x2_0)."""
    with_frames = [d for d in derivations if d.flows]
    if not with_frames:
        return []
    frames = [f.frame for f in with_frames[0].flows]
    finals = [((Code(d.loss.name),),
               *[(Math(latex(f.limit.final_x1)),) if f.limit.final_x1 is not None else ("-",)
                 for f in d.flows]) for d in with_frames]
    return [
        Heading(1, "Parametrizations"),
        Para(("Gradient flow moves parameters, and the velocity it induces on ",
              Math("(x_{1}, x_{2})"), " is ", Math(r"\dot x = -J J^{\top} \nabla L"),
              ": for log-probabilities (", Code("log"), "), softmax logits over three "
              "responses (", Code("softmax"), ") or over exactly two (", Code("softmax:2"),
              ", the zero-rest limit on the edge ", Math("x_{1} + x_{2} = 1"),
              "). Each variant's document derives the velocity, the speed ratio and its "
              "region per frame; ", Code("python -m dpo_proofs frames --all"),
              " re-checks every built-in claim in every frame.")),
        Heading(2, "Final x1 of gradient flow from a start (x1_0, x2_0)"),
        Para(("Derived where the flow is proved monotone and has a conserved quantity; "
              "a dash where it is not derived (the variant's document says why).",)),
        Table(("variant", *frames), tuple(finals), "l" + "p{3cm}" * len(frames)),
    ]


def document_text(doc: Document, fmt: str) -> str:
    return render(doc, fmt)

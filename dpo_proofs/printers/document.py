"""The derivation document of one loss.

Every formula is printed by ``sympy.latex`` from an expression the package derived
(Derivation / Analysis); the prose around it is written here. The result is a
``markup.Document``, rendered as LaTeX or Markdown by ``markup.render``. The sections
on the field as a whole and on the other frames are in ``field_sections``; the overview
of the catalogue is in ``overview``.
"""
from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from ..field.gradient import PER_PIECE, RATIO_MINUS_ONE, SQUARES_DIFFERENCE
from ..field.signs import FactorSign, SignAnalysis
from ..loss.symbols import X1, X2, x1, x2
from ..numerics.confirm import DPS, REQUIRED_DIGITS
from ..results import Derivation
from .field_sections import field_section, frames_section
from .gram import gram_section
from .second_order import second_order_section
from .formulas import DL1, DL2, join, latex, region_sentence, said
from .markup import (Code, Display, Document, Env, Figure, Heading, Inline, Items, Math,
                     Para, Table, number_tex, render)
from .text import SIGN_WORDS

__all__ = ["derivation_document", "figure_name", "document_text"]

_DL = {x1: DL1, x2: DL2}
_CHECK_WORD = {True: "equal to the previous line", False: "NOT equal to the previous line",
               None: "equality with the previous line not decided"}


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
                            *join([Math(latex(sp.Eq(sp.Symbol(k, positive=True),
                                                     sp.Rational(v), evaluate=False)))
                                    for k, v in d.analysis.params]), ".")))
    return blocks



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
            note = () if step.checked is None and i == 1 else \
                (f" ({_CHECK_WORD[step.checked]}: ", *said(step.argument), ")")
            blocks.append(Para((f"Step {i}: {step.description}", *note, ".")))
            blocks.append(Display(_DL[pd.symbol] + " = " + latex(step.expr)))
        if partial.sign.factors:
            blocks.append(Para(("Sign on the domain: ", SIGN_WORDS[partial.sign.sign],
                                ". Factors of the closed form:")))
            blocks.append(_sign_table(partial.sign))
        else:  # a piecewise closed form is not a product of factors
            blocks.append(Para(("Sign on the domain: ", SIGN_WORDS[partial.sign.sign],
                                " (the closed form is piecewise: no factor table).")))
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



def _proposition(d: Derivation) -> list:
    f = d.analysis.field
    excess = f.ratio_excess
    lhs = _excess_tex(f)
    statement = Para(("On the domain ", Math(r"(x_{1}, x_{2}) \in (0, 1]^{2}"),
                      " (every constant in its domain): ", Math("R > 1"), " if and only if ",
                      *region_sentence(d.analysis.region("ratio_gt_1")), "; ", Math("R = 1"),
                      " if and only if ", *region_sentence(d.analysis.region("ratio_eq_1")),
                      "; ", Math("R < 1"), " if and only if ",
                      *region_sentence(d.analysis.region("ratio_lt_1")),
                      "."))
    decided = [g for g in excess.factors if g.sign is not None]
    undecided = list(excess.undecided)
    proof: list = [Para(("By the previous section ",)), *_excess_displays(f)]
    if decided:
        proof.append(Para(("The factors ", *_signs_text(decided),
                           " have a fixed sign on the whole domain; their product is ",
                           SIGN_WORDS[excess.decided_sign], ".")))
    if undecided:
        names = join([Math(_factor_tex(g)) for g in undecided])
        proof.append(Para(("The sign of ", Math(lhs), " is therefore that sign times the "
                           "signs of the remaining factors ", *names,
                           "; a factor in the denominator is never zero on the domain of ",
                           Math("R"), ". Enumerating the sign patterns of these factors "
                           "whose product is positive, zero, or negative gives exactly the "
                           "three conditions stated.")))
    else:
        proof.append(Para(("No factor changes sign, so ", Math(lhs),
                           " has the same sign everywhere, as stated.")))
    if any(d.analysis.region(n) not in (sp.true, sp.false, None)
           for n in ("ratio_gt_1", "ratio_eq_1", "ratio_lt_1")):
        proof.append(Para(("Each relation in these conditions is shown in its simplest "
                           "equivalent form where one is found: written in ",
                           Math(r"\rho = x_{1}/x_{2}"), " when its sign does not depend on ",
                           Math("x_{2}"), ", factors of fixed sign dropped, and solved for ",
                           Math(r"\rho"), " (a cone ", Math(r"x_{1} > c\,x_{2}"), ") when it "
                           "is linear in ", Math(r"\rho"), ", a power of ", Math(r"\rho"),
                           " or ", Math(r"\log \rho"), "; otherwise solved for ",
                           Math("x_{1}"), " in the same way (a threshold in ", Math("x_{2}"),
                           ") where that is no longer; a quadratic in a power of ",
                           Math(r"\rho"), " with negative discriminant has one sign; a "
                           "relation on one probability that ", Math("(0, 1]"),
                           " decides is replaced by its truth value.")))
    verdict = next((v for v in d.analysis.verdicts if v.claim == "dispreferred_faster"), None)
    if verdict is not None:
        proof.append(Para(("Independently, the engine's verdict on the claim of Feng et al. ",
                           "(R > 1 wherever x1 > x2) is ", Code(str(verdict.status)), " by ",
                           Code(verdict.method), ": ", *said(verdict.evidence), ".")))
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
    evidence = Items(tuple((Code(v.claim), ": ", *said(v.evidence))
                           for v in d.analysis.verdicts))
    return [Heading(1, "Verdicts on the built-in claims"),
            Table(("claim", "statement", "where", "verdict", "method"), tuple(rows), "lllll"),
            Para(("Evidence, as produced by the engine:",)), evidence]

def _forms_section(d: Derivation) -> list:
    forms = d.analysis.equivalent_forms
    if not forms:
        return []
    blocks: list = [Heading(1, "Equivalent published forms")]
    word = {True: "the same function as the definition", False: "a DIFFERENT function",
            None: "not decided to be the same function"}
    for e in forms:
        blocks += [Para((e.source + ":",)), Display("L = " + latex(e.expr)),
                   Para(("This is ", word[e.same], " (", *said(e.argument), ").",))]
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
        conf_rows.append(((pid,), (_QUANTITY.get(c.quantity, c.quantity),),
                          (Math(number_tex(c.symbolic)),), (Math(number_tex(c.numerical)),),
                          (f"{c.digits:.1f}",)))
    f64_rows = []
    for g in a.float64:
        pid = _point_id(points, g.point)
        f64_rows.append(((pid,), (_QUANTITY.get(g.quantity, g.quantity),), (Math(number_tex(g.float64)),),
                         (Math(number_tex(g.mpmath)),), (g.problem,)))
    point_rows = tuple(((f"P{i}",), tuple(join(
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


def derivation_document(d: Derivation, header: Sequence[str], figure: bool = True,
                        made_with: str = "") -> Document:
    """The full derivation of one loss as a Document; ``made_with`` is the line under
    the title (versions and command)."""
    a = d.analysis
    loss = d.loss
    title = f"{loss.name}: {loss.title}" if loss.title else loss.name
    blocks: list = [*_symbols_section(d), *_loss_section(d)]
    if a.field is None:
        blocks.append(Para(("The derivation did not complete: ", Code(a.incomplete), ".")))
        return Document(f"Derivation for {title}", tuple(header), tuple(blocks), made_with)
    blocks += [*_partials_section(d), *_ratio_section(d), *_proposition(d),
               *_verdicts_section(d), *field_section(d), *_forms_section(d)]
    if figure:
        blocks += [Heading(1, "The gradient field"),
                   Figure(figure_name(loss.name),
                          "Negative gradient field of L over (0, 1] x (0, 1], coloured by log R, "
                          "with the diagonal (dashed) and the boundary of the region R > 1 "
                          "(solid), at the default constants.",
                          f"Figure not generated (needs matplotlib): python -m dpo_proofs "
                          f"plot {loss.name} -o {figure_name(loss.name)}")]
    blocks += _numbers_section(d)
    blocks += frames_section(d)  # the paper's frame first, then the others
    # last: the Hessian in the probability frame and, with the frames, the log frame
    blocks += second_order_section(d.second_order or (d.analysis.second_order,))
    blocks += gram_section(d.analysis)
    return Document(f"Derivation for {title}", tuple(header), tuple(blocks), made_with)


def document_text(doc: Document, fmt: str) -> str:
    """The document as LaTeX ('tex') or Markdown ('md')."""
    return render(doc, fmt)

"""The mathematics the package prints, against independent derivations written here.

Each expectation is derived by hand in this file or computed with mpmath from a loss
written out here (not from the package's own derivation): limits of dL/dx2 as x2 -> 0+
(piecewise losses, constants at the ends of their domains), the quantity whose sign
decides R vs 1 as the documents print it, conserved quantities at beta = 2, and rpo's
definition.
"""
from __future__ import annotations

import functools

import mpmath
import pytest
import sympy as sp

from dpo_proofs import get_variant
from dpo_proofs.field.gradient import (PER_PIECE, RATIO_MINUS_ONE, SQUARES_DIFFERENCE,
                              gradient_field)
from dpo_proofs.loss.symbols import beta, r_l, r_w, x1, x2

DPS = 40


@functools.lru_cache(maxsize=None)
def field(name):
    return gradient_field(get_variant(name))


def sym(loss, name):
    return next(p.symbol for p in loss.parameters if p.name == name)


def logsig(z):
    return -mpmath.log1p(mpmath.exp(-z))


def sig(z):
    return 1 / (1 + mpmath.exp(-z))


def mp_loss(loss):
    """The catalogue's definition evaluated by mpmath with our own building blocks."""
    syms = [x1, x2, *[p.symbol for p in loss.parameters]]
    blocks = {"sigmoid": sig, "log_sigmoid": logsig,
              "softplus": lambda z: mpmath.log1p(mpmath.exp(z))}
    f = sp.lambdify(syms, loss.expr, modules=[blocks, "mpmath"])
    return lambda values: f(*[values[s.name] for s in syms])


def numeric_partials(fn, values):
    """(dL/dx1, dL/dx2) of ``fn`` by mpmath.diff (central differences) at ``values``."""
    out = []
    for name in ("x1", "x2"):
        def g(t, name=name):
            return fn({**values, name: t})
        out.append(mpmath.diff(g, values[name]))
    return out


def defaults(loss, **override):
    values = {p.name: mpmath.mpf(sp.Rational(p.default).p) / sp.Rational(p.default).q
              for p in loss.parameters}
    values.update({k: mpmath.mpf(v) for k, v in override.items()})
    return values


def at(expr, values):
    subs = {s: sp.Rational(str(values[s.name])) if not isinstance(values[s.name], int)
            else values[s.name] for s in expr.free_symbols}
    return sp.N(expr.subs(subs), DPS)


# ---------------------------------------------------------------- limits as x2 -> 0+

def limits(name):
    return {lim.case: lim for lim in field(name).limits}


def test_dpop_limit_at_beta_1_has_both_pieces():
    # By hand, beta = 1, h = log(x1/r_w) - log(x2/r_l) - lam*max(0, log(r_w/x1)):
    # dL/dx2 = sigma(-h)/x2 and sigma(-h)/x2 -> exp(-h)/x2 = (r_w/(r_l x1)) * exp(lam*pen).
    # x1 >= r_w: pen = 0, limit r_w/(r_l x1); x1 < r_w: pen = log(r_w/x1), limit
    # r_w**(lam+1) / (r_l x1**(lam+1)).
    lam = sym(get_variant("dpop"), "lam")
    value = limits("dpop")["beta = 1"].value
    assert value is not None
    for x1v, expected in ((sp.Rational(7, 10), r_w / (r_l * x1)),
                          (sp.Rational(2, 10), r_w**(lam + 1) / (r_l * x1**(lam + 1)))):
        point = {r_w: sp.Rational(1, 2), r_l: sp.Rational(1, 3), lam: 2, x1: x1v}
        assert sp.simplify(value.subs(point) - expected.subs(point)) == 0, x1v


def test_dpop_limit_matches_numerics_of_the_loss():
    # mpmath at x2 = 1e-30 on the loss written here, on both sides of x1 = r_w.
    value = limits("dpop")["beta = 1"].value
    lam = sym(get_variant("dpop"), "lam")
    with mpmath.workdps(DPS):
        rw, rl, lm = mpmath.mpf(1) / 2, mpmath.mpf(1) / 3, mpmath.mpf(2)

        def loss(a, b):
            pen = max(mpmath.mpf(0), mpmath.log(rw / a))
            return -logsig(mpmath.log(a / rw) - mpmath.log(b / rl) - lm * pen)

        for a in (mpmath.mpf("0.7"), mpmath.mpf("0.2")):
            b = mpmath.mpf(10) ** -30
            numeric = mpmath.diff(lambda t: loss(a, t), b, h=b / 10**6)
            symbolic = at(value, {"r_w": "1/2", "r_l": "1/3", "lam": 2, "x1": str(a)})
            assert abs(numeric - symbolic) < 1e-12 * abs(symbolic), (a, numeric, symbolic)
    assert lam in value.free_symbols


@pytest.mark.parametrize("name", ["cdpo", "robust"])
def test_label_smoothing_limits_split_at_eps_0(name):
    # By hand: dL/dx2 = l'(h) * (-beta/x2) and h -> +oo as x2 -> 0+.
    # cdpo: l'(h) = -(1-eps) sigma(-h) + eps sigma(h) -> eps: -oo for eps > 0.
    # robust: l'(h) = (-(1-eps) sigma(-h) - eps sigma(h))/(1-2 eps) -> -eps/(1-2 eps): +oo.
    # eps = 0 is DPO: oo, r_w/(r_l x1), 0 for beta <, =, > 1.
    found = limits(name)
    for lim in found.values():
        assert lim.value is not None, lim
        assert not lim.value.has(sp.nan, sp.zoo, sp.sign), lim
    dpo = {"beta < 1": sp.oo, "beta = 1": r_w / (r_l * x1), "beta > 1": sp.S.Zero}
    inside = -sp.oo if name == "cdpo" else sp.oo
    for case, value in dpo.items():
        at_zero = found[f"eps = 0, {case}"]
        assert sp.simplify(at_zero.value - value) == 0 if value.is_finite \
            else at_zero.value == value, (case, at_zero)
    # For eps > 0 the limit does not depend on beta: one row.
    assert found["0 < eps < 1/2"].value == inside
    assert len(found) == 4, found


def test_cdpo_limit_against_numerics():
    # eps = 1/10, beta = 1/2 on the loss written here: dL/dx2 at x2 = 1e-40 ~ -eps beta/x2.
    with mpmath.workdps(DPS):
        eps, b, rw, rl, a = (mpmath.mpf(1) / 10, mpmath.mpf(1) / 2, mpmath.mpf(1) / 2,
                             mpmath.mpf(1) / 2, mpmath.mpf("0.6"))

        def loss(t):
            h = b * mpmath.log(a / rw) - b * mpmath.log(t / rl)
            return -(1 - eps) * logsig(h) - eps * logsig(-h)

        t = mpmath.mpf(10) ** -40
        d = mpmath.diff(loss, t, h=t / 10**6)
        assert d < -10**38
    assert limits("cdpo")["0 < eps < 1/2"].value == -sp.oo


def test_no_limit_value_is_nan_somewhere_in_the_domain():
    # A reported limit may not contain sign(...) or nan: it must hold for every constant.
    for name in ("cdpo", "robust", "hinge", "slic_hf", "simper", "dpo_shift", "bdpo"):
        for lim in field(name).limits:
            if lim.value is not None:
                assert not lim.value.has(sp.nan, sp.zoo, sp.sign), (name, lim)
            else:
                assert lim.reason, (name, lim)


@pytest.mark.parametrize("name, p, threshold", [
    # By hand: SimPO and SimPO-style length normalisation, h = (beta/n_w) log x1 -
    # (beta/n_l) log x2 - ..., so dL/dx2 = sigma(-h) * beta/(n_l x2) ~ C x2**(beta/n_l - 1);
    # DPO-shift: h = beta log(x1/r_w) - lam beta log(x2/r_l), dL/dx2 ~ C x2**(lam beta - 1);
    # DiscoPOP near x2 = 0 is DPO's logistic term: C x2**(beta - 1);
    # Flex-DPO: beta_l log(x2/r_l) in h, dL/dx2 ~ C x2**(beta_l - 1).
    ("simpo", "beta", "n_l"), ("sigmoid_norm", "beta", "n_l"),
    ("dpo_shift", "beta", "1/lam"), ("discopop", "beta", "1"), ("flex_dpo", "beta_l", "1")])
def test_limits_split_at_the_threshold_of_the_exponent(name, p, threshold):
    found = limits(name)
    assert set(found) == {f"{p} < {threshold}", f"{p} = {threshold}", f"{p} > {threshold}"}
    assert found[f"{p} < {threshold}"].value == sp.oo
    assert found[f"{p} > {threshold}"].value == 0
    at = found[f"{p} = {threshold}"].value
    assert at is not None and at.is_finite is not False and not at.has(sp.oo), at


def test_bpo_sba_limit_splits_twice():
    # By hand: dL/dx2 = C x2**(-beta*lam - 1) * (A + B x2**(beta*(2*lam + 1))). For
    # lam > -1/2 the A term leads, x2**(-beta*lam - 1): +oo for beta < -1/lam, 0 above;
    # at beta = -1/lam the value is beta*r_w/(4*r_l*x1) = -r_w/(4*lam*r_l*x1). For
    # lam < -1/2 the B term leads, x2**(beta*(lam + 1) - 1): the threshold is 1/(lam + 1),
    # where the value is beta*r_w/(4*r_l*x1) again. At lam = -1/2 both lead: beta vs 2.
    lam = next(p.symbol for p in get_variant("bpo_sba").parameters if p.name == "lam_s")
    found = limits("bpo_sba")
    for side, t in (("lam_s > -1/2", -1 / lam), ("lam_s < -1/2", 1 / (lam + 1))):
        shown = sp.sstr(t)
        assert found[f"{side}, beta < {shown}"].value == sp.oo
        assert found[f"{side}, beta > {shown}"].value == 0
        value = found[f"{side}, beta = {shown}"].value
        assert sp.simplify(value - t * r_w / (4 * r_l * x1)) == 0, value
    assert found["lam_s = -1/2, beta = 2"].value == r_w / (r_l * x1)


def test_orpo_limit_is_decided_off_x1_1():
    # By hand: ORPO's odds term gives dL/dx2 ~ -lam (x1**(1/n_w) - 1)/x1**(1/n_w) * (...)
    # * x2**(1/n_l - 1): +oo for n_l > 1 when x1 < 1; at x1 = 1 the odds of y_w are
    # infinite and the sigmoid saturates, so the limit is 0.
    found = limits("orpo")
    assert found["n_l > 1, n_w > 1, 0 < x1 < 1"].value == sp.oo
    assert found["n_l > 1, n_w > 1, x1 = 1"].value == 0
    assert all(lim.value is not None for lim in found.values()), found


def test_the_numeric_guard_refuses_sympys_limit_of_discopop_for_symbolic_beta():
    # sympy.limit returns oo for DiscoPOP's dL/dx2 with beta left symbolic, which is false
    # for beta > 1 (there the quantity behaves as x2**(beta - 1) -> 0).
    from dpo_proofs.field.limit_check import contradiction
    from dpo_proofs.field.signs import active_domains, parameter_domains

    loss = get_variant("discopop")
    with parameter_domains(loss.parameters):
        f = field("discopop").d_x2.closed_form
        why = contradiction(f, sp.oo, active_domains())
        assert "beta = 3" in why and "moving away" in why, why
        assert contradiction(f.subs(beta, 3), sp.S.Zero, active_domains()) == ""
        assert contradiction(f.subs(beta, sp.Rational(1, 2)), sp.oo, active_domains()) == ""


def test_hinge_limit_is_0():
    # hinge: max(0, 1 - h); h -> +oo as x2 -> 0+, so eventually L = 0 and dL/dx2 = 0.
    for lim in field("hinge").limits:
        assert lim.value == 0, lim


# ---------------------------------------------------------- the R vs 1 statements

RATIO_VARIANTS = ["ipo", "ipo_mean", "cdpo", "exo_pair", "discopop", "hinge", "slic_hf",
                  "dpo", "simpo", "apo_down", "dpop"]
POINTS = [(mpmath.mpf("0.6"), mpmath.mpf("0.3")), (mpmath.mpf("0.25"), mpmath.mpf("0.7")),
          (mpmath.mpf("0.83"), mpmath.mpf("0.41"))]


def _quantity(kind, d1, d2):
    """What the document says the printed closed form equals, from numeric partials."""
    if kind == RATIO_MINUS_ONE:
        return abs(d2) / abs(d1) - 1
    assert kind == SQUARES_DIFFERENCE, kind
    return d2**2 - d1**2


@pytest.mark.parametrize("name", RATIO_VARIANTS)
def test_printed_ratio_statement_is_true(name):
    loss = get_variant(name)
    f = field(name)
    fn = mp_loss(loss)
    with mpmath.workdps(DPS):
        for a, b in POINTS:
            values = defaults(loss, x1=a, x2=b)
            d1, d2 = numeric_partials(fn, values)
            if f.ratio_excess_of == PER_PIECE:
                pieces = [(c, p) for c, p in f.pieces
                          if bool(c.subs({s: sp.Rational(str(values[s.name]))
                                          for s in c.free_symbols}))]
                (piece,) = [p for _, p in pieces]
                kind, expr = piece.ratio_excess_of, piece.ratio_excess_expr
            else:
                kind, expr = f.ratio_excess_of, f.ratio_excess_expr
            if kind == RATIO_MINUS_ONE and d1 == 0:
                continue  # R undefined where x1 does not move
            expected = _quantity(kind, d1, d2)
            printed = at(expr, {k: mpmath.nstr(v, DPS) for k, v in values.items()})
            assert abs(printed - expected) <= 1e-20 * max(1, abs(expected)), \
                (name, kind, float(a), float(b), printed, expected)


def test_ipo_statement_by_hand():
    # ipo: L = (h - 1/(2 beta))^2 with h the margin; dL/dx2 / dL/dx1 = -x1/x2, so
    # R - 1 = (x1 - x2)/x2, which at (0.6, 0.3) is 1 (while the squares differ by ~618).
    f = field("ipo")
    assert f.ratio_excess_of == RATIO_MINUS_ONE
    assert sp.simplify(f.ratio_excess_expr - (x1 - x2) / x2) == 0


def test_ipo_document_prints_r_minus_1():
    from dpo_proofs.pipeline import derive
    from dpo_proofs.printers.document import derivation_document, document_text

    text = document_text(derivation_document(derive("ipo"), (), figure=False), "md")
    assert r"R - 1 = \frac{x_{1} - x_{2}}{x_{2}}" in text
    squares = r"\left(\frac{\partial L}{\partial x_{1}}\right)^{2} = "
    assert squares not in text


# ----------------------------------------------------- conserved quantities, beta = 2

@pytest.mark.parametrize("name", ["bco_pair", "apo_zero", "kto_pair"])
def test_conserved_quantity_found_and_conserved_at_beta_2(name):
    loss = get_variant(name)
    f = field(name)
    assert f.conserved is not None, f.conserved_reason
    fn = mp_loss(loss)
    I_syms = sorted(f.conserved.expr.free_symbols, key=str)
    with mpmath.workdps(DPS):
        for b_value in ("2", "0.1", "3"):
            for a, b in POINTS:
                values = defaults(loss, x1=a, x2=b, beta=b_value)
                exact = {s: sp.Rational(str(values[s.name])) for s in I_syms}
                I_at = f.conserved.expr.subs({s: v for s, v in exact.items()
                                              if s not in (x1, x2)})
                I_fn = sp.lambdify((x1, x2), I_at, "mpmath")
                dI = [mpmath.diff(lambda t: I_fn(t, values["x2"]), values["x1"]),
                      mpmath.diff(lambda t: I_fn(values["x1"], t), values["x2"])]
                dL = numeric_partials(fn, values)
                dot = dI[0] * dL[0] + dI[1] * dL[1]
                scale = abs(dI[0] * dL[0]) + abs(dI[1] * dL[1])
                assert abs(dot) <= 1e-25 * scale, (name, b_value, dot, scale)


# ------------------------------------------------------------------------------ rpo

def test_rpo_nll_is_length_normalised():
    # Pang et al. (arXiv:2404.19733) and TRL: -log sigma(h) - (alpha/n_w) log x1.
    loss = get_variant("rpo")
    fn = mp_loss(loss)
    with mpmath.workdps(DPS):
        for n in (1, 7):
            values = defaults(loss, x1=mpmath.mpf("0.3"), x2=mpmath.mpf("0.6"),
                              beta="0.5", alpha="1.5", n_w=n)
            h = values["beta"] * (mpmath.log(values["x1"] / values["r_w"])
                                  - mpmath.log(values["x2"] / values["r_l"]))
            by_hand = -logsig(h) - values["alpha"] / n * mpmath.log(values["x1"])
            assert abs(fn(values) - by_hand) < mpmath.mpf(10) ** (-DPS + 5)
    assert "n_w" in {p.name for p in loss.parameters}


def test_text_summary_speaks_mathematics_not_sympy():
    from dpo_proofs import analyze

    text = analyze("dpo").summary()
    assert "x1 not pushed up (dL/dx1 >= 0): nowhere" in text
    assert "R = 1  <=>  x1 = x2" in text and "Eq(" not in text and "<=> False" not in text
    hinge = analyze("hinge").summary()
    assert "R = |dL/dx2|/|dL/dx1| = undefined (dL/dx1 = 0) where " in hinge
    assert "Piecewise" not in hinge.split("R = |dL/dx2|")[1].splitlines()[0]
    framed = analyze("dpo", parametrization="log").summary()
    assert "speed ratio = 1  <=>  x1 = x2" in framed


def test_thresholds_are_the_roots_of_the_leading_exponent():
    # By hand: x2**(beta/n_l - 1) / (1 + x2**beta) ~ x2**(beta/n_l - 1): one threshold,
    # beta = n_l; 1/x2 + x2**beta has no threshold (the exponent -1 does not move).
    from dpo_proofs.field.thresholds import cases_along, thresholds

    n_l = sp.Symbol("n_l", positive=True)
    assert thresholds(x2**(beta / n_l - 1) / (1 + x2**beta)) == (beta, [n_l])
    assert thresholds(1 / x2 + x2**beta) == (None, [])
    d = iter(sp.Dummy(f"d{i}", positive=True) for i in range(9))
    texts = [c.text() for c in cases_along(x2**(2 * beta - 1) + x2**(beta - 3),
                                           lambda: next(d))]
    # Leading exponent min(2 beta - 1, beta - 3): beta - 3 for beta > -2, always: root 3.
    assert texts == ["beta < 3", "beta = 3", "beta > 3"]


def test_readable_printer_writes_what_the_expression_is():
    """Each printed string, read back with ^ -> ** and |.| -> Abs by hand, is the same
    expression: the printer formats and never changes the value."""
    from dpo_proofs.printers.readable import readable, readable_cell

    b = sp.Symbol("beta", positive=True)
    lam = sp.Symbol("lam", positive=True)
    cases = {x1 * x2 ** (b - 1) / sp.Abs(2 * r_w ** b - x1 ** b):
             "x1*x2^(beta - 1)/|2*r_w^beta - x1^beta|",
             x1 ** -2: "1/x1^2", 1 / (x1 + x2): "1/(x1 + x2)",
             x1 ** sp.Rational(1, 3): "x1^(1/3)", (x1 * x2) ** (b / 2): "(x1*x2)^(beta/2)"}
    for expr, ascii_text in cases.items():
        assert readable(expr, unicode=False) == ascii_text
        back = ascii_text.replace("^", "**")
        back = back.replace("|2*r_w**beta - x1**beta|", "Abs(2*r_w**beta - x1**beta)")
        assert sp.simplify(sp.sympify(back, locals={"beta": b, "r_w": r_w, "x1": x1,
                                                    "x2": x2}) - expr) == 0
    assert readable(x1 ** (b - 1) * lam) == "\u03bb\u00b7x1^(\u03b2 \u2212 1)"
    assert readable(sp.And(x1 > x2, sp.Ne(x1, 1))) == "x1 > x2 and x1 \u2260 1"
    assert readable(sp.true) == "everywhere" and readable(sp.false) == "nowhere"
    hinge_like = sp.Piecewise((sp.nan, x1 < x2), (x1 / x2, True))
    assert readable_cell(hinge_like) == "x1/x2 where defined"
    two = sp.Piecewise((x1 / x2, x1 < r_w), (x1 / (2 * x2), True))
    assert readable_cell(two, unicode=False) == "piecewise: x1/x2 | x1/(2*x2)"


def test_summary_prints_powers_with_caret_and_reads_back_to_the_derived_form():
    """The analyze text writes x2^(beta - 1), never sympy's **; the ASCII line read back
    (^ -> **) is the derived closed form, and the unicode summary uses Greek letters."""
    from dpo_proofs import analyze

    a = analyze("cpo")
    ascii_text, text = a.summary(unicode=False), a.summary()
    assert all(ord(c) < 128 for c in ascii_text)
    for summary in (ascii_text, text):
        # the derived lines (the verdicts' evidence and stated reasons quote the engine)
        derived = [l for l in summary.splitlines() if l.startswith("  ") and
                   not l.startswith("    ") and "(" + "the orbit" not in l]
        assert not any("**" in l for l in derived), [l for l in derived if "**" in l]
    line = next(l for l in ascii_text.splitlines() if l.startswith("  dL/dx2   = "))
    shown = line.split("= ", 1)[1].rsplit("   [", 1)[0]
    names = {s.name: s for s in a.field.d_x2.closed_form.free_symbols}
    back = sp.sympify(shown.replace("^", "**"), locals=names)
    assert sp.simplify(back - a.field.d_x2.closed_form) == 0
    assert "\u03b2\u00b7x2^(\u03b2 \u2212 1)" in text   # β·x2^(β − 1)
    assert "lim x2->0+ dL/dx2 (beta < 1) = \u221e" in text


def test_a_phrase_keeps_its_mathematics_through_composition_and_pickling():
    """A Phrase is its plain text (what the JSON keeps) and its parts (what the printers
    set); composing keeps every part, and the cache's pickle gives the same phrase."""
    import pickle

    from dpo_proofs.phrases import Phrase, join
    from dpo_proofs.printers.readable import readable_text

    s0 = sp.Dummy("s0", positive=True)
    inner = Phrase("write ", x1, " = ", x2 / (s0 + 1), " with ", s0, " > 0")
    outer = Phrase("on x1 < x2 ", inner, "; ", join(", ", [x1 ** beta, "a word"]))
    assert str(outer) == "on x1 < x2 write x1 = x2/(_s0 + 1) with _s0 > 0; x1**beta, a word"
    assert [p for p in outer.parts if not isinstance(p, str)] == [x1, x2 / (s0 + 1), s0,
                                                                 x1 ** beta]
    again = pickle.loads(pickle.dumps(outer))
    assert isinstance(again, Phrase) and again == outer and again.parts == outer.parts
    assert readable_text(outer, unicode=False) == \
        "on x1 < x2 write x1 = x2/(s0 + 1) with s0 > 0; x1^beta, a word"
    assert readable_text("plain ** text") == "plain ** text"   # not a Phrase: as it is


def test_a_proofs_evidence_is_printed_as_mathematics():
    """The kernel's argument for cpo's R < 1 below the diagonal: the check command
    writes it in readable mathematics (no **, no sympy dummy names), the JSON keeps
    sympy's text, and the document typesets the substitution as one formula."""
    import io
    import json

    from dpo_proofs.cli.app import main
    from dpo_proofs.printers.formulas import said
    from dpo_proofs.printers.markup import Math
    from dpo_proofs import check

    out = io.StringIO()
    assert main(["check", "cpo", "ratio < 1", "--domain", "x1 < x2"], out, io.StringIO()) == 0
    text = out.getvalue()
    assert "proved" in text and "write x1 = x2/(s0 + 1) with s0 > 0" in text
    assert "**" not in text and "_s0" not in text and "^\u03b2" in text
    out = io.StringIO()
    main(["check", "cpo", "ratio < 1", "--domain", "x1 < x2", "--json"], out, io.StringIO())
    assert "(_s0 + 1)**beta" in json.loads(out.getvalue())["evidence"]
    verdict = check("ratio < 1 where x1 < x2", "cpo")
    maths = [p.tex for p in said(verdict.evidence) if isinstance(p, Math)]
    assert r"x_{1} = \frac{x_{2}}{s_{0} + 1}" in maths and "s_{0} > 0" in maths


def test_a_verdict_in_a_notebook_shows_its_evidence_as_mathematics():
    from dpo_proofs import check

    md = check("ratio < 1 where x1 < x2", "cpo")._repr_markdown_()
    assert md.startswith("**ratio < 1 on x1 < x2**: proved (symbolic)")
    assert r"$x_{1}$ = $\frac{x_{2}}{s_{0} + 1}$" in md and "**beta" not in md

"""Derivation documents: content from the derived expressions, compilation, determinism,
freshness of derivations/."""
from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import mpmath
import pytest
import sympy as sp

from dpo_proofs.field.canonical import canonical
from dpo_proofs.cli import main
from dpo_proofs.field.in_frame import field_of
from dpo_proofs.field.region_forms import regions_of
from dpo_proofs.cli.docs import ALL_COMMAND, check_fresh, generate_all
from dpo_proofs.printers.pdf import LatexFailed, compile_pdf, latex_engine, write_atomic
from dpo_proofs.printers.tex_layout import breakable as _breakable
from dpo_proofs.numerics.confirm import mp_callable, to_mpf
from dpo_proofs.loss.symbols import x1, x2
from dpo_proofs.loss.catalogue import CATALOGUE

REPO = Path(__file__).resolve().parent.parent
VARIANTS = list(CATALOGUE)


#: Regenerated in the suite (a smooth loss, a hinge, one whose gradient vanishes on a set,
#: ORPO's log(1 - x), six constants): the rest, and the frames, are CI's `derive --all
#: --check --pdf`, which regenerates and compiles every document before the suite runs.
SAMPLE = ["dpo", "hinge", "ipo", "orpo", "kto_pair"]


@pytest.fixture(scope="module")
def documents() -> dict[str, str]:
    """derivations/ as committed: what a reader opens. That it is exactly what this code
    writes is ``fresh`` below for SAMPLE, and CI's `derive --all --check` for all."""
    return {p.name: p.read_text(encoding="utf-8")
            for p in sorted((REPO / "derivations").glob("*")) if p.suffix in (".tex", ".md")}


@pytest.fixture(scope="module")
def fresh() -> dict[str, str]:
    """SAMPLE's documents written by this code, without the parametrization sections
    (minutes each when cold). Through the derivation cache."""
    return generate_all(frames=False, jobs=1, names=SAMPLE, overview=False)  # xdist: cores


@pytest.fixture
def latex_required():
    """Skip without LaTeX, except where CI demands it (CI=true or DPO_PROOFS_REQUIRE_LATEX=1)."""
    if latex_engine() is None:
        forced = (os.environ.get("CI", "").lower() == "true"
                  or os.environ.get("DPO_PROOFS_REQUIRE_LATEX") == "1")
        message = "pdflatex not installed (apt-get install texlive-latex-base " \
                  "texlive-latex-recommended texlive-fonts-recommended)"
        if forced:
            pytest.fail(message + "; CI requires it")
        pytest.skip(message)


def _tex(expr: sp.Basic) -> str:
    """sympy's LaTeX with the documents' convention, written here: the constants sympy
    does not read as Greek (lam, lam_s, eps) are lambda and epsilon."""
    greek = {"lam": r"\lambda", "eps": r"\varepsilon"}
    names = {}
    for s in expr.free_symbols:
        head, _, tail = s.name.partition("_")
        if head in greek:
            names[s] = greek[head] + (f"_{{{tail}}}" if tail else "")
    return sp.latex(expr, symbol_names=names)


def _display(tex: str, lhs: str) -> list[str]:
    """Right-hand sides of the displays of 'LHS = ...' in a document: a line of its own
    inside \\[ \\], or a long one set breakable as '$LHS = ...$' (delimiters unsized)."""
    out = []
    for line in tex.splitlines():
        for prefix, end in ((lhs + " = ", ""), ("$" + lhs + " = ", "$")):
            if line.startswith(prefix) and line.endswith(end):
                out.append(line[len(prefix):len(line) - len(end)])
    return out


@pytest.mark.parametrize("variant", VARIANTS)
def test_document_prints_independently_derived_partials(variant, documents):
    loss = CATALOGUE[variant]
    tex = documents[f"{variant}.tex"]
    for symbol, lhs in ((x1, r"\frac{\partial L}{\partial x_{1}}"),
                        (x2, r"\frac{\partial L}{\partial x_{2}}")):
        # Independent route: differentiate the exp/log form, not the building-block form.
        independent = sp.diff(loss.elementary, symbol)
        shown = _display(tex, lhs)
        assert shown, f"no display of {lhs}"
        if not loss.expr.has(sp.Max, sp.Min, sp.Abs):
            expected = _tex(canonical(independent))
            assert shown[-1] in (expected, _breakable(expected))
        else:  # sympy differentiates Max into Heaviside; the document prints the pieces
            # (as a cases array, or inline "v for c; w otherwise" when set breakable)
            assert r"\begin{cases}" in shown[-1] or r"\text{otherwise}" in shown[-1]
        # ... and the printed closed form has the value of the independent derivative.
        field = field_of(loss)  # the field the pipeline derives (analysis.field)
        closed = (field.d_x1 if symbol == x1 else field.d_x2).closed_form
        symbols = [x1, x2, *[p.symbol for p in loss.parameters]]
        point = [sp.Rational(3, 5), sp.Rational(1, 5), *[p.default for p in loss.parameters]]
        with mpmath.workdps(40):
            a = mp_callable(independent, symbols)(*[to_mpf(v) for v in point])
            b = mp_callable(closed, symbols)(*[to_mpf(v) for v in point])
            assert abs(a - b) <= mpmath.mpf(10) ** -30 * abs(a)


@pytest.mark.parametrize("variant", VARIANTS)
def test_document_states_the_derived_region_and_ratio(variant, documents):
    f = field_of(CATALOGUE[variant])
    tex = documents[f"{variant}.tex"]
    # a formula too long for the line is printed breakable (the same mathematics)
    assert _tex(f.ratio) in tex or _breakable(_tex(f.ratio)) in tex
    # the region as printed: in its simplest form (the same set: test_catalogue)
    region = dict(regions_of(f))["ratio_gt_1"]
    if region not in (sp.true, sp.false):
        assert any("$" + t + "$" in tex for t in (_tex(region), _breakable(_tex(region))))
    assert r"\begin{proposition}" in tex and r"\begin{proof}" in tex
    assert ALL_COMMAND in tex.splitlines()[1]  # the header says how to regenerate


def test_dpo_hand_derived_closed_form_is_printed(documents):
    beta, r_w, r_l = sp.symbols("beta r_w r_l", positive=True)
    # By hand: dL/dx2 = beta * sigma(-h) / x2 with sigma(-h) = r_w^b x2^b / (r_w^b x2^b + r_l^b x1^b)
    hand = beta * r_w**beta * x2**(beta - 1) / (r_l**beta * x1**beta + r_w**beta * x2**beta)
    assert _display(documents["dpo.tex"], r"\frac{\partial L}{\partial x_{2}}")[-1] == sp.latex(hand)
    assert _display(documents["dpo.tex"], "R - 1")[0] == sp.latex((x1 - x2) / x2)


def test_generation_is_deterministic_and_the_cache_changes_nothing(fresh, monkeypatch):
    """Derived afresh (cache off) in a process pool, a smooth loss's and a piecewise one's
    documents are the fixture's, which came through the cache (and, after `derive --all`,
    from derivations with the frames, stripped of them)."""
    monkeypatch.setenv("DPO_PROOFS_CACHE", "off")
    names = ["dpo", "hinge"]
    again = generate_all(frames=False, jobs=2, names=names)
    for name in names:
        for suffix in (".tex", ".md"):
            assert again[name + suffix] == fresh[name + suffix], name + suffix


def test_markdown_uses_dollar_math(documents):
    md = documents["dpo.md"]
    assert "$$" in md and r"\begin{list}" not in md and ALL_COMMAND in md.splitlines()[1]


def test_committed_derivations_match_apart_from_the_frames(fresh):
    """derivations/ up to its parametrization sections, for SAMPLE (the full check is
    CI's `derive --all --check`, which regenerates every document, frames included)."""
    def cut(text: str) -> str:
        text = text.split("\\end{document}")[0]
        for marker in (r"\section{Parametrizations", "## Parametrizations", "# Parametrizations",
                       # after the frames: its log-frame row comes with them
                       r"\section{Second-order facts", "## Second-order facts",
                       # the overview's last section, after the frames' (absent here)
                       r"\section{Published statements", "## Published statements"):
            if marker in text:
                text = text[:text.index(marker)]
        return text.rstrip()
    assert {n.rsplit(".", 1)[0] for n in fresh} == set(SAMPLE)
    for name, text in fresh.items():
        committed = (REPO / "derivations" / name).read_text()
        assert cut(committed) == cut(text), f"derivations/{name} is stale; run: {ALL_COMMAND}"


def test_frames_section_of_the_dpo_document(documents):
    text = documents["dpo.tex"]
    frames = text[text.index(r"\section{Parametrizations"):]
    for frame in ("log", "softmax", "softmax:2"):
        assert r"\subsection{Frame " + frame + "}" in frames
    assert r"R_{M} = \frac{x_{2}}{x_{1}}" in frames  # log frame: by hand, (x2^2/x2)/(x1^2/x1)
    assert r"x_{1}(\infty) = \min\left(1, \sqrt{x_{1,0}^{2} + x_{2,0}^{2}}\right)" in frames
    # code may break after its operators (\allowbreak{} marks where)
    assert r"python -m dpo\_proofs frames dpo" in frames.replace(r"\allowbreak{}", "")
    # the claims table itself, one column per frame. By hand: R = x1/x2 in probabilities
    # (> 1 on x1 > x2), R_M = x2/x1 in log-probabilities (< 1 there), and both partials
    # keep their signs under the positive metric x_i^2 of the log frame.
    rows = {line.split(" & ")[0]: line.rstrip(" \\").split(" & ")[1:]
            for line in frames.replace(r"\allowbreak{}", "").splitlines() if " & " in line}
    assert rows[r"\textbf{claim}"] == [r"\textbf{" + f + "}" for f in
                                       ("probability", "log", "softmax", "softmax:2")]
    assert rows[r"\texttt{dispreferred\_faster}"][:2] == ["proved", "refuted"]
    assert rows[r"\texttt{x1\_increases}"][:2] == ["proved", "proved"]


def test_freshness_check_catches_an_edited_file(tmp_path, documents):
    for name, text in documents.items():
        write_atomic(tmp_path / name, text)
    assert check_fresh(tmp_path, documents) == []
    edited = documents["dpo.tex"].replace("x_{1} - x_{2}", "x_{1} + x_{2}", 1)
    assert edited != documents["dpo.tex"]
    (tmp_path / "dpo.tex").write_text(edited)
    problems = check_fresh(tmp_path, documents)
    assert len(problems) == 1 and "stale" in problems[0] and "x_{1} + x_{2}" in problems[0]
    # a generated file the catalogue no longer produces is stale too
    (tmp_path / "dpo.tex").write_text(documents["dpo.tex"])
    (tmp_path / "removed.tex").write_text(documents["dpo.tex"])
    assert any("extra" in p for p in check_fresh(tmp_path, documents))


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    write_atomic(tmp_path / "a.tex", "x")
    write_atomic(tmp_path / "a.tex", "y")
    assert [p.name for p in tmp_path.iterdir()] == ["a.tex"]
    assert (tmp_path / "a.tex").read_text() == "y"


@pytest.mark.parametrize("name", [f"{v}.tex" for v in SAMPLE] + ["overview.tex"])
def test_documents_compile_without_latex_errors(name, documents, tmp_path, latex_required):
    # every document: CI's `derive --all --check --pdf`
    tex = tmp_path / name
    tex.write_text(documents[name])
    pdf = compile_pdf(tex, tmp_path / "out.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")


def test_a_broken_formula_is_reported_with_the_latex_error(documents, tmp_path, latex_required):
    tex = tmp_path / "broken.tex"
    tex.write_text(documents["dpo.tex"].replace(r"R - 1 = \frac", r"R - 1 = \frac{", 1))
    with pytest.raises(LatexFailed) as error:
        compile_pdf(tex, tmp_path / "broken.pdf")
    assert "LaTeX error" in str(error.value) and "!" in str(error.value)
    assert not (tmp_path / "broken.pdf").exists()


def test_cli_pdf_without_latex_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    out, err = io.StringIO(), io.StringIO()
    code = main(["derive", "dpo", "-o", str(tmp_path / "dpo.tex"), "--pdf", "--no-figures"],
                out, err)
    assert code == 2
    assert err.getvalue().count("\n") == 1 and "no LaTeX found" in err.getvalue()
    assert "Traceback" not in err.getvalue()


def test_cli_derive_to_stdout_and_bad_variant():
    out, err = io.StringIO(), io.StringIO()
    assert main(["derive", "dpo", "--format", "md"], out, err) == 0
    assert out.getvalue().startswith("<!-- Generated by dpo_proofs")
    err = io.StringIO()
    assert main(["derive", "no_such_loss"], io.StringIO(), err) == 2
    assert err.getvalue().count("\n") == 1


def test_long_formulas_and_wide_tables_stay_inside_the_margin(tmp_path, latex_required):
    # A 40-term polynomial under a square root, in a fraction, in a Piecewise, as a
    # display, inline and in a table cell; and a table whose cells add up to three lines.
    # Shrinking (the old \fitmath) or a box running off the page would both be defects:
    # pdflatex's log must show no overfull box over OVERFULL_LIMIT_PT.
    from dpo_proofs.printers.markup import Display, Document, Math, Para, Table, render
    from dpo_proofs.printers.pdf import OVERFULL_LIMIT_PT
    terms = sum(sp.Symbol(f"r_{i}") ** i * x1 ** (i % 5) for i in range(1, 41))
    long = sp.latex(sp.Piecewise((sp.sqrt(terms) / (1 + terms), x1 > x2 + terms),
                                 (sp.log(terms), True)))
    assert r"\left(" in long and r"\frac" in long and r"\begin{cases}" in long
    blocks = (Display("L = " + long), Para(("inline: ", Math(long), " and a word ",
                                            "x1**2*" * 40 + "x2")),
              Table(("variant", "formula", "note"),
                    ((("dpo",), (Math(long),), ("a long note " * 30,)),), "lll"))
    tex = tmp_path / "long.tex"
    tex.write_text(render(Document("long", ("test",), blocks), "tex"))
    overfull: list = []
    compile_pdf(tex, tmp_path / "long.pdf", overfull=overfull)
    assert overfull == [], f"lines past the margin by over {OVERFULL_LIMIT_PT} pt: {overfull}"
    assert r"\resizebox" not in tex.read_text()


def test_breakable_keeps_the_formula_and_removes_only_boxes():
    tex = r"\left(\frac{a_{1} + a_{2} + a_{3} + a_{4} + a_{5} + a_{6} + a_{7} + a_{8} + a_{9} + a_{10} + a_{11}}{b}\right) \leftarrow \log{\left(x \right)}"
    out = _breakable(tex)
    assert r"\left" not in out.replace(r"\leftarrow", "") and r"\right" not in out
    assert r"\leftarrow" in out and r"\log" in out and "/ b" in out


def test_prose_mathematics_is_typeset_and_the_rest_is_text():
    """The package's plain-text sentences, set in a document: the mathematics in $...$,
    words (and/or, x-axis, a file name) untouched, a number alone left as text."""
    from dpo_proofs.printers.markup import tex_escape
    from dpo_proofs.printers.prose import prose_tex

    cases = {
        "Step 1: chain rule through the margin: dL/dx = phi'(h) dh/dx.":
            r"Step 1: chain rule through the margin: $\partial L/\partial x = \varphi'(h) \,"
            r"\partial h/\partial x$.",
        "R > 1 wherever x1 > x2.": r"$R > 1$ wherever $x_1 > x_2$.",
        "limit of dL/dx2 as x2 -> 0+": r"limit of $\partial L/\partial x_2$ as "
                                       r"$x_2 \to 0^+$",
        "beta <= 1": r"$\beta \le 1$",
        "reduced form with K = (r_w/r_l)^beta:": r"reduced form with $K = (r_w/r_l)^{\beta}$:",
        "where (c/a)(c/b) <= 1.": r"where $(c/a)(c/b) \le 1$.",
        "and/or the x-axis, 2 cases, a file dpo.tex": "and/or the x-axis, 2 cases, a file dpo.tex",
        "P1 & 3 < 4": r"P1 \& 3 \textless{} 4",
    }
    for text, tex in cases.items():
        assert prose_tex(text, tex_escape) == tex


def test_evidence_and_reasons_are_typeset_not_sympy_text(documents):
    """Every document sets the engine's evidence, the flow's limit argument and the
    conserved-quantity reasons as mathematics: no sympy ** or Eq(, no sympy dummy
    (\\_s0), no Python dict of a point, no sympy error message with its _b0 variables."""
    committed = {f"derivations/{p.name}": p.read_text(encoding="utf-8")
                 for p in (REPO / "derivations").glob("*.tex")}   # with the frames
    for name, text in {**documents, **committed}.items():
        if not name.endswith(".tex"):
            continue
        quoted = {line for line in text.splitlines() if line.startswith("As published:")}
        body = "\n".join(line for line in text.splitlines() if line not in quoted)
        for bad in ("**", "Eq(", r"\_s0", r"\_b0", "{'x1'", "Not sure of sign",
                    "oo*sign", "$=1/"):  # last: a point half typeset, "$x_1$=1/2"
            assert bad not in body.replace(r"\allowbreak{}", ""), (name, bad)
    # the readings' points are relations set as formulas
    assert r"at $x_{1} = \frac{1}{2}$, $x_{2} = \frac{1}{4}$" in documents["overview.tex"]
    # the flows are in the frames section: the committed document has it (and CI checks
    # that it is what this code writes)
    dpo = (REPO / "derivations" / "dpo.tex").read_text(encoding="utf-8")
    assert r"the level set $I = x_{1}^{2} + x_{2}^{2} = I{\left(x_{1,0},x_{2,0} \right)}$" \
        in dpo
    assert r"so $x_{1} \to \sqrt{x_{1,0}^{2} + x_{2,0}^{2}}$" in dpo

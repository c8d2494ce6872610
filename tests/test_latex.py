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
from dpo_proofs.pipeline import derive
from dpo_proofs.cli.docs import ALL_COMMAND, check_fresh, generate_all
from dpo_proofs.printers.pdf import LatexFailed, compile_pdf, latex_engine, write_atomic
from dpo_proofs.numerics.confirm import mp_callable, to_mpf
from dpo_proofs.loss.symbols import x1, x2
from dpo_proofs.loss.catalogue import CATALOGUE

REPO = Path(__file__).resolve().parent.parent
VARIANTS = list(CATALOGUE)


@pytest.fixture(scope="module")
def documents() -> dict[str, str]:
    # Without the parametrization sections (minutes for the whole catalogue); those are
    # tested on dpo below, and CI's `derive --all --check` covers the committed files.
    # Through the derivation cache: after `derive --all` (CI runs it first) each document
    # is read from the derivation with the frames, which holds this one.
    return generate_all(frames=False, jobs=1)  # pytest-xdist already uses every core


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


def _display(tex: str, lhs: str) -> list[str]:
    """Right-hand sides of the displays '\\fitmath{LHS = ...}' in a document."""
    out = []
    for line in tex.splitlines():
        prefix = r"\fitmath{" + lhs + " = "
        if line.startswith(prefix) and line.endswith("}"):
            out.append(line[len(prefix):-1])
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
            assert shown[-1] == sp.latex(canonical(independent))
        else:  # sympy differentiates Max into Heaviside; the document prints the pieces
            assert r"\begin{cases}" in shown[-1]
        # ... and the printed closed form has the value of the independent derivative.
        closed = (derive(variant).analysis.field.d_x1 if symbol == x1
                  else derive(variant).analysis.field.d_x2).closed_form
        symbols = [x1, x2, *[p.symbol for p in loss.parameters]]
        point = [sp.Rational(3, 5), sp.Rational(1, 5), *[p.default for p in loss.parameters]]
        with mpmath.workdps(40):
            a = mp_callable(independent, symbols)(*[to_mpf(v) for v in point])
            b = mp_callable(closed, symbols)(*[to_mpf(v) for v in point])
            assert abs(a - b) <= mpmath.mpf(10) ** -30 * abs(a)


@pytest.mark.parametrize("variant", VARIANTS)
def test_document_states_the_derived_region_and_ratio(variant, documents):
    f = derive(variant).analysis.field
    tex = documents[f"{variant}.tex"]
    assert sp.latex(f.ratio) in tex
    region = f.region_ratio_gt_1
    if region not in (sp.true, sp.false):
        assert "$" + sp.latex(region) + "$" in tex
    assert r"\begin{proposition}" in tex and r"\begin{proof}" in tex
    assert ALL_COMMAND in tex.splitlines()[1]  # the header says how to regenerate


def test_dpo_hand_derived_closed_form_is_printed(documents):
    beta, r_w, r_l = sp.symbols("beta r_w r_l", positive=True)
    # By hand: dL/dx2 = beta * sigma(-h) / x2 with sigma(-h) = r_w^b x2^b / (r_w^b x2^b + r_l^b x1^b)
    hand = beta * r_w**beta * x2**(beta - 1) / (r_l**beta * x1**beta + r_w**beta * x2**beta)
    assert _display(documents["dpo.tex"], r"\frac{\partial L}{\partial x_{2}}")[-1] == sp.latex(hand)
    assert _display(documents["dpo.tex"], "R - 1")[0] == sp.latex((x1 - x2) / x2)


def test_generation_is_deterministic_and_the_cache_changes_nothing(documents, monkeypatch):
    """Derived afresh (cache off) in a process pool, three variants' documents are the
    fixture's, which came through the cache (and, after `derive --all`, from derivations
    with the frames, stripped of them)."""
    monkeypatch.setenv("DPO_PROOFS_CACHE", "off")
    names = ["dpo", "hinge", "ipo"]
    again = generate_all(frames=False, jobs=2, names=names)
    for name in names:
        for suffix in (".tex", ".md"):
            assert again[name + suffix] == documents[name + suffix], name + suffix


def test_markdown_uses_dollar_math(documents):
    md = documents["dpo.md"]
    assert "$$" in md and r"\fitmath" not in md and ALL_COMMAND in md.splitlines()[1]


def test_committed_derivations_match_apart_from_the_frames(documents):
    """derivations/ up to its parametrization sections (the full check is CI's
    `derive --all --check`, which regenerates those too)."""
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
    for name, text in documents.items():
        committed = (REPO / "derivations" / name).read_text()
        assert cut(committed) == cut(text), f"derivations/{name} is stale; run: {ALL_COMMAND}"


def test_frames_section_of_the_dpo_document():
    text = generate_all(names=["dpo"], jobs=1)["dpo.tex"]
    frames = text[text.index(r"\section{Parametrizations"):]
    for frame in ("log", "softmax", "softmax:2"):
        assert r"\subsection{Frame " + frame + "}" in frames
    assert r"R_{M} = \frac{x_{2}}{x_{1}}" in frames  # log frame: by hand, (x2^2/x2)/(x1^2/x1)
    assert r"x_{1}(\infty) = \min\left(1, \sqrt{x_{1,0}^{2} + x_{2,0}^{2}}\right)" in frames
    assert r"python -m dpo\_proofs frames dpo" in frames


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


@pytest.mark.parametrize("name", [f"{v}.tex" for v in VARIANTS] + ["overview.tex"])
def test_documents_compile_without_latex_errors(name, documents, tmp_path, latex_required):
    tex = tmp_path / name
    tex.write_text(documents[name])
    pdf = compile_pdf(tex, tmp_path / "out.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")


def test_a_broken_formula_is_reported_with_the_latex_error(documents, tmp_path, latex_required):
    tex = tmp_path / "broken.tex"
    tex.write_text(documents["dpo.tex"].replace(r"\fitmath{R - 1 = \frac", r"\fitmath{R - 1 = \frac{", 1))
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

"""Compile a LaTeX document to PDF (latexmk if present, else pdflatex twice) in a
temporary directory, and report LaTeX errors as the first error lines of the log.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..errors import DpoProofsError
from ..files import write_atomic  # re-exported: the package's one atomic writer

__all__ = ["LatexMissing", "LatexFailed", "latex_engine", "compile_pdf", "first_errors",
           "overfull_boxes", "OVERFULL_LIMIT_PT", "write_atomic"]

#: The widest a line of a document may run past the margin (TeX points); wider is a
#: defect the documents check reports (a formula or table running off the page).
OVERFULL_LIMIT_PT = 10.0

INSTALL_HINT = ("no LaTeX found (pdflatex or latexmk); install it, e.g. "
                "apt-get install texlive-latex-base texlive-latex-recommended "
                "texlive-fonts-recommended")


class LatexMissing(DpoProofsError):
    """Neither latexmk nor pdflatex is on PATH."""


class LatexFailed(DpoProofsError):
    """LaTeX ran and reported errors; the message holds the first error lines."""


def latex_engine() -> list[str] | None:
    """The command that builds a PDF, or None when no LaTeX is installed."""
    if shutil.which("latexmk") and shutil.which("pdflatex"):
        return ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error",
                "-file-line-error"]
    if shutil.which("pdflatex"):
        return ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error"]
    return None


_FILE_LINE_ERROR = re.compile(r"^\S+\.(tex|sty|cls|aux):\d+: ")


def first_errors(log: str, lines: int = 6) -> str:
    """The first LaTeX error in a log ('! ...' or 'file:line: ...') and the lines after it."""
    text = log.splitlines()
    for i, line in enumerate(text):
        if line.startswith("!") or _FILE_LINE_ERROR.match(line):
            return " | ".join(l.strip() for l in text[i:i + lines] if l.strip())
    return "no error message in the log"


_OVERFULL = re.compile(r"^Overfull \\[hv]box \(([\d.]+)pt too (?:wide|high)\) (.*)$")


def overfull_boxes(log: str, limit: float = 0.0) -> list[tuple[float, str]]:
    """(points, where) of each overfull box in a pdflatex log wider than ``limit``;
    ``where`` is TeX's own locator ('in paragraph at lines 80--82', 'detected at
    line 120') with the box's first line of content."""
    lines = log.splitlines()
    out = []
    for i, line in enumerate(lines):
        m = _OVERFULL.match(line)
        if m and float(m.group(1)) > limit:
            content = lines[i + 1].strip() if i + 1 < len(lines) else ""
            out.append((float(m.group(1)), f"{m.group(2)}: {content[:60]}"))
    return out


def compile_pdf(tex_path: Path, output: Path, extra_files: Sequence[Path] = (),
                timeout: float = 300.0, overfull: list | None = None) -> Path:
    """Build ``tex_path`` into ``output`` (a .pdf); files it includes are copied along.

    Runs in a fresh temporary directory so no auxiliary file lands next to the source.
    SOURCE_DATE_EPOCH is fixed so the PDF carries no build date. ``overfull``, a list,
    receives the final run's overfull boxes wider than OVERFULL_LIMIT_PT.
    """
    engine = latex_engine()
    if engine is None:
        raise LatexMissing(INSTALL_HINT)
    env = dict(os.environ, SOURCE_DATE_EPOCH="0", FORCE_SOURCE_DATE="1")
    with tempfile.TemporaryDirectory(prefix="dpo_proofs_tex_") as tmp:
        work = Path(tmp)
        name = "document.tex"
        shutil.copyfile(tex_path, work / name)
        for f in extra_files:
            if Path(f).exists():
                shutil.copyfile(f, work / Path(f).name)
        runs = 1 if engine[0] == "latexmk" else 2  # twice: references and longtable widths
        for _ in range(runs):
            try:
                done = subprocess.run([*engine, name], cwd=work, env=env, timeout=timeout,
                                      stdin=subprocess.DEVNULL, capture_output=True)
            except subprocess.TimeoutExpired:
                raise LatexFailed(f"{tex_path}: LaTeX did not finish in {timeout:.0f} s") from None
            log_file = work / "document.log"
            log = log_file.read_text(errors="replace") if log_file.exists() else \
                done.stdout.decode(errors="replace")
            if done.returncode != 0 or not (work / "document.pdf").exists():
                raise LatexFailed(f"{tex_path}: LaTeX error: {first_errors(log)}")
        if overfull is not None:
            overfull[:] = overfull_boxes(log, OVERFULL_LIMIT_PT)
        write_atomic(output, (work / "document.pdf").read_bytes())
    return output

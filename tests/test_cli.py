"""The CLI as a user runs it: JSON read back with sympy, one-line errors, exit codes."""
import json
import subprocess
import sys

import pytest
import sympy as sp
from cli_run import run


NAMES = {n: sp.Symbol(n, positive=True) for n in ("x1", "x2", "r_w", "r_l", "beta")}


@pytest.fixture(scope="module")
def dpo_json():
    code, out, err = run("analyze", "dpo", "--json")
    assert code == 0, err
    return json.loads(out)


def test_json_has_required_keys(dpo_json):
    for key in ("variant", "loss", "d_x1", "d_x2", "ratio", "region_ratio_gt_1", "radial",
                "verdicts"):
        assert key in dpo_json
    for v in dpo_json["verdicts"]:
        assert set(v) >= {"claim", "status", "evidence"}
        assert v["status"] in ("proved", "refuted", "unknown")


def test_json_expressions_read_back_with_sympify(dpo_json):
    ratio = sp.sympify(dpo_json["ratio"], locals=NAMES)
    assert sp.simplify(ratio - NAMES["x1"] / NAMES["x2"]) == 0
    region = sp.sympify(dpo_json["region_ratio_gt_1"], locals=NAMES)
    assert region == sp.StrictGreaterThan(NAMES["x1"], NAMES["x2"])
    assert sp.sympify(dpo_json["radial"], locals=NAMES) == 0
    loss = sp.sympify(dpo_json["loss"], locals=NAMES)
    d1 = sp.sympify(dpo_json["d_x1"], locals=NAMES)
    point = {NAMES["x1"]: sp.Rational(2, 3), NAMES["x2"]: sp.Rational(1, 4),
             NAMES["r_w"]: sp.Rational(1, 3), NAMES["r_l"]: sp.Rational(1, 2),
             NAMES["beta"]: sp.Rational(5, 2)}
    assert sp.N((sp.diff(loss, NAMES["x1"]) - d1).subs(point), 40) == pytest.approx(0, abs=1e-35)


def test_text_summary_shows_result():
    code, out, _ = run("analyze", "dpo")
    assert code == 0
    assert "R = |dL/dx2|/|dL/dx1| = x1/x2" in out
    assert "R > 1  <=>  x1 > x2" in out


@pytest.mark.parametrize("argv,fragment", [
    (["analyze", "nosuch"], "unknown variant"),
    (["analyze", "dpo", "--param", "beta=0"], "beta"),
    (["analyze", "dpo", "--param", "beta=-3"], "beta"),
    (["analyze", "dpo", "--at", "x1=1.5"], "x1"),
    (["analyze", "dpo", "--at", "x2=0"], "x2"),
    (["analyze", "dpo", "--param", "r_l=2"], "r_l"),
    (["analyze", "dpo", "--param", "gamma=1"], "gamma"),
    (["analyze", "dpo", "--param", "beta"], "NAME=VALUE"),
])
def test_bad_input_is_one_line_error(argv, fragment):
    code, out, err = run(*argv)
    assert code == 2
    assert err.count("\n") == 1 and fragment in err
    assert "Traceback" not in err


def test_module_entry_point_without_traceback():
    proc = subprocess.run([sys.executable, "-m", "dpo_proofs", "analyze", "dpo", "--param",
                           "beta=-1"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("dpo-proofs: error:")
    assert "Traceback" not in proc.stderr


def test_at_point_values_at_50_digits():
    code, out, _ = run("analyze", "dpo", "--at", "x1=0.7,x2=0.2", "--json")
    data = json.loads(out)
    assert sp.Rational(data["at"]["values"]["ratio"]) == sp.Rational(7, 2)


def test_verify_all_and_list():
    code, out, _ = run("verify", "--all")
    assert code == 0 and "dpo" in out
    # the finding of the catalogue: DiscoPOP (tau = 0.05) pushes x1 down on the diagonal
    footer = out.split("Wrong-way losses", 1)[1]
    assert "discopop" in footer and "0.0933" in footer
    assert " dpo " not in footer and "ipo " not in footer
    code, out, _ = run("list", "--json")
    assert code == 0 and json.loads(out)["variants"][0]["variant"] == "dpo"


def test_verify_table_fits_100_columns_with_marks_and_a_wide_form():
    import io

    from dpo_proofs.cli.app import main

    code, out, _ = run("verify", "dpo", "simpo", "discopop", "--quiet")
    assert code == 0
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 100
    row = next(line for line in lines if line.startswith("dpo "))
    assert row.split()[1:8] == ["x1/x2", "\u2713", "\u2713", "\u2713", "\u2713", "\u2713",
                                "\u2713"]
    assert "wrong-way" in next(line for line in lines if line.startswith("discopop"))
    assert "simpo            R=1 holds exactly when n_w = n_l" in out
    code, wide, _ = run("verify", "dpo", "--wide", "--quiet")
    assert "x1_increases=proved(symbolic)" in wide
    # an output that cannot encode the marks gets ASCII ones
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    assert main(["verify", "dpo", "--quiet"], stream, io.StringIO()) == 0
    stream.flush()
    text = raw.getvalue().decode("ascii")
    assert next(line for line in text.splitlines() if line.startswith("dpo ")).split()[2] == "+"


def test_verify_table_takes_the_terminals_width(monkeypatch):
    """In an 80-column terminal no line of the report wraps; in a 200-column one R is
    shown further before the ellipsis; a pipe gets the 100-column report."""
    import io

    from dpo_proofs.cli.app import main

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    out = {}
    for columns in (80, 200):
        monkeypatch.setenv("COLUMNS", str(columns))
        stream = Terminal()
        assert main(["verify", "dpo", "simpo", "discopop", "cpo", "--quiet"], stream,
                    io.StringIO()) == 0
        out[columns] = stream.getvalue().splitlines()
        assert max(len(line) for line in out[columns]) <= columns, columns
    row = {c: next(l for l in out[c] if l.startswith("cpo ")) for c in out}
    shown = {c: row[c][17:].split("  ")[0].rstrip("\u2026 ") for c in out}
    assert len(shown[200]) > len(shown[80]) and shown[200].startswith(shown[80])
    # the paper's claim refuted: every point in full, wrapped rather than cut
    points = {c: "".join(l.strip() for l in out[c] if l.startswith(" ")) for c in out}
    assert "x1=" in points[80] and "x2=" in points[80]
    monkeypatch.setenv("COLUMNS", "80")
    code, piped, _ = run("verify", "dpo", "simpo", "discopop", "cpo", "--quiet")
    assert code == 0 and max(len(line) for line in piped.splitlines()) > 80


def test_verify_table_writes_r_as_mathematics_not_sympy():
    """The R column is read by people: no **, Abs(...), Piecewise((nan, ...)) or *."""
    import io

    from dpo_proofs.cli.app import main

    code, out, _ = run("verify", "hinge", "nca_pair", "dpop", "--quiet")
    assert code == 0
    rows = {line.split()[0]: line for line in out.splitlines()
            if line.startswith(("hinge ", "nca_pair ", "dpop "))}
    # hinge's R is x1/x2 wherever dL/dx1 != 0 and undefined on its flat part
    assert rows["hinge"].split()[1:4] == ["x1/x2", "where", "defined"]
    assert rows["nca_pair"][17:].startswith("x1\u00b7x2^(\u03b2 \u2212 1)\u00b7")
    assert rows["dpop"][17:].startswith("piecewise: x1/x2 | x1/(x2\u00b7(\u2026")
    for row in rows.values():
        assert not any(bad in row for bad in ("**", "Abs(", "Piecewise", "nan", "*"))
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    assert main(["verify", "nca_pair", "--quiet"], stream, io.StringIO()) == 0
    stream.flush()
    row = next(line for line in raw.getvalue().decode("ascii").splitlines()
               if line.startswith("nca_pair"))
    assert row[17:].startswith("x1*x2^(beta - 1)*")

"""Bad input: every reported hostile input is a one-line error with exit 2, quickly;
files are written as a careful Unix tool writes them (atomic, no symlinks followed,
umask respected, nothing left behind)."""
from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sympy as sp

from cli_run import run
from dpo_proofs.errors import InvalidArgument, UnsafeExpression
from dpo_proofs.files import OutputError, json_safe, write_atomic
from dpo_proofs.loss.parser import MAX_DEPTH, parse_expression
from dpo_proofs.loss.symbols import BETA, X1, parse_number, x1, x2

ROOT = Path(__file__).resolve().parents[1]
#: A guard against hangs only; the inputs below fail in well under a second when idle.
GUARD_SECONDS = 60


def cli(*argv: str, env: dict | None = None, cwd: Path | None = None,
        timeout: float = GUARD_SECONDS) -> subprocess.CompletedProcess:
    """``python -m dpo_proofs ARGV`` in a subprocess with this worktree first on the path."""
    environment = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
    return subprocess.run([sys.executable, "-m", "dpo_proofs", *argv], cwd=cwd or ROOT,
                          env=environment, capture_output=True, text=True, timeout=timeout)


def assert_one_line_error(code: int, err: str, *words: str) -> None:
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("dpo-proofs: error: "), err
    assert "Traceback" not in err
    for w in words:
        assert w.lower() in lines[0].lower(), (w, lines[0])


# --- reported inputs, in-process (fast) ---------------------------------------------------

BAD = [
    (("analyze", "dpo", "--param", "beta=1/0"), "division by zero"),
    (("analyze", "dpo", "--at", "x1=1/0"), "division by zero"),
    (("check", "dpo", "ratio > 1", "--param", "beta=1..1/0"), "division by zero"),
    (("check", "dpo", "ratio > 1", "--param", "beta=nan..1"), "not a finite"),
    (("analyze", "dpo", "--budget", "nan"), "budget"),
    (("analyze", "dpo", "--budget", "inf"), "budget"),
    (("analyze", "dpo", "--budget", "1e300"), "budget"),
    (("analyze", "dpo", "--budget", "-1"), "budget"),
    (("check", "dpo", "ratio > 1", "--budget", "nan"), "budget"),
    (("dynamics", "dpo", "--budget", "inf"), "budget"),
    (("frames", "dpo", "--budget", "0"), "budget"),
    (("derive", "dpo", "--budget", "1e999"), "budget"),
    (("analyze", "--expr", "x1 + 1e999999999"), "exponent"),
    (("analyze", "dpo", "--at", "x1=1e-99999999"), "exponent"),
    (("analyze", "dpo", "--param", "beta=1e-99999999"), "exponent"),
    (("check", "dpo", "ratio > 1e99999999"), "exponent"),
    (("check", "dpo", "ratio > 1", "--domain", "x1 > 1e-99999999"), "exponent"),
    (("analyze", "dpo", "--param", "beta=1e400"), "1e300"),
    (("analyze", "dpo", "--param", "beta=" + "9" * 150), "digits"),
    (("analyze", "--expr", "((x1 + x2 + 1)**1000)**1000"), "degree"),
    (("analyze", "--expr", "(x1 + 1)**1000 * (x2 + 1)**1000"), "degree"),
    (("analyze", "--expr", "x1 * 10**1000 * 10**1000"), "too large"),
    (("analyze", "--expr", "x1/0 + x2"), "division by zero"),
    (("analyze", "--expr", "-log(x1) + ratio*x2", "--param", "ratio=(0,oo)"), "reserved"),
    (("analyze", "--expr", "-log(x1) + x1_0*x2", "--param", "x1_0=(0,oo)"), "reserved"),
    (("analyze", "--expr", "-log(x1) + _b*x2", "--param", "_b=(0,oo)"), "not allowed"),
    (("analyze", "--expr", "-log(x1) + b*x2", "--param", "b=(0,1e99999)"), "domain"),
    (("analyze", "dpo", "--no-such-option"), "unrecognized"),
    (("analyze", "dpo", "--at", "x1=nan"), "finite"),
    (("analyze", "dpo", "--at", "x1=0x10"), "not a number"),
    (("dynamics", "dpo", "--start", "0.3,1/0"), "division by zero"),
]


@pytest.mark.parametrize("argv,word", BAD, ids=[" ".join(a)[:50] for a, _ in BAD])
def test_reported_bad_input_is_one_line_exit_2(argv, word):
    code, _, err = run(*argv)
    assert_one_line_error(code, err, word)


# --- the same through a real process: no traceback, quick --------------------------------

@pytest.mark.parametrize("argv", [
    ("analyze", "--expr", "x1 + 1e999999999"),
    ("analyze", "dpo", "--at", "x1=1e-99999999"),
    ("check", "dpo", "ratio > 1e99999999"),
    ("analyze", "dpo", "--param", "beta=1e400"),
    ("analyze", "dpo", "--budget", "nan"),
])
def test_hangs_are_now_quick_one_line_errors(argv):
    start = time.monotonic()
    done = cli(*argv)
    assert_one_line_error(done.returncode, done.stderr)
    # generous: only a hang (the reported minutes) fails this, not a loaded machine
    assert time.monotonic() - start < GUARD_SECONDS


def test_a_user_parameter_named_like_an_internal_symbol():
    # field.py's limit used a Symbol('b', positive=True): a user's b collided (IndexError)
    # dL/dx2 = b*beta*x2**(beta - 1): split at beta = 1 through internal dummies, and
    # at beta = 1 the limit is the user's b (by hand).
    code, out, err = run("analyze", "--expr", "-log(x1) + b*x2**beta", "--param", "b=(0,oo)",
                         "--budget", "60")
    assert "Traceback" not in err and code in (0, 1), err
    assert "lim x2->0+ dL/dx2 (beta = 1) = b" in out
    assert "lim x2->0+ dL/dx2 (beta < 1) = \u221e" in out   # +infinity, printed for people


def test_value_where_the_quantity_is_undefined_is_reported_not_raised():
    code, out, err = run("analyze", "orpo", "--at", "x1=1,x2=1", "--json", "--budget", "60")
    assert err == "" or "Traceback" not in err
    values = json.loads(out)["at"]["values"]
    assert values["loss"].startswith("undefined")


# --- parser: legitimate inputs accepted, nesting still bounded ----------------------------

def test_a_99_term_sum_parses():
    text = " + ".join(f"{i}*x1**{i % 3 + 1}*x2" for i in range(1, 100))
    expr = parse_expression(text)
    assert expr == sp.Add(*[i * x1 ** (i % 3 + 1) * x2 for i in range(1, 100)])
    text = " * ".join(["x1"] * 50 + ["x2"] * 49) + " / x2"
    assert parse_expression(text) == x1 ** 50 * x2 ** 48


def test_genuine_nesting_is_still_bounded():
    deep = "log(" * (MAX_DEPTH + 5) + "x1" + ")" * (MAX_DEPTH + 5)
    with pytest.raises(UnsafeExpression, match="nested too deeply"):
        parse_expression(deep)
    with pytest.raises(UnsafeExpression):
        parse_expression("(" * 5000 + "x1" + ")" * 5000 if False else "-" * 1990 + "x1")


def test_subtraction_and_division_chains_keep_their_meaning():
    assert parse_expression("x1 - x2 - 3 + 1/2") == x1 - x2 - sp.Rational(5, 2)
    assert parse_expression("x1 / x2 / 4 * 2") == x1 / (2 * x2)


@pytest.mark.parametrize("text,value", [
    ("0.5", sp.Rational(1, 2)), ("-1e-3", sp.Rational(-1, 1000)), ("1/3", sp.Rational(1, 3)),
    ("2.5e2/7", sp.Rational(250, 7)), ("1e-1000", sp.Rational(1, 10 ** 1000)),
])
def test_numbers_read_exactly(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text,word", [
    ("1/0", "division by zero"), ("1e1001", "magnitude"), ("1e-1001", "magnitude"),
    ("1e999999999", "exponent"), ("nan", "finite"), ("inf", "finite"), ("1+1", "not a number"),
    ("1" * 101, "digits"), ("x" * 1000, "longer"),
])
def test_numbers_refused(text, word):
    with pytest.raises(InvalidArgument, match=word):
        parse_number(text)


def test_parameter_validate_refuses_non_finite_floats_and_huge_values():
    for value in (float("nan"), float("inf"), 1e301, "1e400"):
        with pytest.raises(InvalidArgument):
            BETA.validate(value)
    assert BETA.validate(0.1) == sp.Rational(1, 10)
    assert X1.validate("1e-300") == sp.Rational(1, 10 ** 300)


# --- check-impl on user code that misbehaves ---------------------------------------------

IMPL = textwrap.dedent("""
    import numpy as np
    def wrong_signature(a): return a
    def raises(a, b, c, d, **k): raise RuntimeError("boom")
    def string(a, b, c, d, **k): return "x"
    def none(a, b, c, d, **k): return None
    def complex_value(a, b, c, d, **k): return a * 1j
    def nan(a, b, c, d, **k): return np.full_like(a, np.nan)
    def exits(a, b, c, d, **k):
        import sys
        sys.exit(0)
""")


@pytest.mark.parametrize("name,word", [
    ("wrong_signature", "cannot be called"), ("raises", "RuntimeError: boom"),
    ("string", "returned str"), ("none", "returned NoneType"), ("complex_value", "complex"),
    ("exits", "sys.exit(0)"),
])
def test_check_impl_names_the_function_and_what_went_wrong(name, word, tmp_path):
    module = tmp_path / "impl.py"
    module.write_text(IMPL)
    done = cli("check-impl", f"{module}:{name}", "dpo")
    assert_one_line_error(done.returncode, done.stderr, name, word)


def test_check_impl_on_a_module_with_a_syntax_error(tmp_path):
    module = tmp_path / "broken.py"
    module.write_text("def f(:\n")
    done = cli("check-impl", f"{module}:f", "dpo")
    assert_one_line_error(done.returncode, done.stderr, "broken.py:1", "syntax error")


def test_check_impl_json_is_valid_json_when_the_implementation_returns_nan(tmp_path):
    module = tmp_path / "impl.py"
    module.write_text(IMPL)
    done = cli("check-impl", f"{module}:nan", "dpo", "--json")
    assert done.returncode == 1, done.stderr

    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")

    report = json.loads(done.stdout, parse_constant=refuse)
    assert report["ok"] is False and report["max_rel_error"] in ("nan", "inf")


def test_json_safe_renders_non_finite_floats_as_strings():
    data = json_safe({"a": [float("nan"), float("inf"), -float("inf"), 1.5]})
    assert json.dumps(data, allow_nan=False) == '{"a": ["nan", "inf", "-inf", 1.5]}'


# --- files ---------------------------------------------------------------------------------

def test_write_atomic_refuses_a_symlink_and_leaves_its_target_alone(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("secret")
    link = tmp_path / "out.tex"
    link.symlink_to(victim)
    with pytest.raises(OutputError, match="symbolic link"):
        write_atomic(link, "new")
    assert victim.read_text() == "secret" and link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tex", "victim"]


def test_write_atomic_refuses_devices_and_directories(tmp_path):
    with pytest.raises(OutputError, match="not a regular file"):
        write_atomic(Path("/dev/null"), "x")
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)
    with pytest.raises(OutputError, match="directory"):
        write_atomic(tmp_path, "x")


def test_write_atomic_respects_the_umask_and_keeps_an_existing_mode(tmp_path):
    old = os.umask(0o027)
    try:
        new = write_atomic(tmp_path / "new.txt", "a")
    finally:
        os.umask(old)
    assert stat.S_IMODE(new.stat().st_mode) == 0o640
    existing = tmp_path / "existing.txt"
    existing.write_text("old")
    existing.chmod(0o644)
    old = os.umask(0o077)
    try:
        write_atomic(existing, "new")
    finally:
        os.umask(old)
    assert stat.S_IMODE(existing.stat().st_mode) == 0o644 and existing.read_text() == "new"


def test_write_atomic_leaves_no_temporary_after_a_failure(tmp_path, monkeypatch):
    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OutputError, match="No space left"):
        write_atomic(tmp_path / "out.txt", "data")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_unwritable_target_is_a_one_line_error(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        code, _, err = run("derive", "dpo", "--format", "md", "--budget", "1",
                           "-o", str(locked / "dpo.md"))
    finally:
        locked.chmod(0o700)
    assert_one_line_error(code, err, "cannot write")


def test_derive_refuses_a_symlink_or_device_before_deriving(tmp_path):
    victim = tmp_path / "victim.tex"
    victim.write_text("secret")
    (tmp_path / "dpo.tex").symlink_to(victim)
    start = time.monotonic()
    code, _, err = run("derive", "dpo", "-o", str(tmp_path / "dpo.tex"), "--no-figures")
    assert_one_line_error(code, err, "symbolic link")
    assert time.monotonic() - start < GUARD_SECONDS
    assert victim.read_text() == "secret"
    code, _, err = run("derive", "dpo", "-o", "/dev/null", "--no-figures")
    assert_one_line_error(code, err, "not a regular file")


def test_plot_never_writes_through_a_symlink_at_the_old_temporary_name(tmp_path):
    pytest.importorskip("matplotlib")
    victim = tmp_path / "victim"
    victim.write_text("secret")
    (tmp_path / ".f.png.tmp.png").symlink_to(victim)
    code, _, err = run("plot", "dpo", "-o", str(tmp_path / "f.png"))
    assert code == 0, err
    assert victim.read_text() == "secret"
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [".f.png.tmp.png", "f.png", "victim"]


def test_memory_limit_variable_is_validated():
    done = cli("list", env={"DPO_PROOFS_MEMORY_LIMIT": "lots"})
    assert_one_line_error(done.returncode, done.stderr, "DPO_PROOFS_MEMORY_LIMIT")
    from dpo_proofs.cli.app import DEFAULT_MEMORY_LIMIT, memory_limit

    assert memory_limit({}) == DEFAULT_MEMORY_LIMIT
    assert memory_limit({"DPO_PROOFS_MEMORY_LIMIT": "0"}) is None
    assert memory_limit({"DPO_PROOFS_MEMORY_LIMIT": "512M"}) == 512 * 2 ** 20


def test_out_of_memory_is_a_one_line_error():
    # 200 MB of address space cannot hold a 10**9-element list: MemoryError, reported
    code = textwrap.dedent("""
        import sys
        import dpo_proofs.cli.app as cli
        cli._cmd_list = lambda *a: [0] * 10**9
        def handler(args, stdout, stderr):
            return [0] * 10**9
        parser = cli.build_parser
        def build():
            p = parser()
            p._subparsers._group_actions[0].choices["list"].set_defaults(handler=handler)
            return p
        cli.build_parser = build
        sys.argv = ["dpo-proofs", "list"]
        cli.main_exit()
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=GUARD_SECONDS,
                          env=dict(os.environ, PYTHONPATH=str(ROOT),
                                   DPO_PROOFS_MEMORY_LIMIT="1G"))
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("dpo-proofs: error: out of memory"), done.stderr
    assert len(done.stderr.splitlines()) == 1


def _catches(pid: int, signum: int) -> bool:
    """Whether process ``pid`` has installed a handler for ``signum`` (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    return False


def test_sigterm_runs_cleanups(tmp_path):
    # A derivation killed with SIGTERM must leave no temporary file beside its target.
    # --no-cache: the derivation is really under way (not read from the disk cache in a
    # moment); the signal is sent once the handler is installed (read from the kernel's
    # mask of caught signals), not after a guessed delay that a loaded machine outlasts.
    proc = subprocess.Popen([sys.executable, "-m", "dpo_proofs", "--no-cache", "derive",
                             "kto_pair", "-o", str(tmp_path / "k.tex"), "--no-figures"],
                            cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + GUARD_SECONDS
    while not _catches(proc.pid, signal.SIGTERM):
        assert proc.poll() is None and time.monotonic() < deadline, "no SIGTERM handler"
        time.sleep(0.05)
    time.sleep(0.5)  # into the derivation
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=GUARD_SECONDS)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_typos_get_the_nearest_name():
    code, out, err = run("check", "dpo", "ratio > 1", "--parm", "beta=1")
    assert code == 2 and "did you mean --param?" in err and "check --help" in err
    code, out, err = run("check", "dpo", "ratoi > 1")
    assert code == 2 and "did you mean 'ratio'?" in err
    # a built-in claim's name, mistyped
    code, out, err = run("check", "dpo", "dispreferred_fastr")
    assert code == 2 and "did you mean 'dispreferred_faster'?" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    code, out, err = run("theorem", "--json", "--compact")
    assert code == 0 and out.count("\n") == 1


def test_one_range_notation_for_check_and_analyze():
    # check's LOW..HIGH is accepted where analyze --expr declares a parameter's domain,
    # and analyze's closed interval [LOW, HIGH] where check ranges a constant
    import sympy as sp
    from dpo_proofs.loss.user import parse_domain
    from dpo_proofs.verdicts.claim_text import parse_range

    assert parse_domain("0.01..10") == sp.Interval(sp.Rational(1, 100), 10)
    assert parse_domain("0..oo") == sp.Interval.Ropen(0, sp.oo)
    assert parse_range("[0.01, 10]") == parse_range("0.01..10") == (sp.Rational(1, 100), 10)
    code, out, err = run("check", "dpo", "ratio > 1", "--param", "beta=(0,oo)")
    assert code == 2 and "LOW..HIGH or [LOW, HIGH]" in err and err.count("\n") == 1
    code, out, err = run("analyze", "--expr=-log(sigmoid(gamma*log(x1/x2)))",
                         "--param", "gamma=0.01..10", "--json")
    assert code == 0, err

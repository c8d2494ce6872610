"""The derivation cache: keyed by content, shared, corruption-proof, bounded, optional."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
import sympy as sp

from dpo_proofs import cache, get_variant
from dpo_proofs.budget import time_budget
from dpo_proofs.errors import DerivationTimeout
from dpo_proofs.pipeline import analyze
from cli_run import run


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def _entries(root, kind="*"):
    return sorted(p for p in root.glob(f"{kind}/??/*") if not p.name.startswith("."))


def _counting(monkeypatch):
    """Count the real derivations behind analyze (cache misses)."""
    from dpo_proofs import pipeline

    calls = []
    real = pipeline._analyze

    def counted(*args, **kwargs):
        calls.append(args[0].name)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "_analyze", counted)
    return calls


def _verdicts(analysis):
    return json.dumps([v.to_json() for v in analysis.verdicts], sort_keys=True)


def test_a_second_identical_call_is_served_from_disk_with_the_same_result(cache_dir,
                                                                          monkeypatch):
    calls = _counting(monkeypatch)
    first = analyze("ipo", quantities=False)
    second = analyze("ipo", quantities=False)
    assert calls == ["ipo"]
    assert _verdicts(first) == _verdicts(second)
    assert first.field.ratio == second.field.ratio
    assert len(_entries(cache_dir, "analysis")) == 1
    # another constant is another entry, derived afresh
    analyze("ipo", params={"beta": "1/4"}, quantities=False)
    assert calls == ["ipo", "ipo"]
    # the full analysis adds the on-demand quantities to the cached lean one: a new
    # entry, no new field derivation, and the same verdicts
    full = analyze("ipo", quantities=True)
    assert calls == ["ipo", "ipo"] and len(_entries(cache_dir, "analysis")) == 3
    assert _verdicts(full) == _verdicts(first) and full.field.conserved is not None
    assert "conserved" in full.field._lazy


def test_the_key_is_the_content_not_the_name():
    dpo = get_variant("dpo")
    k = cache.content_key("analysis", dpo, {}, True, None, False)
    assert k == cache.content_key("analysis", get_variant("sigmoid"), {}, True, None, False)
    changed = dpo.__class__(**{**dpo.__dict__, "expr": dpo.expr * 2})
    assert k != cache.content_key("analysis", changed, {}, True, None, False)
    # the same name with other assumptions is another symbol, hence another key
    assert cache.content_key("x", sp.Symbol("a")) != cache.content_key(
        "x", sp.Symbol("a", positive=True))
    # the code is part of the key
    assert len(cache.code_fingerprint()) == 64
    with pytest.raises(TypeError):
        cache.content_key("x", object())


def test_a_corrupt_entry_is_detected_and_derived_again(cache_dir, monkeypatch):
    calls = _counting(monkeypatch)
    good = _verdicts(analyze("dpo", quantities=False))
    (entry,) = _entries(cache_dir, "analysis")
    raw = bytearray(entry.read_bytes())
    raw[-10] ^= 0xFF  # a flipped byte in the payload
    entry.write_bytes(bytes(raw))
    assert _verdicts(analyze("dpo", quantities=False)) == good
    entry.write_bytes(b"garbage")  # a truncated or foreign file
    assert _verdicts(analyze("dpo", quantities=False)) == good
    assert calls == ["dpo", "dpo", "dpo"]
    assert _verdicts(analyze("dpo", quantities=False)) == good  # rewritten, now a hit
    assert calls == ["dpo", "dpo", "dpo"]


def test_a_result_a_budget_cut_short_is_returned_but_not_kept(cache_dir):
    def compute():
        try:
            with time_budget(0.05, "a slow step"):
                sum(i for i in range(10**9))
        except DerivationTimeout:
            return "incomplete"
        return "complete"

    assert cache.cached("test", ("slow",), compute) == "incomplete"
    assert _entries(cache_dir) == []
    assert cache.cached("test", ("fast",), lambda: "complete") == "complete"
    assert len(_entries(cache_dir)) == 1


def test_off_keeps_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, "off")
    assert cache.cache_dir() is None
    calls = []
    for _ in range(2):
        cache.cached("test", ("k",), lambda: calls.append(1))
    assert calls == [1, 1]


def test_the_cache_is_bounded_least_recently_used_first(cache_dir, monkeypatch):
    monkeypatch.setenv(cache.CACHE_SIZE_ENV, str(20_000))
    for i in range(10):
        cache.cached("test", (i,), lambda: "x" * 3000)
    total = sum(p.stat().st_size for p in _entries(cache_dir))
    assert total <= 20_000
    assert 0 < len(_entries(cache_dir)) < 10


def test_unpicklable_values_are_not_kept(cache_dir):
    assert cache.cached("test", ("f",), lambda: (lambda: 1))() == 1
    assert _entries(cache_dir) == []


def test_cli_cache_dir_and_no_cache(tmp_path, monkeypatch):
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    here = tmp_path / "here"
    code, out, _ = run("--cache-dir", str(here), "verify", "ipo")
    assert code == 0 and len(_entries(here)) == 1
    assert os.environ.get(cache.CACHE_ENV) is None  # restored after the command
    code, again, _ = run("--cache-dir", str(here), "verify", "ipo")
    assert code == 0 and again == out
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "env"))
    code, _, _ = run("--no-cache", "verify", "ipo")
    assert code == 0 and not (tmp_path / "env").exists()


def test_two_concurrent_runs_share_one_cache(tmp_path):
    """Two processes deriving the same variants at once into one cache: both print the
    same table, every entry left behind is whole, and a third run is served from it."""
    env = {**os.environ, cache.CACHE_ENV: str(tmp_path / "shared")}
    argv = [sys.executable, "-m", "dpo_proofs", "verify", "dpo", "ipo", "--jobs", "1"]
    procs = [subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=600)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs) and outs[0] == outs[1]
    entries = _entries(tmp_path / "shared")
    # an analysis and a field per variant
    assert len(_entries(tmp_path / "shared", "analysis")) == 2
    assert len(_entries(tmp_path / "shared", "field")) == 2
    for entry in entries:
        assert entry.read_bytes().startswith(cache.MAGIC)
    third = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    assert third.stdout == outs[0]


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_on_a_terminal_and_silent_in_a_pipe(cache_dir):
    from dpo_proofs.cli import main

    pipe, terminal, out = io.StringIO(), _Terminal(), io.StringIO()
    assert main(["verify", "dpo", "ipo", "--jobs", "1"], out, pipe) == 0
    assert pipe.getvalue() == ""
    assert main(["verify", "dpo", "ipo", "--jobs", "1"], io.StringIO(), terminal) == 0
    assert "verify" in terminal.getvalue() and "2/2" in terminal.getvalue()
    quiet = _Terminal()
    assert main(["verify", "dpo", "ipo", "--quiet"], io.StringIO(), quiet) == 0
    assert quiet.getvalue() == ""

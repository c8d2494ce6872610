"""A content-addressed disk cache of derivations, shared by every front door.

An entry is a result of the pipeline (an ``Analysis``, a ``Derivation``) stored under
the SHA-256 of everything it was derived from:

* the *code*: a fingerprint of every source file of the package, and the versions of
  Python, sympy and mpmath (so an edited prover never serves a result of the old one);
* the *input*: the loss, its constants, the frame and the options, written out field
  by field with ``sympy.srepr`` (exact, assumptions included; see ``content_key``).

Like Hypothesis' example database, the cache is a directory of files, one per entry:
``<dir>/<kind>/<key[:2]>/<key>``. An entry is the header ``MAGIC``, the SHA-256 of
its payload, and the payload (a pickle). It is written atomically (a temporary file
renamed over the entry), so concurrent writers never leave half an entry; a reader
that finds a wrong header, a wrong digest or a payload that does not unpickle deletes
the entry and derives again, so a corrupt entry costs time, never a verdict.

Only results that depended on no clock are stored: if any time budget (``budget``) ran
out while a result was derived, it is returned but not kept.

Location: ``$DPO_PROOFS_CACHE`` (a directory; ``0``/``off`` disables the cache), else
``$XDG_CACHE_HOME/dpo_proofs``, else ``~/.cache/dpo_proofs``; the CLI's ``--cache-dir``
and ``--no-cache`` set the same variable for the run. The directory is bounded by
``$DPO_PROOFS_CACHE_SIZE`` (bytes, default 512 MiB): past it, the least recently used
entries go first. Entries are pickles: point the cache only at a directory you own.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import pickle
import platform
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import mpmath
import sympy as sp

from .budget import expiries, seeded
from .errors import InvalidArgument
from .files import OutputError, write_atomic

__all__ = ["CACHE_ENV", "CACHE_SIZE_ENV", "cache_dir", "cached", "content_key",
           "code_fingerprint", "clear", "stats"]

CACHE_ENV = "DPO_PROOFS_CACHE"
CACHE_SIZE_ENV = "DPO_PROOFS_CACHE_SIZE"
DEFAULT_SIZE = 512 * 2**20
MAGIC = b"dpo-proofs-cache 1\n"
_OFF = {"0", "off", "no", "false", "none"}

T = TypeVar("T")


def cache_dir() -> Path | None:
    """The cache's directory, or None when the cache is off (see the module docstring)."""
    text = os.environ.get(CACHE_ENV, "").strip()
    if text.lower() in _OFF:
        return None
    if text:
        return Path(text).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or Path.home() / ".cache"
    return Path(base) / "dpo_proofs"


def _size_limit() -> int:
    text = os.environ.get(CACHE_SIZE_ENV, "").strip()
    if not text:
        return DEFAULT_SIZE
    if not text.isdigit():
        raise InvalidArgument(f"{CACHE_SIZE_ENV}={text!r} must be a number of bytes")
    return int(text)


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 of the package's source files (path and bytes) and the versions it uses."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    for version in (platform.python_version(), sp.__version__, mpmath.__version__):
        digest.update(version.encode() + b"\0")
    return digest.hexdigest()


def _describe(value: object) -> str:
    """An exact, deterministic text of a cache key's part (TypeError if it has none)."""
    if isinstance(value, sp.Basic):
        return "S:" + sp.srepr(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = ",".join(f"{f.name}={_describe(getattr(value, f.name))}"
                          for f in dataclasses.fields(value))
        return f"{type(value).__qualname__}({fields})"
    if isinstance(value, Mapping):
        items = sorted((_describe(k), _describe(v)) for k, v in value.items())
        return "{" + ",".join(f"{k}:{v}" for k, v in items) + "}"
    if isinstance(value, (tuple, list)):
        return "(" + ",".join(_describe(v) for v in value) + ")"
    if value is None or isinstance(value, (str, int, float, bool)):
        return repr(value)
    raise TypeError(f"no exact description of a {type(value).__name__} for a cache key")


def content_key(kind: str, *parts: object) -> str:
    """The entry's key: SHA-256 of the code fingerprint, ``kind`` and the parts' texts."""
    digest = hashlib.sha256(code_fingerprint().encode())
    digest.update(b"\0" + kind.encode())
    for part in parts:
        digest.update(b"\0" + _describe(part).encode())
    return digest.hexdigest()


def _path(root: Path, kind: str, key: str) -> Path:
    return root / kind / key[:2] / key


_MISSING = object()


def _load(path: Path):
    try:
        raw = path.read_bytes()
    except OSError:
        return _MISSING
    head, digest, payload = raw[:len(MAGIC)], raw[len(MAGIC):len(MAGIC) + 32], \
        raw[len(MAGIC) + 32:]
    try:
        if head != MAGIC or hashlib.sha256(payload).digest() != digest:
            raise ValueError("corrupt cache entry")
        value = pickle.loads(payload)
    except Exception:  # corrupt or from an incompatible build: derive again
        try:
            path.unlink()
        except OSError:
            pass
        return _MISSING
    try:
        os.utime(path)  # least recently used goes first when pruning
    except OSError:
        pass
    return value


def _store(root: Path, path: Path, value: object) -> None:
    try:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
        return  # not a value (holds a function): derived each time, never wrong
    try:
        write_atomic(path, MAGIC + hashlib.sha256(payload).digest() + payload)
    except OutputError:
        return  # a read-only or full disk: the cache is an optimisation only
    _prune(root, _size_limit())


def _entries(root: Path) -> list[tuple[float, int, Path]]:
    out = []
    for path in root.glob("*/??/*"):
        if path.name.startswith("."):
            continue  # a writer's temporary file
        try:
            info = path.stat()
        except OSError:
            continue
        out.append((info.st_mtime, info.st_size, path))
    return out


def _prune(root: Path, limit: int) -> None:
    entries = _entries(root)
    total = sum(size for _, size, _ in entries)
    if total <= limit:
        return
    for _, size, path in sorted(entries, key=lambda e: (e[0], str(e[2]))):
        if total <= limit * 0.8:
            break
        try:
            path.unlink()
            total -= size
        except OSError:
            pass


def cached(kind: str, parts: tuple, compute: Callable[[], T],
           also: Sequence[tuple] = ()) -> T:
    """``compute()``, or the value stored under (kind, parts) by an earlier identical call.

    ``also``: other parts whose stored value serves as well (a fuller result of the same
    derivation), looked up first. Parts without an exact description (see
    ``content_key``) bypass the cache.
    """
    root = cache_dir()
    if root is None:
        return _seeded(compute)
    try:
        key = content_key(kind, *parts)
        others = [content_key(kind, *p) for p in also]
    except TypeError:
        return _seeded(compute)
    for other in others:
        value = _load(_path(root, kind, other))
        if value is not _MISSING:
            return value
    path = _path(root, kind, key)
    value = _load(path)
    if value is not _MISSING:
        return value
    before = expiries()
    value = _seeded(compute)
    if expiries() == before:  # derived without any budget running out
        _store(root, path, value)
    return value


def _seeded(compute: Callable[[], T]) -> T:
    # Every derivation draws the same "random" numbers inside sympy (see budget.seeded).
    with seeded():
        return compute()


def stats(root: Path | None = None) -> dict:
    """Entries and bytes in the cache, by kind."""
    root = cache_dir() if root is None else root
    out: dict = {}
    if root is None or not root.is_dir():
        return out
    for _, size, path in _entries(root):
        kind = path.parent.parent.name
        n, b = out.get(kind, (0, 0))
        out[kind] = (n + 1, b + size)
    return out


def clear(root: Path | None = None) -> int:
    """Delete every entry; returns how many went."""
    root = cache_dir() if root is None else root
    if root is None or not root.is_dir():
        return 0
    gone = 0
    for _, _, path in _entries(root):
        try:
            path.unlink()
            gone += 1
        except OSError:
            pass
    return gone

"""Writing output files as a careful Unix tool does: one atomic writer for the package.

``write_atomic`` writes to a fresh temporary file (``tempfile.mkstemp``: a unique name,
created with O_EXCL, so a symlink planted at a guessable name is never followed) in the
target's directory, then ``os.replace``s it over the target, so a reader sees the old
file or the new one, never half of one. Only a regular file (or nothing) is replaced: a
symlink, a device, a directory or a FIFO at the target is refused, since replacing it
would write somewhere the user did not name (``-o /dev/null`` as root would replace the
device). A new file gets mode 0666 & ~umask, an existing file keeps its mode. Every
failure is a one-line ``OutputError``; the temporary file is removed on any failure,
including SystemExit raised by the CLI's SIGTERM handler.
"""
from __future__ import annotations

import math
import os
import stat
import tempfile
from pathlib import Path

from .errors import DpoProofsError

__all__ = ["OutputError", "write_atomic", "check_target", "json_safe"]


class OutputError(DpoProofsError):
    """An output file that cannot or must not be written (the message names it)."""


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it: put it straight back
    os.umask(mask)
    return mask


def check_target(path: Path) -> os.stat_result | None:
    """The target's lstat when it is a regular file, None when absent; else OutputError."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror}") from None
    if stat.S_ISLNK(info.st_mode):
        raise OutputError(f"refusing to write {path}: it is a symbolic link "
                          "(name its target instead)")
    if stat.S_ISDIR(info.st_mode):
        raise OutputError(f"refusing to write {path}: it is a directory")
    if not stat.S_ISREG(info.st_mode):
        raise OutputError(f"refusing to write {path}: it is not a regular file "
                          "(a device, FIFO or socket)")
    return info


def write_atomic(path: str | os.PathLike, data: bytes | str) -> Path:
    """Replace ``path`` by ``data`` atomically (see the module docstring); returns the path."""
    path = Path(path)
    raw = data.encode() if isinstance(data, str) else bytes(data)
    existing = check_target(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create directory {path.parent}: "
                          f"{error.strerror or error}") from None
    mode = stat.S_IMODE(existing.st_mode) if existing else 0o666 & ~_umask()
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp",
                                   dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fchmod(handle.fileno(), mode)  # mkstemp creates 0600 whatever the umask
        check_target(path)  # still not a symlink or device (os.replace would not follow
        os.replace(tmp, path)  # one anyway: it replaces the link itself)
        tmp = None
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return path


def json_safe(value):
    """``value`` with every non-finite float replaced by "nan", "inf" or "-inf", so that
    ``json.dumps(..., allow_nan=False)`` emits valid JSON (JSON has no NaN/Infinity)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value

"""What every command shares: the exit codes, the budgets, and the parsing of options.

One table of each, so that no command invents its own.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import re
from collections.abc import Sequence
from typing import TextIO

from ..errors import DpoProofsError
from ..files import json_safe
from ..pipeline import DERIVE_BUDGET, FRAME_BUDGET

__all__ = ["EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "BUDGETS", "MAX_BUDGET",
           "budget_seconds", "jobs_count", "add_progress_options", "progress", "key_values", "output_marks",
           "dump_json", "UsageError", "Parser", "VARIANT_HELP", "add_weights_option",
           "variant_from_args"]

#: What a variant argument accepts (every command resolves it with loss.names.get_variant).
VARIANT_HELP = ("catalogue name, TRL loss_type, a reading NAME@CONVENTION (see 'readings') "
                "or a mixture such as sigmoid+bco_pair+sft")

#: Exit status: every check that must hold did / a check failed (or a claim is not
#: proved) / bad input, with a one-line error.
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

#: Default time budgets (seconds). They are safety nets for symbolic steps that might
#: not terminate, never part of a decision (searches and provers are bounded by counts),
#: so they are generous: a loaded machine must not change a verdict or a document.
BUDGETS = {
    "analyze": 120.0,     # one catalogued variant's derivation (analyze, verify, frames)
    "expr": 60.0,         # a user's --expr loss
    "check": 120.0,       # one claim
    "dynamics": 120.0,    # one frame's flow closed forms
    "derive": DERIVE_BUDGET,
    "frame": FRAME_BUDGET,
}
#: Longest time budget accepted on the command line (seconds).
MAX_BUDGET = 3600.0


def budget_seconds(text: str) -> float:
    """argparse type of --budget: a finite positive number of seconds, at most 3600."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or not 0 < value <= MAX_BUDGET:
        raise argparse.ArgumentTypeError(
            f"{text!r}: a budget must be a finite number of seconds in (0, {MAX_BUDGET:g}]")
    return value


def jobs_count(text: str) -> int:
    """argparse type of --jobs: worker processes, 1 to 256."""
    if not text.strip().isdigit() or not 1 <= int(text) <= 256:
        raise argparse.ArgumentTypeError(f"{text!r}: --jobs takes a whole number from 1 to 256")
    return int(text)


def add_progress_options(p: argparse.ArgumentParser) -> None:
    """--jobs and --quiet, for the commands that run over many variants."""
    p.add_argument("--jobs", "-j", type=jobs_count, default=None, metavar="N",
                   help="worker processes (default: one per CPU)")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="no progress bar on stderr (it is shown only on a terminal)")


@contextlib.contextmanager
def progress(total: int, what: str, stderr: TextIO, quiet: bool = False):
    """A progress bar on ``stderr`` (tqdm), yielding ``done(label)``; silent when stderr
    is not a terminal, with --quiet, or for a single item."""
    isatty = getattr(stderr, "isatty", lambda: False)
    if quiet or total < 2 or not isatty():
        yield lambda label: None
        return
    from tqdm import tqdm

    # mininterval=0: each variant takes seconds, so every finished one is worth a redraw
    with tqdm(total=total, desc=what, unit="variant", file=stderr, leave=False, mininterval=0,
              dynamic_ncols=True) as bar:
        def done(label: str) -> None:
            bar.set_postfix_str(label, refresh=False)
            bar.update(1)
        yield done


def output_marks(stdout: TextIO, marks: dict, fallback: dict) -> dict:
    """``marks`` (check and cross signs) where the output can encode them, else
    ``fallback`` (ASCII)."""
    try:
        "".join(marks.values()).encode(getattr(stdout, "encoding", None) or "utf-8")
        return marks
    except (UnicodeEncodeError, LookupError):
        return fallback


def key_values(items: Sequence[str] | None, what: str) -> dict[str, str]:
    """NAME=VALUE items (repeatable, comma-separated outside brackets) as a dict."""
    out: dict[str, str] = {}
    for item in items or ():
        # Split on commas outside brackets: "gamma=(0,oo),beta=1" is two items.
        for part in re.split(r",(?![^\(\[]*[\)\]])", item):
            name, sep, value = part.partition("=")
            if not sep or not name.strip() or not value.strip():
                raise DpoProofsError(f"{what} {part!r} must look like NAME=VALUE")
            out[name.strip()] = value.strip()
    return out


def dump_json(data, stream: TextIO, indent: int | None = 2) -> None:
    """Valid JSON on ``stream``: non-finite floats become "nan"/"inf" strings."""
    json.dump(json_safe(data), stream, indent=indent, allow_nan=False)
    stream.write("\n")


class UsageError(Exception):
    """An argparse error, raised instead of printed so that main writes one line."""


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: 'dpo-proofs: error: PROG: MESSAGE' from main."""

    def error(self, message: str):  # noqa: D401 - argparse's hook
        prog = self.prog.removeprefix("dpo-proofs").strip()
        raise UsageError((f"{prog}: " if prog else "") + message
                         + f" (see {self.prog} --help)")


def add_weights_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights", metavar="W1,W2,..", help="loss_weights of a mixture "
                   "VARIANT = a+b+..: one number > 0 per term, e.g. 0.8,0.2,1 (TRL's "
                   "loss_type=[...] with loss_weights=[...])")


def variant_from_args(name: str, weights: str | None):
    """The Loss named on the command line, with --weights applied to a mixture."""
    from ..loss.names import get_variant

    if weights is None:
        return get_variant(name)
    items = [w.strip() for w in weights.split(",")]
    if not all(items):
        raise DpoProofsError(f"--weights {weights!r} must be numbers separated by commas")
    return get_variant(name, weights=items)

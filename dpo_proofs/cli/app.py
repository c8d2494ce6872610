"""The command line: the parser, the entry point, one-line errors, signals and memory.

Each command group lives in its own module (analyze, check, docs, dynamics, frames,
impl); each handler is ``(args, stdout, stderr) -> int`` so tests can call it with
StringIO. Exit codes and budgets are the tables in ``options``.
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from ..cache import CACHE_ENV
from ..errors import DpoProofsError, Terminated
from . import analyze, check, docs, dynamics, frames, impl, literature, readings, train
from .options import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Parser, UsageError

__all__ = ["main", "main_exit", "build_parser", "memory_limit", "MEMORY_ENV",
           "DEFAULT_MEMORY_LIMIT"]

#: Environment variable bounding the process's address space (bytes, or with a K/M/G
#: suffix; 0 turns the limit off) and its default.
MEMORY_ENV = "DPO_PROOFS_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = 8 * 2**30


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="dpo-proofs",
        description="Formal symbolic verification of preference-optimization losses.",
        epilog="Exit status: 0 every check that must hold did; 1 a check failed "
               "(a high-precision confirmation, an equivalent form, a time budget); "
               "2 bad input (unknown variant, parameter outside its domain, unsafe "
               "expression, an output file that cannot be written), with a one-line error. "
               f"Memory is bounded ({MEMORY_ENV}, bytes or K/M/G, default 8G, 0 = off); "
               "running out of it is a one-line error with status 1. "
               "A refuted claim of the paper is a finding, not a failure.")
    parser.add_argument("--no-cache", action="store_true",
                        help=f"derive everything afresh, keep nothing (same as {CACHE_ENV}=off)")
    parser.add_argument("--cache-dir", metavar="DIR",
                        help=f"the derivation cache's directory (default ${CACHE_ENV}, else "
                        "~/.cache/dpo_proofs); entries are keyed by the package's code and "
                        "the loss's exact expression")
    sub = parser.add_subparsers(dest="command", required=True)

    for group in (analyze, docs, check, impl, frames, dynamics, literature, readings, train):
        group.add_subcommands(sub)
    return parser


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    stdout = sys.stdout if stdout is None else stdout
    stderr = sys.stderr if stderr is None else stderr
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:
            _unrecognized(parser, args, extra)
    except UsageError as error:
        return _error(stderr, error, EXIT_USAGE)
    except SystemExit as exit_:  # --help
        return EXIT_USAGE if exit_.code else EXIT_OK
    # The cache's location travels in the environment, so worker processes see it too;
    # restored afterwards (main is also called in-process, by tests and notebooks).
    saved = os.environ.get(CACHE_ENV)
    if args.no_cache:
        os.environ[CACHE_ENV] = "off"
    elif args.cache_dir:
        os.environ[CACHE_ENV] = str(Path(args.cache_dir).expanduser().resolve())
    try:
        return args.handler(args, stdout, stderr)
    except DpoProofsError as error:
        return _error(stderr, error, EXIT_USAGE)
    except MemoryError:
        return _error(stderr, "out of memory (the limit is set by the environment "
                      f"variable {MEMORY_ENV}; 0 turns it off)", EXIT_FAILED)
    finally:
        if saved is None:
            os.environ.pop(CACHE_ENV, None)
        else:
            os.environ[CACHE_ENV] = saved


def _unrecognized(parser: argparse.ArgumentParser, args, extra: Sequence[str]) -> None:
    """An unknown option, named with the command's nearest one (--parm: --param) and
    that command's help, not the top level's."""
    from difflib import get_close_matches

    sub = next(a for a in parser._subparsers._group_actions  # argparse keeps them there
               if isinstance(a, argparse._SubParsersAction)).choices[args.command]
    options = [o for a in sub._actions for o in a.option_strings]
    word = next((e for e in extra if e.startswith("-")), extra[0])
    near = get_close_matches(word.split("=")[0], options, n=1)
    raise UsageError(f"{args.command}: unrecognized arguments: {' '.join(extra)}"
                     + (f"; did you mean {near[0]}?" if near else "")
                     + f" (see dpo-proofs {args.command} --help)")


def _error(stderr: TextIO, error: object, code: int) -> int:
    """One line on stderr, whatever the message holds (newlines are folded)."""
    text = " | ".join(line.strip() for line in str(error).splitlines() if line.strip())
    stderr.write(f"dpo-proofs: error: {text or type(error).__name__}\n")
    return code


def _on_sigterm(signum, frame):
    raise Terminated(128 + signum)


def memory_limit(env: dict | None = None) -> int | None:
    """Bytes of address space from DPO_PROOFS_MEMORY_LIMIT (default 8 GiB; 0: no limit)."""
    from ..errors import InvalidArgument

    text = (os.environ if env is None else env).get(MEMORY_ENV, "").strip()
    if not text:
        return DEFAULT_MEMORY_LIMIT
    m = re.fullmatch(r"(\d{1,15})\s*([KMGT]?)i?B?", text, re.IGNORECASE)
    if not m:
        raise InvalidArgument(f"{MEMORY_ENV}={text!r} must be a number of bytes, optionally "
                              "with K, M, G or T (0: no limit)")
    value = int(m.group(1)) * 1024 ** "BKMGT".index((m.group(2) or "B").upper())
    return value or None


def _limit_memory(limit: int | None) -> None:
    """Lower RLIMIT_AS to ``limit`` (never raise it above the hard limit already set)."""
    try:
        import resource
    except ImportError:  # not on this platform
        return
    if limit is None:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft == resource.RLIM_INFINITY or limit < soft:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def main_exit() -> None:
    """Entry point of the ``dpo-proofs`` console script: SIGTERM handler, memory limit."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        try:
            _limit_memory(memory_limit())
        except DpoProofsError as error:
            sys.exit(_error(sys.stderr, error, EXIT_USAGE))
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.exit(code)

"""CLI: ``check-impl path/to/module.py:function VARIANT [--param NAME=VALUE] [--json]``.

Loads the user's own module from its path (their code, run as they asked) and reports
how its loss and gradients compare with the variant's math. Exit 0 agrees, 1 disagrees,
2 bad input.
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from typing import TextIO

from ..errors import DpoProofsError, ImplementationError, Terminated
from .options import dump_json, key_values

__all__ = ["add_subcommands", "load_function"]


def load_function(spec: str):
    """'path/to/module.py:function' -> the function object."""
    path_text, sep, name = spec.rpartition(":")
    if not sep or not path_text or not name.isidentifier():
        raise DpoProofsError(f"{spec!r} must look like path/to/module.py:function")
    path = Path(path_text)
    if not path.is_file():
        raise DpoProofsError(f"no such file: {path}")
    module_name = f"_dpo_proofs_user_{abs(hash(path.resolve()))}"
    loader = importlib.util.spec_from_file_location(module_name, path)
    if loader is None or loader.loader is None:
        raise DpoProofsError(f"cannot load {path} as a Python module")
    module = importlib.util.module_from_spec(loader)
    sys.modules[module_name] = module
    try:
        loader.loader.exec_module(module)
    except Terminated:
        raise
    except SyntaxError as error:
        raise ImplementationError(f"{path}:{error.lineno}: syntax error: {error.msg}",
                                  "SyntaxError") from None
    except SystemExit as error:
        raise ImplementationError(f"{path}: the module called sys.exit({error.code!r}) when "
                                  "loaded", "SystemExit") from None
    except (MemoryError, KeyboardInterrupt):
        raise
    except Exception as error:  # noqa: BLE001 - the user's module: report, one line
        message = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise ImplementationError(f"{path}: loading it raised {type(error).__name__}"
                                  + (f": {message[:200]}" if message else ""),
                                  type(error).__name__) from None
    fn = getattr(module, name, None)
    if not callable(fn):
        raise DpoProofsError(f"{path} has no function {name!r}")
    return fn


def _cmd_check_impl(args, stdout: TextIO, stderr: TextIO) -> int:
    from ..testing.implementation import check_implementation

    fn = load_function(args.function)
    report = check_implementation(fn, args.variant, key_values(args.param, "--param"),
                                  framework=args.framework)
    if args.json:
        dump_json(report.to_json(), stdout)
    else:
        stdout.write(str(report) + "\n")
    return 0 if report.ok else 1


def add_subcommands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check-impl", help="check a numpy/PyTorch/JAX implementation against the math",
        description="FUNCTION takes (policy_chosen_logps, policy_rejected_logps, "
        "ref_chosen_logps, ref_rejected_logps, **params). Its value and gradients "
        "(autograd, or central differences for numpy) are compared in the (x1, x2) frame "
        "with the variant's symbolic loss and partials at 50 digits.")
    p.add_argument("function", help="path/to/module.py:function")
    p.add_argument("variant", help="catalogue name or TRL loss_type")
    p.add_argument("--param", action="append", metavar="NAME=VALUE",
                   help="fix a constant, e.g. beta=0.1 (passed to FUNCTION if it takes it)")
    p.add_argument("--framework", choices=("torch", "jax", "numpy"), default=None,
                   help="default: the one FUNCTION's module imports")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_cmd_check_impl)

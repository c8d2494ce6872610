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
from .options import VARIANT_HELP, add_weights_option, dump_json, key_values

__all__ = ["add_subcommands", "load_function"]


def load_function(spec: str, what: str = "function"):
    """'path/to/module.py:NAME' -> the object NAME of that module (a function, or a
    method path such as Trainer.loss on an object the module defines)."""
    path_text, sep, name = spec.rpartition(":")
    if not sep or not path_text or not all(p.isidentifier() for p in name.split(".")):
        raise DpoProofsError(f"{spec!r} must look like path/to/module.py:{what}")
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
    obj = module
    for part in name.split("."):  # module.py:trainer.dpo_loss reaches a bound method
        obj = getattr(obj, part, None)
    if obj is None or (what == "function" and not callable(obj)):
        raise DpoProofsError(f"{path} has no {what} {name!r}")
    return obj


def _cmd_check_impl(args, stdout: TextIO, stderr: TextIO) -> int:
    from ..testing.implementation import check_implementation

    from ..loss.loss import Loss
    from .options import variant_from_args
    from .user import loss_from_args

    params = key_values(args.param, "--param")
    if args.expr is not None:
        if args.variant:
            raise DpoProofsError("give either a VARIANT or --expr, not both")
        loss, params = loss_from_args(args.expr, params)
    elif not args.variant:
        raise DpoProofsError("give the VARIANT to compare with, or --expr EXPR")
    elif ".py:" in args.variant:  # a Loss object defined in the user's module
        loss = load_function(args.variant, "Loss")
        if not isinstance(loss, Loss):
            raise DpoProofsError(f"{args.variant} is a {type(loss).__name__}, not a "
                                 "dpo_proofs Loss")
    else:
        loss = variant_from_args(args.variant, args.weights)
    fn = load_function(args.function)
    report = check_implementation(fn, loss, params, framework=args.framework)
    if args.json:
        dump_json(report.to_json(), stdout)
    else:
        stdout.write(str(report) + "\n")
    return 0 if report.ok else 1


def add_subcommands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check-impl", help="check a numpy/PyTorch/JAX implementation against the math",
        description="FUNCTION takes the four log-probabilities and the constants as keyword "
        "arguments; TRL's order (policy_chosen_logps, policy_rejected_logps, "
        "ref_chosen_logps, ref_rejected_logps) is assumed unless its parameter names say "
        "another (the mapping used is printed). Its value and gradients "
        "(autograd, or central differences for numpy) are compared in the (x1, x2) frame "
        "with the variant's symbolic loss and partials at 50 digits.")
    p.add_argument("function", help="path/to/module.py:function, or path/to/module.py:"
                   "obj.method for a method of an object the module builds (e.g. a trainer)")
    p.add_argument("variant", nargs="?", help=VARIANT_HELP + ", or path/to/module.py:NAME "
                   "for a dpo_proofs Loss your module defines")
    p.add_argument("--expr", metavar="EXPR", help="compare with your own loss written as an "
                   "expression (as analyze --expr), instead of a VARIANT")
    add_weights_option(p)
    p.add_argument("--param", action="append", metavar="NAME=VALUE",
                   help="fix a constant, e.g. beta=0.1 (passed to FUNCTION if it takes it)")
    p.add_argument("--framework", choices=("torch", "jax", "numpy"), default=None,
                   help="default: the one FUNCTION's module imports")
    p.add_argument("--json", action="store_true", help="the report as JSON: ok, worst error and point, mapping, warnings, findings")
    p.set_defaults(handler=_cmd_check_impl)

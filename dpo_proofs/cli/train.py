"""CLI: ``train-check VARIANT [--model tabular|shared|tokens|all] [--steps N] [--lr ETA]``:
small real models trained with a TRL-style loss, each step compared with the derived
dynamics (first order in the step size; the residual must shrink about 4x at eta/2)."""
from __future__ import annotations

import argparse
from typing import TextIO

from ..testing.training import MODELS, train_check
from .options import EXIT_FAILED, EXIT_OK, dump_json, key_values

__all__ = ["add_subcommands"]


def _cmd_train(args, stdout: TextIO, stderr: TextIO) -> int:
    models = MODELS if args.model == "all" else (args.model,)
    params = key_values(args.param, "--param")
    reports = [train_check(args.variant, m, args.steps, args.lr, args.seed, args.K, params)
               for m in models]
    ok = all(r.confirmed for r in reports)
    if args.json:
        dump_json({"reports": [r.to_json() for r in reports], "confirmed": ok}, stdout,
                  indent=2)
        return EXIT_OK if ok else EXIT_FAILED
    for r in reports:
        stdout.write(f"{r.variant} [{r.model}] with {r.implementation}, eta = {r.lr}, "
                     f"{len(r.records)} steps, seed {r.seed}\n")
        stdout.write("  predicted change of (log x1, log x2) = eta*(v_w, v_l) from the "
                     "derived closed forms at the measured x and Gram matrix\n")
        stdout.write(f"  median relative residual {r.residual:.2e} at eta, "
                     f"{r.residual_half:.2e} at eta/2; absolute residual ratio "
                     f"{r.order_ratio:.2f} (first order: about 4)\n")
        stdout.write(f"  predicted case = observed case at {r.cases_agree} of "
                     f"{len(r.records)} steps; observed: " + ", ".join(
                         f"{k} x{n}" for k, n in r.observed().items()) + "\n")
        if r.gram_error is not None:
            stdout.write(f"  Gram entries a, b, c derived from the model's logits "
                         f"(field.model_gram) vs autograd's: largest relative difference "
                         f"{r.gram_error:.1e}\n")
        if not r.finite:
            stdout.write("  the run left the float64 range: lower --lr, or the constants "
                         "(a loss whose gradients scale like 1/beta needs a smaller step)\n")
            continue
        first, last = r.records[0], r.records[-1]
        stdout.write(f"  x: ({first.x[0]:.4g}, {first.x[1]:.4g}) -> ({last.x[0]:.4g}, "
                     f"{last.x[1]:.4g}); Gram (a, b, c) at the end: "
                     + ", ".join(f"{v:.4g}" for v in last.gram) + "\n")
    stdout.write("confirmed: the derived velocities predict every run to first order\n" if ok
                 else "NOT confirmed: a run's residual did not shrink like eta^2 (ratio "
                 "outside 3.5..4.5), or the run left the float64 range\n")
    return EXIT_OK if ok else EXIT_FAILED


def add_subcommands(sub: argparse._SubParsersAction) -> None:

    p = sub.add_parser(
        "train-check", help="train small real models (PyTorch, CPU) with a TRL-style loss "
        "and compare every step with the derived dynamics",
        description="A tabular softmax policy, a linear-softmax model with shared "
        "features (logits = W h, both trained) and a tiny token-level model are trained by "
        "gradient descent on a TRL-style implementation of VARIANT. At each step the Gram "
        "entries are measured by autograd and the change of (log x1, log x2) is compared "
        "with eta*(v_w, v_l) from the package's closed forms; the step is repeated with "
        "eta/2, where a first-order-correct prediction leaves a 4x smaller residual. "
        "Needs torch (pip install torch==2.13.0).")
    p.add_argument("variant", help="a catalogue name with a TRL-style implementation")
    p.add_argument("--model", default="all", choices=(*MODELS, "all"))
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--lr", type=float, default=0.05, help="step size eta (default 0.05)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--K", type=int, default=5, help="responses (tabular, shared) or vocabulary "
                   "size (tokens); default 5")
    p.add_argument("--param", action="append", metavar="NAME=VALUE",
                   help="fix a constant of the loss (default: the catalogue's)")
    p.add_argument("--json", action="store_true", help="every step: x, G, predicted and observed change, residuals")
    p.set_defaults(handler=_cmd_train)

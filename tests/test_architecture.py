"""The house rules, read from the source: the pipeline's dependency direction, no cycles,
no private names across modules, printers that never derive, short modules, and a
design document that names every module.

Stages, lowest first: loss -> field -> {numerics, verdicts} -> results (frozen values) ->
printers -> pipeline -> front doors (cli, testing). A module may import its own stage and the stages below it;
``errors`` and ``budget`` are the base every stage may use.
"""
from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "dpo_proofs"

#: stage of each top-level part of the package (a subpackage or a top-level module)
STAGES = {
    "errors": 0, "budget": 0, "files": 0, "cache": 0, "workers": 0, "phrases": 0,
    "loss": 1,
    "field": 2,
    "numerics": 3, "verdicts": 3,
    "results": 4,
    "printers": 5,
    "pipeline": 6,
    "cli": 7, "testing": 7, "strategies": 7, "pytest_plugin": 7, "__main__": 7,
    "__init__": 8,
}
#: allowed within a stage: verdicts use numerics (certified evaluation), not the reverse;
#: the base modules use errors (and the cache the writer and the budget's count); the check-impl command is the testing kit's front door
WITHIN = {("verdicts", "numerics"), ("budget", "errors"), ("files", "errors"),
          ("cache", "errors"), ("cache", "files"), ("cache", "budget"), ("cli", "testing")}
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        name = ".".join(rel.parts)
        if name.endswith(".__init__"):
            name = name[: -len(".__init__")]
        out[name] = path
    return out


MODULES = _modules()


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str) -> list[tuple[str, str, int]]:
    """(imported module, imported name or '', line) for every import, nested ones too."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(), str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            target = _resolve(module, path.name == "__init__.py", node)
            for alias in node.names:
                full = f"{target}.{alias.name}"
                if full in MODULES:
                    out.append((full, "", node.lineno))
                else:
                    out.append((target, alias.name, node.lineno))
        elif isinstance(node, ast.Import):
            out += [(a.name, "", node.lineno) for a in node.names]
    return [(m, n, line) for m, n, line in out if m == "dpo_proofs" or
            m.startswith("dpo_proofs.")]


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_part_has_a_stage():
    missing = sorted({_part(m) for m in MODULES} - set(STAGES))
    assert not missing, f"give these a stage in STAGES: {missing}"


def test_at_least_five_stage_folders():
    folders = [p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()]
    assert len(folders) >= 5, folders


def test_imports_point_down_the_pipeline():
    wrong = []
    for module in MODULES:
        here = _part(module)
        for target, name, line in _imports(module):
            there = _part(target)
            if there == here or target == "dpo_proofs" and here in ("cli", "testing"):
                continue
            up = STAGES[there] > STAGES[here] or (
                STAGES[there] == STAGES[here] and (here, there) not in WITHIN)
            if up and here not in ("__init__", "strategies", "pytest_plugin", "__main__"):
                wrong.append(f"{module}:{line} imports {target} ({there} is not below {here})")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles():
    graph = {m: {t for t, _, _ in _imports(m) if t in MODULES and t != m} for m in MODULES}
    # Package __init__ files re-export their modules; an edge into one is an edge into
    # its part, which is not a cycle of the code.
    index, low, stack, on, cycles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for m in graph:
        if m not in index:
            visit(m)
    assert not cycles, cycles


def test_no_private_name_crosses_a_module():
    wrong = [f"{m}:{line} imports {name} from {target}" for m in MODULES
             for target, name, line in _imports(m)
             if name.startswith("_") and not name.startswith("__") and target != m]
    assert not wrong, "\n".join(wrong)


def test_printers_import_no_deriving_function():
    """A printer formats finished values: from the stages below it takes types and
    constants, never a function (a function there derives, checks or evaluates)."""
    wrong = []
    for module in MODULES:
        if _part(module) != "printers":
            continue
        for target, name, line in _imports(module):
            if not name or _part(target) in ("printers", "errors", "files"):
                continue
            obj = getattr(importlib.import_module(target), name)
            if inspect.isfunction(obj):
                wrong.append(f"{module}:{line} imports the function {target}.{name}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_are_short(module):
    lines = len(MODULES[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines"


def test_design_names_every_module():
    design = (ROOT / "docs" / "design.md").read_text()
    missing = [m for m, p in MODULES.items()
               if str(p.relative_to(PACKAGE)) not in design and p.name != "__init__.py"]
    assert not missing, f"docs/design.md does not name: {missing}"


def test_public_api_is_exactly_all():
    import dpo_proofs

    public = {n for n in dir(dpo_proofs) if not n.startswith("_")}
    exported = set(dpo_proofs.__all__)
    assert exported <= public
    # Subpackages are importable by path but are not API unless listed.
    extra = {n for n in public - exported
             if not inspect.ismodule(getattr(dpo_proofs, n))}
    assert not extra, f"public names missing from __all__: {sorted(extra)}"

"""The shape of generator/: no import cycles, each stage imports only downward, small modules.

Imports are read with `ast`, including those inside functions and under TYPE_CHECKING:
an import deferred to call time is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "generator"
STAGES = ["spec", "compile", "probe", "tasks", "harness", "integrations"]  # pipeline order: each imports only those before it
SHARED = {"generator.errors", "generator.ids", "generator.judge", "generator.llm", "generator.sandbox"}
# Importers of the CLI besides `python -m generator`: a synthesis worker writes the same summary.
CLI_USERS = {"generator.__main__", "generator.synth.worker"}
# Known debt: the checker dry-runs lowering's CREATE TABLE in SQLite and applies lowering's
# naming rules (model classes, loaded entities, automatic errors) to report clashes early, and
# lowers a clean spec to check custom bodies in the scope they will run in (the sandbox's).
SPEC_USES_COMPILE = {"generator.compile.ir", "generator.compile.lower", "generator.compile.names",
                     "generator.compile.schema"}
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported(name: str, path: Path) -> set[str]:
    """The generator modules `name` imports anywhere in its file; `from pkg import mod` names mod."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(p for p in (base, node.module) if p)
            for alias in node.names:
                found.add(f"{module}.{alias.name}" if f"{module}.{alias.name}" in MODULES else module)
    return {m for m in found if m in MODULES and m != name}


def import_graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(MODULES)
    for name, path in MODULES.items():
        graph.add_edges_from((name, other) for other in imported(name, path))
    return graph


def stage(module: str) -> str:
    """`spec`, `compile`, ..., `synth` for a stage package's modules, else the module itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in [*STAGES, "synth"]) else module


def layering_problem(importer: str, target: str) -> str | None:
    """Why `importer` may not import `target`, or None when it may."""
    if target == "generator.cli":
        return None if importer in CLI_USERS else f"only {', '.join(sorted(CLI_USERS))} import the CLI"
    own, other = stage(importer), stage(target)
    if own in ("generator.cli", "synth") or own == other or target in SHARED:
        return None  # the CLI and synthesis drive every stage
    if own in SHARED:
        return "shared modules import only each other"
    if own == "spec" and target in SPEC_USES_COMPILE and importer.startswith("generator.spec.check"):
        return None
    if own in STAGES and other in STAGES and STAGES.index(other) < STAGES.index(own):
        return None
    below = ", ".join(STAGES[: STAGES.index(own)]) if own in STAGES else "nothing"
    return f"{own} may import the shared modules and the stages below it ({below or 'none'})"


def test_no_import_cycle_between_generator_modules() -> None:
    cycles = sorted(" -> ".join([*cycle, cycle[0]]) for cycle in nx.simple_cycles(import_graph()))
    assert not cycles, "import cycles:\n  " + "\n  ".join(cycles)


def test_each_stage_imports_only_itself_shared_modules_and_stages_below() -> None:
    graph = import_graph()
    problems = sorted(
        f"{a} imports {b}: {why}" for a, b in graph.edges if (why := layering_problem(a, b)) is not None
    )
    assert not problems, "layering violations:\n  " + "\n  ".join(problems)


def test_the_known_spec_to_compile_imports_are_still_needed() -> None:
    used = {b for a, b in import_graph().edges if a.startswith("generator.spec.") and stage(b) == "compile"}
    assert used == SPEC_USES_COMPILE, "update SPEC_USES_COMPILE to what generator/spec/ imports"


def test_no_module_in_generator_passes_the_line_limit() -> None:
    sizes = {path.relative_to(ROOT).as_posix(): len(path.read_text().splitlines()) for path in MODULES.values()}
    over = [f"{path}: {n} lines" for path, n in sorted(sizes.items()) if n > MAX_LINES]
    assert not over, f"modules over {MAX_LINES} lines (split along an existing seam):\n  " + "\n  ".join(over)

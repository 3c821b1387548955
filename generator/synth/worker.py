"""The separate process that runs LLM-written code: seed recipes, procedural tests, expansion.

    python -m generator.synth.worker seed SPEC
    python -m generator.synth.worker build SPEC --server DIR
    python -m generator.synth.worker probe SPEC [--skip tool,tool]
    python -m generator.synth.worker expand SPEC --count N --seed S --tasks DIR --server DIR

It speaks JSON lines on its own copy of stdout (`{"event": ...}`); everything else the code
prints lands on stderr. The parent (`isolate.py`) enforces the time limits and attributes a
hang or crash to the tool that was running.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import logging
import os
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

from generator.synth.confine import confine

WIRE = sys.stdout


def emit(event: str, **data: Any) -> None:
    WIRE.write(json.dumps({"event": event, **data}, sort_keys=True, default=str) + "\n")
    WIRE.flush()


def confine_worker(args: argparse.Namespace) -> None:
    """Confine this process (see confine.py) once a command has imported what it needs: some of
    its libraries load native code at import, which generated code may never do."""
    writes = {"expand": "tasks", "build": "server"}.get(args.command)  # the one output folder a command has
    owned = [getattr(args, writes)] if writes else []
    for folder in owned:
        folder.mkdir(parents=True, exist_ok=True)  # before confining: its parents are not the worker's
    confine([Path.cwd(), Path(tempfile.gettempdir()), *owned])


def seed(args: argparse.Namespace) -> None:
    from generator.compile.lower import lower
    from generator.compile.seed import generate
    from generator.spec.load import load_spec

    confine_worker(args)
    _, spec = load_spec(args.spec)
    rows = generate(spec, lower(spec))
    emit("seeded", rows={t: len(r) for t, r in rows.items()}, sample={t: r[:3] for t, r in rows.items()})


def build(args: argparse.Namespace) -> None:
    """Compile the spec into `--server` (seeding evaluates its recipe's expressions, so confined too)."""
    from generator.compile.build import compile_domain, write

    confine_worker(args)
    built = compile_domain(args.spec)
    write(built.files, args.server)
    emit("built", tools=len(built.ir.tools), tables=len(built.ir.tables))


class Crashes(logging.Handler):
    """Collects the exceptions behind bare `Error executing tool` results, in call order."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.found: list[BaseException] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            self.found.append(record.exc_info[1].__cause__ or record.exc_info[1])


def crash_text(exc: BaseException, tool: str) -> str:
    """`TypeError: ... at `<line>``: what the Debug Agent needs from a traceback (no paths)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.name == tool]
    where = f" at `{frames[-1].line}`" if frames and frames[-1].line else ""
    return f"{type(exc).__name__}: {exc}{where}"


def probe(args: argparse.Namespace) -> None:
    import anyio

    from generator.compile.build import compile_domain
    from generator.probe.run import load_package, plan, run_cases

    confine_worker(args)
    skip = set(filter(None, args.skip.split(",")))
    build = compile_domain(args.spec)
    with tempfile.TemporaryDirectory(prefix="synth-probe-") as tmp:
        server_mod, runtime = load_package(build, Path(tmp))
        cases, warnings = plan(build, runtime)
        emit("plan", tools=[t.name for t in build.ir.tools], warnings=warnings)
        crashes = Crashes()
        logging.getLogger("mcp").addHandler(crashes)
        for tool in build.ir.tools:
            if tool.name in skip:
                continue
            emit("start", tool=tool.name)
            crashes.found.clear()
            mine = [c for c in cases if c.tool == tool.name]
            outcomes = [outcome_data(o) for o in anyio.run(run_cases, build, mine, server_mod, runtime)] if mine else []
            for outcome in outcomes:  # a crash reaches the client as the bare message, one per logged exception
                if outcome["detail"].endswith(f"Error executing tool {tool.name}") and crashes.found:
                    outcome["detail"] += f" ({crash_text(crashes.found.pop(0), tool.name)})"
            emit("done", tool=tool.name, outcomes=outcomes)


def outcome_data(outcome: Any) -> dict[str, Any]:
    case = outcome.case
    return {"case": case.name, "verdict": outcome.verdict, "detail": outcome.detail, "args": case.args,
            "setup": [[sql, list(params)] for sql, params in case.setup], "expected": case.error or "success"}


def import_server(folder: Path) -> tuple[Any, Any]:
    """Import a written server package from any folder under a private name."""
    name = f"synth_{folder.name}"
    spec = importlib.util.spec_from_file_location(name, folder / "__init__.py", submodule_search_locations=[str(folder)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return importlib.import_module(f"{name}.server"), importlib.import_module(f"{name}.runtime")


def expand(args: argparse.Namespace) -> None:
    import anyio

    from generator.cli import summary_markdown
    from generator.probe.replayer import Replayer
    from generator.tasks.expand import expand_domain
    from generator.tasks.quality import summarize
    from generator.tasks.replay import verify_scenario
    from generator.tasks.scenario import dump_line

    confine_worker(args)
    result = expand_domain(args.spec, args.count, args.seed, progress=lambda kept, tried: emit("progress", kept=kept, tried=tried))
    scenarios = result.scenarios
    args.tasks.mkdir(parents=True, exist_ok=True)
    (args.tasks / "scenarios.jsonl").write_text("".join(dump_line(s) for s in scenarios))
    if scenarios:
        summary = summarize(scenarios) | {
            "domain": scenarios[0].domain, "seed": args.seed, "tried": result.tried,
            "yield": round(len(scenarios) / result.tried, 3), "dropped": dict(sorted(result.dropped.items())),
            **result.quality,
        }
        (args.tasks / "README.md").write_text(summary_markdown(summary))

    async def verify() -> list[str]:
        problems = []
        async with Replayer(*import_server(args.server)) as replayer:
            for scenario in scenarios:
                problems += [f"{scenario.id}: {p}" for p in await verify_scenario(replayer, scenario)]
        return problems

    problems = anyio.run(verify)
    emit("expanded", kept=len(scenarios), tried=result.tried, dropped=dict(sorted(result.dropped.items())),
         verified=len(scenarios) - len({p.split(":")[0] for p in problems}), problems=problems)


def main(argv: list[str] | None = None) -> int:
    global WIRE
    WIRE = os.fdopen(os.dup(1), "w")  # the protocol keeps fd 1; anything the code prints goes to stderr
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    parser = argparse.ArgumentParser(prog="python -m generator.synth.worker")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("seed", "build", "probe", "expand"):
        p = sub.add_parser(name)
        p.add_argument("spec", type=Path)
        if name == "build":
            p.add_argument("--server", type=Path, required=True)
        if name == "probe":
            p.add_argument("--skip", default="")
        if name == "expand":
            p.add_argument("--count", type=int, required=True)
            p.add_argument("--seed", type=int, default=0)
            p.add_argument("--tasks", type=Path, required=True)
            p.add_argument("--server", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        {"seed": seed, "build": build, "probe": probe, "expand": expand}[args.command](args)
    except Exception as exc:  # the parent reports it; a traceback would only go to stderr
        emit("error", message=f"{type(exc).__name__}: {exc}")
        return 1
    emit("end")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Procedural testing: the paper's Test Agent, done mechanically from the spec.

For every tool the probe derives cases from the IR (a valid call, each missing entity,
each declared precondition violated, bad transitions) and adds the spec's own test cases;
each runs through a real MCP client against the freshly generated server on its own copy
of the seed database, and is classified as
- success: no error, and the state change equals the expected diff (reads change nothing);
- anticipated rejection: the declared error was raised and the database is untouched;
- unexpected failure: anything else.
The expectations come from the spec's semantics and the probe's own evaluation of the
preconditions, never from the generated code. Parts: `plan` (cases), `classify` (verdicts),
`report` (the fidelity table); this module runs them.
"""

from __future__ import annotations

import importlib
import re
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio

from generator.compile.build import Build, compile_domain, write
from generator.probe.classify import classify, diff, snapshot
from generator.probe.plan import Case, Planner
from generator.probe.replayer import Replayer
from generator.probe.report import UNEXPECTED, Outcome, Report
from generator.sandbox import SqlRefused, guard_sql


def load_package(build: Build, root: Path) -> Any:
    """Write the build into `root` under a private package name and import it."""
    name = f"probe_{build.ir.name}"
    write(build.files, root / name)
    sys.path.insert(0, str(root))
    try:
        for mod in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[mod]
        return importlib.import_module(f"{name}.server"), importlib.import_module(f"{name}.runtime")
    finally:
        sys.path.remove(str(root))


async def run_cases(build: Build, cases: list[Case], server_mod: Any, runtime: Any) -> list[Outcome]:
    """Run each case in one MCP session whose store is reset to the case's own database."""
    ir = build.ir
    outcomes = []
    patterns = {e.code: re.compile(e.pattern, re.DOTALL) for e in ir.errors}
    async with Replayer(server_mod, runtime) as replayer:
        for case in cases:
            tool = ir.tool(case.tool)
            conn = runtime.memory_copy(replayer.image)
            try:
                with guard_sql(conn, writes=True) as run:  # setup SQL is the spec's (an LLM's), so guarded
                    for sql, params in case.setup:
                        run(sql, params)
            except (sqlite3.Error, SqlRefused) as exc:
                outcomes.append(Outcome(case, UNEXPECTED, f"setup failed: {exc}"))
                continue
            before = snapshot(conn, ir)
            now = conn.execute("SELECT value FROM _env WHERE key = 'now'").fetchone()[0]
            image = conn.serialize()
            conn.close()
            await replayer.store.load(image)
            result = await replayer.client.call_tool(case.tool, case.args)
            end = await replayer.store.snapshot()
            after = snapshot(end, ir)
            text = " ".join(getattr(c, "text", "") for c in result.content)
            outcomes.append(classify(ir, tool, case, result, text, diff(before, after), after, now, end, patterns))
            end.close()
    return outcomes


def plan(build: Build, runtime: Any) -> tuple[list[Case], list[str]]:
    conn = runtime.memory_copy(runtime.seed_image())
    planner = Planner(build.ir, conn)
    cases, warnings = [], []
    for tool in build.ir.tools:
        found = planner.cases(tool)
        cases += found
        if not any(c.error is None for c in found):
            warnings.append(f"{tool.name}: no success case (add a test case to the spec)")
        triggered = {c.error for c in found} | {c.error for c in tool.policy_checks}  # the agent refuses these
        for code in tool.errors:
            if code not in triggered and code != "nothing_to_update":
                warnings.append(f"{tool.name}: error {code} is never triggered by a case")
    conn.close()
    return cases, warnings


def run_probe(domain: str | Path, build: Build | None = None) -> Report:
    """Build the domain into a scratch folder, run every case through an MCP client, report."""
    build = build or compile_domain(domain)
    with tempfile.TemporaryDirectory(prefix="probe-") as tmp:
        server_mod, runtime = load_package(build, Path(tmp))
        cases, warnings = plan(build, runtime)
        outcomes = anyio.run(run_cases, build, cases, server_mod, runtime)
    return Report(build.ir.name, [t.name for t in build.ir.tools], outcomes, warnings)


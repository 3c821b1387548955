"""Run LLM-written code only in a worker process, under time limits, and attribute failures.

`probe` runs the procedural tests tool by tool; when a tool hangs (no answer within the
limit) or crashes the process, that tool gets an unexpected outcome saying so and the
remaining tools run in a fresh process. Nothing a synthesized tool does can stop synthesis.
`RUNNER` lets a scheduler start the worker instead (on Ray, a task that holds its CPU).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.synth.confine import limit_resources, worker_env
from generator.synth.roles import SynthesisError

ROOT = Path(__file__).resolve().parents[2]
ADDRESS = re.compile(r"0x[0-9a-f]{6,}")


@dataclass
class Run:
    events: list[dict[str, Any]] = field(default_factory=list)
    timed_out: bool = False
    returncode: int | None = None
    stderr: str = ""

    def first(self, event: str) -> dict[str, Any] | None:
        return next((e for e in self.events if e["event"] == event), None)


Runner = Callable[[list[str], float, Path], Awaitable["Run"]]
RUNNER: contextvars.ContextVar[Runner | None] = contextvars.ContextVar("RUNNER", default=None)


def scrub(text: str, *paths: Path) -> str:
    """Text without machine-specific details (paths, addresses), so prompts stay cacheable."""
    for path in paths:
        text = text.replace(str(path), "<work>")
    return ADDRESS.sub("0x…", text)


async def run_worker(command: list[str], idle: float, cwd: Path) -> Run:
    """Run `python -m generator.synth.worker COMMAND` here, or through the context's `RUNNER`."""
    runner = RUNNER.get()
    return await (runner or spawn)(command, idle, cwd)


async def spawn(command: list[str], idle: float, cwd: Path) -> Run:
    """Start the worker process confined (see confine.py): no secrets in its environment, bounded
    resources, writes only under `cwd` (its temporary files too, removed with the run even after a
    kill); kill it after `idle` seconds without output."""
    tmp = cwd / ".worker-tmp"
    tmp.mkdir(exist_ok=True)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "generator.synth.worker", *command,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        cwd=cwd, env=worker_env(ROOT, tmp), preexec_fn=limit_resources,
    )  # fmt: skip
    stderr = asyncio.create_task(proc.stderr.read())
    run = Run()
    while True:
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), idle)
        except TimeoutError:
            run.timed_out = True
            proc.kill()
            break
        if not line:
            break
        try:
            run.events.append(json.loads(line))
        except ValueError:
            continue
    run.returncode = await proc.wait()
    run.stderr = (await stderr).decode(errors="replace")[-3000:]
    return run


async def seed(spec: Path, work: Path, limit: float = 60) -> dict[str, Any]:
    """Seed rows per table and a sample, or `{"error": ...}`."""
    run = await run_worker(["seed", str(spec)], limit, work)
    if run.timed_out:
        return {"error": f"the seed recipe did not finish within {limit:.0f} s (an expr that never ends?)"}
    done = run.first("seeded")
    if done is None:
        failed = run.first("error")
        return {"error": scrub(failed["message"] if failed else f"worker exited with {run.returncode}", work)}
    return done


async def build(spec: Path, work: Path, server: Path, limit: float = 300) -> dict[str, Any]:
    """The compiled server written to `server` (rendering seeds the database from LLM-written recipes):
    `{"tools", "tables"}`; a SynthesisError when it cannot be built."""
    run = await run_worker(["build", str(spec), "--server", str(server)], limit, work)
    done = run.first("built")
    if done is not None:
        return done
    failed = run.first("error")
    reason = failed["message"] if failed else f"worker exited with {run.returncode}: {run.stderr[-500:]}"
    raise SynthesisError(f"the server could not be built: {scrub(reason, work)}")


async def probe(spec: Path, work: Path, limit: float = 30) -> tuple[list[dict[str, Any]], list[str]]:
    """Procedural test outcomes (tool, case, verdict, detail, ...) and planner warnings."""
    outcomes: list[dict[str, Any]] = []
    skip: list[str] = []
    warnings: list[str] | None = None
    while True:
        run = await run_worker(["probe", str(spec), "--skip", ",".join(skip)], limit, work)
        failed = run.first("error")
        reason = scrub(failed["message"] if failed else run.stderr[-500:], work)
        plan = run.first("plan")
        if plan is None:
            raise SynthesisError(f"procedural tests could not start: {reason}")
        warnings = plan["warnings"] if warnings is None else warnings
        running = None
        for event in run.events:
            if event["event"] == "start":
                running = event["tool"]
            elif event["event"] == "done":
                outcomes += [dict(o, tool=event["tool"]) for o in event["outcomes"]]
                skip.append(event["tool"])
                running = None
        if run.first("end"):
            return outcomes, warnings
        if running is None:
            raise SynthesisError(f"procedural tests stopped between tools: {reason}")
        why = f"hang: no answer within {limit:.0f} s" if run.timed_out else f"crash: the test process died ({reason})"
        outcomes.append({"tool": running, "case": "all cases", "verdict": "unexpected failure", "detail": why,
                         "args": {}, "setup": [], "expected": "an answer"})
        skip.append(running)  # the rest runs in a fresh process


async def expand(spec: Path, work: Path, count: int, seed: int, tasks: Path, server: Path,
                 limit: float = 120) -> dict[str, Any]:
    """Scenarios written under `tasks` and replayed on the written `server`; a summary or `{"error"}`."""
    run = await run_worker(["expand", str(spec), "--count", str(count), "--seed", str(seed), "--tasks", str(tasks),
                            "--server", str(server)], limit, work)
    done = run.first("expanded")
    if done is not None:
        return done
    if run.timed_out:
        return {"error": f"expansion made no progress within {limit:.0f} s"}
    failed = run.first("error")
    return {"error": scrub(failed["message"] if failed else f"worker exited with {run.returncode}: {run.stderr[-500:]}", work)}

"""Synthesis on Ray: one task per domain, at most `--concurrency` in flight, progress streamed
to the driver as it happens, and every output shipped back to the driver's `--out`.

A domain's task mostly waits on the LLM, so it reserves a quarter of a CPU; the code its
stages run (seeding, procedural tests, expansion: `isolate.py` worker processes) runs as a
task of its own with one CPU on the same node (the files are there), so Ray counts the CPUs
that really compute and a node never runs more workers than it has CPUs. The LLM cache is
the `--cache` path on each node: shared storage makes one cache of the cluster.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import ray
from ray.util.queue import Queue
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from generator.synth import isolate
from generator.synth.pipeline import Config, DomainResult, finished, outputs, synthesize_domain, work_folder

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_CPUS = 0.25  # an LLM conversation: the CPU-heavy steps are worker tasks (WORKER_CPUS each)
WORKER_CPUS = 1


@ray.remote(num_cpus=WORKER_CPUS)
def _worker(command: list[str], idle: float, cwd: str) -> isolate.Run:
    return asyncio.run(isolate.spawn(command, idle, Path(cwd)))


async def _on_this_node(command: list[str], idle: float, cwd: Path) -> isolate.Run:
    """A worker process as a Ray task pinned to this node, where the domain's files are."""
    here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
    return await _worker.options(scheduling_strategy=here).remote(command, idle, str(cwd))


def collect(root: Path) -> dict[str, bytes]:
    """Every file a domain's run wrote under `root` (its scratch folder aside), by relative path."""
    scratch = work_folder(root, "x").parent
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.is_relative_to(scratch) and "__pycache__" not in p.parts}


@ray.remote(num_cpus=DOMAIN_CPUS)
def _domain(name: str, config: Config, progress: Queue) -> tuple[DomainResult, dict[str, bytes]]:
    """Synthesize one domain into a node-local folder and return its result and files."""
    out = Path(tempfile.mkdtemp(prefix=f"synth-ray-{name}-"))
    try:
        async def run() -> DomainResult:
            isolate.RUNNER.set(_on_this_node)
            return await synthesize_domain(name, replace(config, out=out, redo=True), log=progress.put)

        result = asyncio.run(run())
        return result, collect(out) if result.ok else {}
    finally:
        shutil.rmtree(out, ignore_errors=True)


def deliver(config: Config, result: DomainResult, files: dict[str, bytes]) -> DomainResult:
    """Write a domain's files under the driver's output root; its paths then point there."""
    for relative, data in files.items():
        path = config.out / relative
        if path.name == "__init__.py" and path.parent.name == "generated_servers" and path.exists():
            continue  # the package marker another domain wrote
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return replace(result, paths=outputs(config.out, result.name)) if result.ok else result


def run_ray(names: list[str], config: Config, concurrency: int, log: Callable[[str], None]) -> list[DomainResult]:
    """Run the domains on a running cluster, else on a local one started for this call."""
    started = not ray.is_initialized()
    if started:
        path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        ray.init(include_dashboard=False, log_to_driver=False, runtime_env={"env_vars": {"PYTHONPATH": path}})
    try:
        results: dict[str, DomainResult] = {}
        waiting = []
        for name in names:  # finished in this output by an earlier run: nothing to ask
            done = finished(name, config)
            if done is not None:
                log(f"{name}: finished by an earlier run in {config.out} (--redo to synthesize again)")
                results[name] = done
            else:
                waiting.append(name)
        progress = Queue()
        running: dict[Any, str] = {}
        while waiting or running:
            while waiting and len(running) < max(1, concurrency):
                name = waiting.pop(0)
                running[_domain.remote(name, config, progress)] = name
            ready, _ = ray.wait(list(running), num_returns=1, timeout=0.5)
            for line in progress.get_nowait_batch(progress.qsize()):
                log(line)
            for ref in ready:
                result, files = ray.get(ref)
                results[running.pop(ref)] = deliver(config, result, files)
        for line in progress.get_nowait_batch(progress.qsize()):
            log(line)
    finally:
        if started:
            ray.shutdown()
    return [results[n] for n in names]

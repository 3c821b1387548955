"""Validated scenarios per second on one core, negative controls included (aim >= 25/s).

The in-run baseline is the bare gold execution of the same scenarios (one run each, no
checks, no controls, no expansion), so the ratio shows what validation costs. Compiling the
domain is a one-off and reported apart. The paper spends ~93,000 LLM tokens per task; this
path spends none.

    taskset -c 0 python bench/expand_rate.py [DOMAIN ...] [--count N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import anyio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.compile.build import compile_domain  # noqa: E402
from generator.tasks.environment import Environment  # noqa: E402
from generator.tasks.expand import Expander  # noqa: E402


async def measure(expander: Expander, count: int) -> tuple[float, int, int, float]:
    env = expander.env
    kept, tries = [], 0
    async with env.replayer:
        start = time.perf_counter()
        while len(kept) < count:
            try:
                kept.append(await expander.candidate(tries))
            except Exception as exc:  # noqa: BLE001 - Dropped: counted by the yield
                if type(exc).__name__ != "Dropped":
                    raise
            tries += 1
        full = time.perf_counter() - start
        controls = sum(len(s.validation.negative_controls) for s in kept)
        start = time.perf_counter()
        for s in kept:
            await env.run(env.image_for(s.initial_state.statements, s.now), s.gold_actions)
        bare = time.perf_counter() - start
    return full, tries, controls, bare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("domains", nargs="*", default=["airline", "retail", "healthcare"])
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args()
    print(f"{'domain':<11} {'compile s':>9} {'kept':>5} {'tried':>6} {'controls':>8} {'scen/s':>7} "
          f"{'bare gold/s':>11} {'full/bare':>9}")
    for name in args.domains:
        start = time.perf_counter()
        build = compile_domain(name)
        with tempfile.TemporaryDirectory() as tmp:
            expander = Expander(Environment(build, Path(tmp)), seed=11)
            compiled = time.perf_counter() - start
            full, tries, controls, bare = anyio.run(measure, expander, args.count)
        print(f"{name:<11} {compiled:>9.2f} {args.count:>5} {tries:>6} {controls:>8} {args.count / full:>7.1f} "
              f"{args.count / bare:>11.1f} {full / bare:>8.1f}x")
    print("LLM tokens per scenario: 0 (the paper: ~93,000)")


if __name__ == "__main__":
    main()

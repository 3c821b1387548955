"""The Ray episode pool: gold-action calls/s through 1 actor and through 2, in the same run.

Starts a local single-node Ray (or joins RAY_ADDRESS), makes a pool of 1 and then 2 actors,
creates N episodes from committed scenarios, plays every gold action concurrently through
`EpisodePool.call`, verifies each (reward mean) and prints calls/s with the 2-actor / 1-actor
ratio; then the same actions in lock-step, each step one `call_many` (one round trip per actor). The same calls in one process on the direct path are the floor the pool adds Ray to.
Every figure is taken on the second of two identical rounds (each round's episodes closed after it),
so the floor and the actors alike run warm: imports, schemas and statements prepared, and
databases recycled, as in a trainer's later steps.

    python bench/episode_pool.py [DOMAIN] [--episodes 200]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import statistics
import sys
import time
from pathlib import Path

import ray

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.harness.agents import answers  # noqa: E402
from generator.harness.episode_pool import EpisodePool  # noqa: E402


async def play_all(create, call, verify, close, picked: list[dict]) -> tuple[float, float]:
    """(calls/s of every gold action played concurrently, reward mean), on the second of two rounds."""
    await play_round(create, call, verify, close, picked)  # the warm-up round
    return await play_round(create, call, verify, close, picked)


async def play_round(create, call, verify, close, picked: list[dict]) -> tuple[float, float]:
    """(calls/s of every gold action played concurrently, reward mean); the episodes are closed after."""
    episodes = [await create(s) for s in picked]

    async def play(episode: str, scenario: dict) -> int:
        for action in scenario["gold_actions"]:
            await call(episode, action["tool"], action["arguments"])
        return len(scenario["gold_actions"])

    start = time.perf_counter()
    calls = sum(await asyncio.gather(*(play(e, s) for e, s in zip(episodes, picked, strict=True))))
    rate = calls / (time.perf_counter() - start)
    rewards = [(await verify(e, answers(s)))["reward"] for e, s in zip(episodes, picked, strict=True)]
    for episode in episodes:
        await close(episode)
    return rate, statistics.mean(rewards)


async def play_in_steps(pool: EpisodePool, picked: list[dict]) -> float:
    """Calls/s when every episode's i-th gold action goes out in one `call_many` (a trainer's step), on
    the second of two rounds."""
    await step_round(pool, picked)
    return await step_round(pool, picked)


async def step_round(pool: EpisodePool, picked: list[dict]) -> float:
    episodes = [await pool.create(s) for s in picked]
    calls, elapsed = 0, 0.0
    for step in range(max(len(s["gold_actions"]) for s in picked)):
        batch = [(e, s["gold_actions"][step]["tool"], s["gold_actions"][step]["arguments"])
                 for e, s in zip(episodes, picked, strict=True) if step < len(s["gold_actions"])]
        start = time.perf_counter()
        await pool.call_many(batch)
        elapsed += time.perf_counter() - start
        calls += len(batch)
    for episode in episodes:
        await pool.close(episode)
    return calls / elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("domain", nargs="?", default="airline")
    parser.add_argument("--episodes", type=int, default=200)
    args = parser.parse_args()
    lines = (ROOT / "tasks" / args.domain / "scenarios.jsonl").read_text().splitlines()
    picked = [json.loads(lines[i % len(lines)]) for i in range(args.episodes)]

    package = importlib.import_module(f"generated_servers.{args.domain}")
    async with package.LocalEnvironment() as env:
        async def direct_call(episode: str, name: str, arguments: dict) -> object:
            return await env.direct(episode).call_tool(name, arguments)

        floor, floor_reward = await play_all(env.create, direct_call, env.verify, env.close, picked)

    ray.init(include_dashboard=False, log_to_driver=False, runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}})
    rates, stepped = {}, {}
    try:
        for actors in (1, 2):
            pool = EpisodePool(args.domain, actors=actors, per_actor=2 * args.episodes, cpus_per_actor=0.5)
            try:
                rates[actors] = await play_all(pool.create, pool.call, pool.verify, pool.close, picked)
                stepped[actors] = await play_in_steps(pool, picked)
            finally:
                pool.shutdown()
    finally:
        ray.shutdown()
    print(f"{args.episodes} episodes, every gold action concurrently:")
    print(f"  in process, direct path (floor): {floor:,.0f} calls/s; reward mean {floor_reward:.3f}")
    for actors, (rate, reward) in rates.items():
        print(f"  Ray pool, {actors} actor(s): {rate:,.0f} calls/s ({rate / floor:.2f}x the floor); "
              f"reward mean {reward:.3f}")
    print(f"  2 actors / 1 actor: {rates[2][0] / rates[1][0]:.2f}x")
    for actors, rate in stepped.items():
        print(f"  Ray pool, {actors} actor(s), one call_many per step: {rate:,.0f} calls/s ({rate / floor:.2f}x the floor)")
    print(f"  call_many, 2 actors / 1 actor: {stepped[2] / stepped[1]:.2f}x")


if __name__ == "__main__":
    asyncio.run(main())

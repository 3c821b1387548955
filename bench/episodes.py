"""Episodes at scale: creation latency vs a process per episode, 1,000 concurrent episodes.

1. Episode creation p50/p99 (in process, from a prepared scenario template) against starting
   a stdio server process per episode and connecting to it, in the same run (aim: p50 <= 2 ms
   and >= 500x faster).
2. N concurrent episodes in one process: memory per episode, aggregate tool calls/s in
   process and over streamable HTTP (JSON responses), and leakage: every episode's final
   database must equal a sequential replay of its own calls.

    python bench/episodes.py [DOMAIN] [--episodes 1000] [--http-episodes 100]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import importlib
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.harness.agents import answers  # noqa: E402 - what the oracle tells the user


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def digest(conn) -> str:
    """A content hash of every table, to compare end states."""
    h = hashlib.sha256()
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
        for row in conn.execute(f"SELECT * FROM {name} ORDER BY 1"):
            h.update(repr(row).encode())
    return h.hexdigest()


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


async def creation(package, scenarios: list[dict], n: int) -> list[float]:
    env = package.LocalEnvironment()
    async with env:
        for s in scenarios[:20]:  # warm the per-scenario templates, as a trainer's first step would
            await env.close(await env.create(s))
        times = []
        for i in range(n):
            start = time.perf_counter()
            episode = await env.create(scenarios[i % len(scenarios)])
            times.append(time.perf_counter() - start)
            await env.close(episode)
    return times


async def spawn_baseline(domain: str, scenario: dict, n: int) -> list[float]:
    from mcp import Client, StdioServerParameters

    times = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.json"
        path.write_text(json.dumps(scenario))
        for _ in range(n):
            params = StdioServerParameters(command=sys.executable, args=["-m", f"generated_servers.{domain}",
                                           "--scenario", str(path)], cwd=str(ROOT), env={"PYTHONPATH": str(ROOT)})
            start = time.perf_counter()
            async with Client(params) as client:
                await client.list_tools()  # connected and usable
                times.append(time.perf_counter() - start)
    return times


async def concurrent(package, scenarios: list[dict], n: int, validate: bool = True) -> dict:
    picked = [scenarios[i % len(scenarios)] for i in range(n)]
    before = rss_mb()
    async with package.LocalEnvironment(validate=validate) as env:
        episodes = [await env.create(s) for s in picked]
        after = rss_mb()

        async def play(episode: str, scenario: dict) -> int:
            client = env.client(episode)
            for action in scenario["gold_actions"]:
                await client.call_tool(action["tool"], action["arguments"])
            return len(scenario["gold_actions"])

        start = time.perf_counter()
        calls = sum(await asyncio.gather(*(play(e, s) for e, s in zip(episodes, picked, strict=True))))
        elapsed = time.perf_counter() - start
        rewards = [(await env.verify(e, answers(s)))["reward"] for e, s in zip(episodes, picked, strict=True)]
        finals = []
        for e in episodes:
            conn = await env.episodes.get(e).store.snapshot()
            finals.append(digest(conn))
            conn.close()
    # sequential replay of each episode's own calls, one at a time
    leaks = 0
    async with package.LocalEnvironment() as env:
        for scenario, final in zip(picked, finals, strict=True):
            e = await env.create(scenario)
            await play_one(env, e, scenario)
            conn = await env.episodes.get(e).store.snapshot()
            leaks += digest(conn) != final
            conn.close()
            await env.close(e)
    return {"calls": calls, "seconds": elapsed, "mb_per_episode": (after - before) / n,
            "reward_mean": statistics.mean(rewards), "leaks": leaks}


async def play_one(env, episode: str, scenario: dict) -> None:
    client = env.client(episode)
    for action in scenario["gold_actions"]:
        await client.call_tool(action["tool"], action["arguments"])


async def over_http(domain: str, scenarios: list[dict], n: int) -> dict:
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", f"generated_servers.{domain}", "--transport", "http", "--port",
                             str(port)], cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        picked = [scenarios[i % len(scenarios)] for i in range(n)]
        async with httpx2.AsyncClient(base_url=base) as http:
            ids = [(await http.post("/episodes", json={"scenario": s})).json()["episode_id"] for s in picked]

            async with AsyncExitStack() as stack:
                start = time.perf_counter()
                clients = []
                for e in ids:  # one connected MCP client per episode, bound by its X-Episode-Id header
                    bound = await stack.enter_async_context(httpx2.AsyncClient(headers={"X-Episode-Id": e}, timeout=60))
                    client = await stack.enter_async_context(
                        Client(streamable_http_client(f"{base}/mcp", http_client=bound)))
                    await client.list_tools()
                    clients.append(client)
                connect = (time.perf_counter() - start) / n

                async def play(client, scenario: dict) -> int:
                    for action in scenario["gold_actions"]:
                        await client.call_tool(action["tool"], action["arguments"])
                    return len(scenario["gold_actions"])

                start = time.perf_counter()
                calls = sum(await asyncio.gather(*(play(c, s) for c, s in zip(clients, picked, strict=True))))
                elapsed = time.perf_counter() - start
            rewards = [(await http.post(f"/episodes/{e}/verify", json={"transcript": answers(s)})).json()["reward"]
                       for e, s in zip(ids, picked, strict=True)]
        return {"calls": calls, "seconds": elapsed, "reward_mean": statistics.mean(rewards), "connect": connect}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("domain", nargs="?", default="airline")
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--http-episodes", type=int, default=100)
    parser.add_argument("--creations", type=int, default=1000)
    parser.add_argument("--spawns", type=int, default=5)
    args = parser.parse_args()
    package = importlib.import_module(f"generated_servers.{args.domain}")
    lines = (ROOT / "tasks" / args.domain / "scenarios.jsonl").read_text().splitlines()
    scenarios = [json.loads(line) for line in lines]

    made = await creation(package, scenarios, args.creations)
    spawned = await spawn_baseline(args.domain, scenarios[0], args.spawns)
    p50, p99, base = statistics.median(made), pct(made, 0.99), statistics.median(spawned)
    print(f"episode creation ({args.creations}x): p50 {p50 * 1e3:.3f} ms, p99 {p99 * 1e3:.3f} ms")
    print(f"stdio process per episode ({args.spawns}x spawn + connect): p50 {base * 1e3:.0f} ms")
    print(f"  -> in-process creation is {base / p50:,.0f}x faster (aim >= 500x, p50 <= 2 ms)")

    result = await concurrent(package, scenarios, args.episodes)
    print(f"{args.episodes} concurrent episodes in one process: {result['mb_per_episode']:.2f} MB RSS per episode")
    print(f"  in-process: {result['calls']} gold calls in {result['seconds']:.2f} s = "
          f"{result['calls'] / result['seconds']:,.0f} calls/s; reward mean {result['reward_mean']:.3f}; "
          f"cross-episode leaks {result['leaks']} (final state vs sequential replay)")
    fast = await concurrent(package, scenarios, args.episodes, validate=False)
    print(f"  in-process, validate=False: {fast['calls'] / fast['seconds']:,.0f} calls/s; "
          f"reward mean {fast['reward_mean']:.3f}; leaks {fast['leaks']}")
    http = await over_http(args.domain, scenarios, args.http_episodes)
    print(f"  over HTTP ({args.http_episodes} episodes, JSON responses, one connected MCP client each): "
          f"{http['calls'] / http['seconds']:,.0f} calls/s; reward mean {http['reward_mean']:.3f}; "
          f"connect + tools/list {http['connect'] * 1e3:.0f} ms per client")
    print(f"  ratio in-process / HTTP calls/s: "
          f"{(result['calls'] / result['seconds']) / (http['calls'] / http['seconds']):.1f}x")


if __name__ == "__main__":
    asyncio.run(main())

"""Episodes at scale: creation latency vs a process per episode, 1,000 concurrent episodes.

1. Episode creation p50/p99 (in process, from a prepared scenario template), on a new database
   and on a closed episode's recycled one, against starting a stdio server process per episode
   and connecting to it, in the same run (aim: p50 <= 2 ms and >= 500x faster).
2. N concurrent episodes in one process: memory per episode, aggregate tool calls/s through
   the in-memory MCP client, the direct path (`LocalEnvironment.direct`) and streamable HTTP
   (JSON responses), against one episode alone; and leakage: every episode's final database
   must equal a sequential replay of its own calls. A second round of the same calls on the
   same episodes shows the rate once each connection has prepared its statements; trainer
   steps (the episodes closed, N new ones of a shuffle of the scenarios made on the databases
   they left; --steps of them) show what a trainer's later steps get, and each of their end
   states must equal its scenario's on a new database.

Each figure is printed next to its floor or target and the ratio. The machine may be shared:
compare ratios from one run, not figures across runs. Calls per CPU-second (the process's own
CPU time, which other processes' load does not stretch as it stretches the wall clock) show
what the process does on a quiet machine, where its one event loop keeps one core busy.

    python bench/episodes.py [DOMAIN] [--episodes 1000] [--http-episodes 100]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import importlib
import json
import random
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

from mcp import Client  # noqa: E402
from mcp.server import MCPServer  # noqa: E402
from pydantic import BaseModel  # noqa: E402

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


class Echo(BaseModel):
    value: str


class Clock:
    """Wall and CPU seconds of the process since start."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def rates(self, calls: int) -> tuple[float, float]:
        """(calls per wall second, calls per CPU second) since start."""
        return calls / (time.perf_counter() - self.wall), calls / (time.process_time() - self.cpu)


async def noop_floor(n: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """The SDK's own floor: (wall, CPU) calls/s of a tool that does nothing, `n` concurrent callers,
    through the in-memory MCP client and through MCPServer.call_tool (what the direct path runs)."""
    server = MCPServer("floor", log_level="WARNING")

    @server.tool()
    async def echo(value: str) -> Echo:
        return Echo(value=value)

    async with Client(server) as client:
        await client.list_tools()
        gc.collect()
        clock = Clock()
        await asyncio.gather(*(client.call_tool("echo", {"value": str(i)}) for i in range(n)))
        over_mcp = clock.rates(n)
    gc.collect()
    clock = Clock()
    await asyncio.gather(*(server.call_tool("echo", {"value": str(i)}) for i in range(n)))
    return over_mcp, clock.rates(n)


async def creation(package, scenarios: list[dict], n: int, recycle: bool) -> list[float]:
    """Seconds to create each of `n` episodes, closing each before the next. With `recycle`, a new episode
    takes the database the closed one left (what a trainer's next step does)."""
    env = package.LocalEnvironment(package.Episodes() if recycle else package.Episodes(spare_bytes=0))
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
    from mcp import StdioServerParameters

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


async def concurrent(package, scenarios: list[dict], n: int, validate: bool = True, direct: bool = False,
                     steps: int = 4) -> dict:
    """`n` episodes at once, each playing its scenario's gold calls: first use of new databases, a second
    round on the same episodes, then `steps` trainer steps: the episodes closed and `n` new ones made, of
    a seeded shuffle of the scenarios, on the databases they left (recycled); each end state must equal
    the one its scenario reached on a new database."""
    picked = [scenarios[i % len(scenarios)] for i in range(n)]
    before = rss_mb()
    async with package.LocalEnvironment(validate=validate) as env:
        episodes = [await env.create(s) for s in picked]
        after = rss_mb()

        async def play(episode: str, scenario: dict) -> int:
            client = env.direct(episode) if direct else env.client(episode)
            for action in scenario["gold_actions"]:
                await client.call_tool(action["tool"], action["arguments"])
            return len(scenario["gold_actions"])

        async def play_all(chosen: list[dict]) -> tuple[int, float, float]:
            gc.collect()  # each round pays for its own garbage, not for the set-up's before it
            clock = Clock()
            calls = sum(await asyncio.gather(*(play(e, s) for e, s in zip(episodes, chosen, strict=True))))
            return (calls, *clock.rates(calls))

        async def finals(chosen: list[dict]) -> tuple[list[float], list[str]]:
            rewards = [(await env.verify(e, answers(s)))["reward"] for e, s in zip(episodes, chosen, strict=True)]
            digests = []
            for e in episodes:
                conn = await env.episodes.get(e).store.snapshot()
                digests.append(digest(conn))
                conn.close()
            return rewards, digests

        calls, rate, cpu_rate = await play_all(picked)
        rewards, first = await finals(picked)
        _, again_rate, again_cpu = await play_all(picked)  # each connection has prepared its statements
        reached = {s["id"]: d for s, d in zip(picked, first, strict=True)}
        trained, next_rewards, next_leaks = [], [], 0
        for step in range(1, steps + 1):
            for e in episodes:
                await env.close(e)
            chosen = random.Random(step).sample(picked, n)  # other scenarios than each database had before
            episodes = [await env.create(s) for s in chosen]
            trained.append(await play_all(chosen))
            step_rewards, recycled = await finals(chosen)
            next_rewards += step_rewards
            next_leaks += sum(reached[s["id"]] != d for s, d in zip(chosen, recycled, strict=True))
    # sequential replay of each episode's own calls, one at a time, each on a new database
    leaks = 0
    async with package.LocalEnvironment(package.Episodes(spare_bytes=0)) as env:
        for scenario, final in zip(picked, first, strict=True):
            e = await env.create(scenario)
            await play_one(env, e, scenario)
            conn = await env.episodes.get(e).store.snapshot()
            leaks += digest(conn) != final
            conn.close()
            await env.close(e)
    return {"calls": calls, "rate": rate, "cpu_rate": cpu_rate, "again_rate": again_rate, "again_cpu": again_cpu,
            "next_rate": trained[0][1], "next_cpu": trained[0][2], "last_rate": trained[-1][1],
            "last_cpu": trained[-1][2], "mb_per_episode": (after - before) / n,
            "reward_mean": statistics.mean(rewards), "next_reward_mean": statistics.mean(next_rewards),
            "leaks": leaks, "next_leaks": next_leaks}


async def play_one(env, episode: str, scenario: dict) -> None:
    client = env.client(episode)
    for action in scenario["gold_actions"]:
        await client.call_tool(action["tool"], action["arguments"])


async def over_http(domain: str, scenarios: list[dict], n: int) -> dict:
    import httpx2
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
        return {"calls": calls, "rate": calls / elapsed, "reward_mean": statistics.mean(rewards), "connect": connect}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def single(package, scenarios: list[dict], n: int, direct: bool = False) -> float:
    """Calls/s of one episode alone: each scenario's gold calls, one episode at a time."""
    calls, elapsed = 0, 0.0
    async with package.LocalEnvironment() as env:
        for scenario in scenarios[:n]:
            episode = await env.create(scenario)
            client = env.direct(episode) if direct else env.client(episode)
            start = time.perf_counter()
            for action in scenario["gold_actions"]:
                await client.call_tool(action["tool"], action["arguments"])
            elapsed += time.perf_counter() - start
            calls += len(scenario["gold_actions"])
            await env.close(episode)
    return calls / elapsed


def row(figure: str, value: float, unit: str, floor: str, ratio: float | None, note: str = "") -> None:
    """One line of the report: the figure, its floor or target, and the ratio against it."""
    shown = f"{value:,.3f}" if value < 10 else f"{value:,.0f}"
    ratio_text = "" if ratio is None else f"{ratio:6.2f}x"
    print(f"{figure:<44} {shown:>10} {unit:<9} {floor:<34} {ratio_text:>8}  {note}")


def later_rounds(name: str, result: dict, target: int, unit: str, rounds: tuple) -> None:
    """The rows of the rounds after a first step: (name suffix, result field, note) each."""
    for when, field, note in rounds:
        row(name + when, result[field], unit, f"target >= {target:,}", result[field] / target, note)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("domain", nargs="?", default="airline")
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--http-episodes", type=int, default=100)
    parser.add_argument("--creations", type=int, default=1000)
    parser.add_argument("--spawns", type=int, default=5)
    parser.add_argument("--single", type=int, default=200, help="scenarios played one at a time for the baseline")
    parser.add_argument("--steps", type=int, default=4, help="trainer steps on recycled databases after the first")
    args = parser.parse_args()
    package = importlib.import_module(f"generated_servers.{args.domain}")
    lines = (ROOT / "tasks" / args.domain / "scenarios.jsonl").read_text().splitlines()
    scenarios = [json.loads(line) for line in lines]
    n = args.episodes

    made = await creation(package, scenarios, args.creations, recycle=False)
    reused = await creation(package, scenarios, args.creations, recycle=True)
    spawned = await spawn_baseline(args.domain, scenarios[0], args.spawns)
    p50, p99, spawn = statistics.median(made), pct(made, 0.99), statistics.median(spawned)
    reused_p50 = statistics.median(reused)
    alone_mcp = await single(package, scenarios, args.single)
    alone_direct = await single(package, scenarios, args.single, direct=True)
    mcp = await concurrent(package, scenarios, n, steps=args.steps)
    fast = await concurrent(package, scenarios, n, validate=False, steps=1)
    direct = await concurrent(package, scenarios, n, direct=True, steps=args.steps)
    http = await over_http(args.domain, scenarios, args.http_episodes)
    (noop_mcp, noop_mcp_cpu), (noop_direct, noop_direct_cpu) = await noop_floor(3 * n)
    image = len(package.runtime.seed_image()) / 2**20

    print(f"{'figure':<44} {'measured':>10} {'unit':<9} {'floor / target (same run)':<34} {'ratio':>8}")
    row("episode creation p50, new database", p50 * 1e3, "ms", "target <= 0.25 ms", 0.25 / p50 / 1e3,
        "(>= 1x meets it)")
    row("episode creation p99, new database", p99 * 1e3, "ms", "", None)
    row("episode creation p50, recycled database", reused_p50 * 1e3, "ms", "target <= 0.25 ms",
        0.25 / reused_p50 / 1e3, "(a closed episode's)")
    row("stdio process per episode p50", spawn * 1e3, "ms", f"creation p50 {p50 * 1e3:.3f} ms", spawn / p50,
        "(aim >= 500x)")
    row("one episode alone, MCP client", alone_mcp, "calls/s", "baseline", None)
    per_wall = ("calls/s", "rate", "again_rate", "next_rate", "last_rate", noop_mcp, noop_direct)
    per_cpu = ("calls/cpu", "cpu_rate", "again_cpu", "next_cpu", "last_cpu", noop_mcp_cpu, noop_direct_cpu)
    for unit, key, again, step, later, floor, direct_floor in (per_wall, per_cpu):
        rounds = ((", second round", again, "(statements already prepared)"),
                  (", next step", step, "(other scenarios, recycled databases)"),
                  (f", step {args.steps + 1}", later, "(the same, statements accumulated)"))

        if unit == "calls/cpu":
            print("per CPU-second of this process (what a quiet machine's wall clock would show):")
        row(f"{n} episodes, MCP client", mcp[key], unit, "target >= 1,500", mcp[key] / 1500, "(new databases)")
        if unit == "calls/s":
            row("", mcp[key], unit, f"one episode alone {alone_mcp:,.0f}", mcp[key] / alone_mcp, "(aim >= 0.80x)")
        row("", mcp[key], unit, f"no-op tool, MCP client {floor:,.0f}", mcp[key] / floor, "(the SDK's floor)")
        later_rounds(f"{n} episodes, MCP client", mcp, 1500, unit, rounds)
        if unit == "calls/s":
            row(f"{n} episodes, MCP client, validate=False", fast[key], unit, f"MCP client {mcp[key]:,.0f}",
                fast[key] / mcp[key])
            row("one episode alone, direct", alone_direct, unit, f"MCP alone {alone_mcp:,.0f}", alone_direct / alone_mcp)
        row(f"{n} episodes, direct", direct[key], unit, "target >= 10,000", direct[key] / 10_000, "(new databases)")
        row("", direct[key], unit, f"no-op tool, call_tool {direct_floor:,.0f}", direct[key] / direct_floor,
            "(the SDK's floor)")
        later_rounds(f"{n} episodes, direct", direct, 10_000, unit, rounds)
        if unit == "calls/s":
            row(f"{args.http_episodes} episodes over HTTP", http["rate"], unit, f"MCP in process {mcp['rate']:,.0f}",
                http["rate"] / mcp["rate"], f"(connect + tools/list {http['connect'] * 1e3:.0f} ms per client)")
            row("memory per episode (RSS)", mcp["mb_per_episode"], "MB", f"the seed image {image:.2f} MB",
                mcp["mb_per_episode"] / image)
    for name, result in (("MCP", mcp), ("validate=False", fast), ("direct", direct), ("HTTP", http)):
        leaks = result.get("leaks", "n/a")
        print(f"  {name}: reward mean {result['reward_mean']:.3f}, cross-episode leaks {leaks} "
              "(final state vs a sequential replay)")
        if "next_leaks" in result:
            print(f"  {name}, later steps: reward mean {result['next_reward_mean']:.3f}, end states differing from the"
                  f" same scenario's on a new database {result['next_leaks']} (a recycled database keeps nothing)")


if __name__ == "__main__":
    asyncio.run(main())

"""The `eval` command: agents play scenarios in isolated episodes; rewards, pass^k, trajectories.

Each (scenario, trial) is one episode of its domain's in-process `LocalEnvironment` (one per
domain, opened once); `--concurrency` episodes run at once. `DIR/trajectories.jsonl` gets a
line per episode as it finishes, so a rerun skips the (scenario id, trial) pairs already
there; at the end the file is rewritten sorted by (scenario id, trial) and
`DIR/summary.json` is computed from it, so both are the same whatever the concurrency.
Trial `t` samples the LLMs with seed `--seed + t`: trials differ, and reruns repeat.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
from collections import Counter, defaultdict
from contextlib import AsyncExitStack
from dataclasses import dataclass
from math import comb
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from generator.harness.agents import LLMAgent, NoopAgent, OracleAgent, openai_tools, said
from generator.harness.users import LLMUser, ScriptedUser
from generator.llm import OpenAIChat
from generator.tasks.scenario import load_scenarios

ROOT = Path(__file__).resolve().parents[2]


def scenarios_of(target: str) -> list[dict[str, Any]]:
    """The scenarios of a domain name (its `tasks/<domain>/scenarios.jsonl`) or of a file or folder."""
    path = Path(target)
    if not path.exists():
        path = ROOT / "tasks" / target / "scenarios.jsonl"
    if not path.exists():
        raise FileNotFoundError(f"no scenarios for {target!r}: give a domain with tasks/<domain>/ or a .jsonl file")
    return [s.model_dump(mode="json") for s in load_scenarios(path)]


def pass_hat_k(n: int, c: int, k: int) -> float:
    """tau-bench's pass^k for one scenario with c successes in n trials: C(c, k) / C(n, k)."""
    return comb(c, k) / comb(n, k)


def pass_at_k(n: int, c: int, k: int) -> float:
    """pass@k for one scenario with c successes in n trials: 1 - C(n - c, k) / C(n, k)."""
    return 1 - comb(n - c, k) / comb(n, k)


def summarize_rows(rows: list[dict[str, Any]], k: int) -> dict[str, Any]:
    """Figures over episodes: reward mean, pass^k and pass@k (k = 1..K, averaged over scenarios;
    capped at the fewest trials any scenario has), failures per `scenario/check`, endings, tokens."""
    trials: dict[str, list[bool]] = defaultdict(list)
    failures: Counter = Counter()
    tokens: Counter = Counter()
    for r in rows:
        trials[r["scenario_id"]].append(r["reward"] == 1.0)
        failures.update(f"{r['scenario_id']}/{c['id']}" for c in r["checks"] if not c["passed"])
        for side, used in r["usage"].items():
            tokens.update({f"{side}_{name}": n for name, n in used.items()})
    counts = [(len(v), sum(v)) for v in trials.values()]
    ks = range(1, min([k] + [n for n, _ in counts]) + 1)
    return {
        "episodes": len(rows),
        "scenarios": len(trials),
        "reward_mean": round(sum(r["reward"] for r in rows) / len(rows), 4),
        "pass^k": {str(i): round(sum(pass_hat_k(n, c, i) for n, c in counts) / len(counts), 4) for i in ks},
        "pass@k": {str(i): round(sum(pass_at_k(n, c, i) for n, c in counts) / len(counts), 4) for i in ks},
        "turns_mean": round(sum(r["turns"] for r in rows) / len(rows), 2),
        "endings": dict(sorted(Counter(r["ending"] for r in rows).items())),
        "check_failures": dict(sorted(failures.items())),
        "usage": dict(sorted(tokens.items())),
    }


def summarize(rows: list[dict[str, Any]], k: int) -> dict[str, Any]:
    """`summarize_rows` per domain and overall."""
    by_domain: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_domain[r["domain"]].append(r)
    return {"domains": {d: summarize_rows(v, k) for d, v in sorted(by_domain.items())},
            "overall": summarize_rows(rows, k) if rows else {}}


def chat_model(model: str, args: Any) -> OpenAIChat:
    return OpenAIChat(model, args.base_url, args.api_key, seed=args.seed, concurrency=args.concurrency,
                      cache=getattr(args, "cache", None), offline=getattr(args, "offline", False))


def make_agent(spec: str, args: Any) -> Any:
    """`oracle`, `noop` or `openai:MODEL`."""
    if spec == "oracle":
        return OracleAgent()
    if spec == "noop":
        return NoopAgent()
    if spec.startswith("openai:") and spec[7:]:
        return LLMAgent(chat_model(spec[7:], args))
    raise ValueError(f"unknown agent {spec!r}: use oracle, noop or openai:MODEL")


def make_user(spec: str, args: Any) -> Any:
    """`scripted` or `llm:MODEL`."""
    if spec == "scripted":
        return ScriptedUser()
    if spec.startswith("llm:") and spec[4:]:
        return LLMUser(chat_model(spec[4:], args))
    raise ValueError(f"unknown user simulator {spec!r}: use scripted or llm:MODEL")


@dataclass
class Domain:
    env: Any  # the domain's LocalEnvironment
    instructions: str
    tools: list[dict[str, Any]] | None = None


async def play(domain: Domain, scenario: dict, trial: int, agent: Any, user: Any, args: Any) -> dict[str, Any]:
    """One episode: create it, let the agent run, verify on what the agent said, close it."""
    episode = await domain.env.create(scenario)
    try:
        client = domain.env.client(episode)
        if domain.tools is None:
            domain.tools = openai_tools((await client.list_tools()).tools)
        messages, usage = await agent.run(client, scenario, domain.instructions, domain.tools, user,
                                          args.max_turns, seed=args.seed + trial)
        verdict = await domain.env.verify(episode, said(messages))
    finally:
        await domain.env.close(episode)
    last = messages[-1]
    return {
        "scenario_id": scenario["id"], "domain": scenario["domain"], "trial": trial, "seed": args.seed + trial,
        "agent": args.agent, "user": args.user, "reward": verdict["reward"], "checks": verdict["checks"],
        "turns": sum(1 for m in messages if m["role"] == "assistant"),
        "ending": "done" if last["role"] == "assistant" and not last.get("tool_calls") else "max_turns",
        "usage": usage, "messages": messages, "tools": domain.tools,
    }


async def run_jobs(jobs: list[tuple[dict, int]], packages: dict[str, Any], agent: Any, user: Any, args: Any,
                   sink: Any, failed: Any) -> None:
    """Play every job on `args.concurrency` workers; `sink(row)` or `failed(job, exc)` after each."""
    async with AsyncExitStack() as stack:
        domains = {name: Domain(await stack.enter_async_context(package.LocalEnvironment()),
                                package.server.INSTRUCTIONS) for name, package in packages.items()}
        pending = iter(jobs)

        async def worker() -> None:
            for scenario, trial in pending:
                try:
                    row = await play(domains[scenario["domain"]], scenario, trial, agent, user, args)
                except Exception as exc:  # one failed episode (an LLM error, a cache miss) never stops the run
                    failed((scenario["id"], trial), exc)
                else:
                    sink(row)

        await asyncio.gather(*(worker() for _ in range(max(1, min(args.concurrency, len(jobs))))))


def read_rows(path: Path, err: Any) -> list[dict[str, Any]]:
    """The episodes already in trajectories.jsonl (a line cut short by a crash is dropped)."""
    if not path.exists():
        return []
    rows, seen, broken = [], set(), 0
    for line in path.read_text().splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            broken += 1
            continue
        if (row["scenario_id"], row["trial"]) not in seen:
            seen.add((row["scenario_id"], row["trial"]))
            rows.append(row)
    if broken:
        err.print(f"warning: skipped {broken} unreadable line(s) of {path}; those episodes run again")
    return rows


def write_lines(path: Path, rows: list[dict[str, Any]]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in rows))
    os.replace(tmp, path)


def run_eval(args: Any, out: Any, err: Any) -> int:
    """The `eval` command (flags in generator/cli.py); returns the exit status."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    try:
        agent, user = make_agent(args.agent, args), make_user(args.user, args)
        scenarios = {s["id"]: s for t in args.targets for s in scenarios_of(t)[: args.limit]}
        packages = {d: importlib.import_module(f"generated_servers.{d}")
                    for d in sorted({s["domain"] for s in scenarios.values()})}
    except (ValueError, FileNotFoundError, ValidationError, ModuleNotFoundError) as exc:
        err.print(f"error: {exc}", markup=False)
        return 2
    path = args.out / "trajectories.jsonl"
    rows = read_rows(path, err)
    other = {(r.get("agent"), r.get("user")) for r in rows} - {(args.agent, args.user)}
    if other:
        err.print(f"error: {path} holds episodes of another agent/user {sorted(other)[0]}; use another --out")
        return 2
    done = {(r["scenario_id"], r["trial"]) for r in rows}
    jobs = [(s, t) for sid, s in sorted(scenarios.items()) for t in range(args.k) if (sid, t) not in done]
    if done:
        err.print(f"resuming: {len(done)} episode(s) already in {path}, {len(jobs)} to run")
        write_lines(path, rows)  # drop a line a crash cut short before appending after it
    args.out.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with path.open("a") as file, Progress(TextColumn("eval {task.description}"), BarColumn(), MofNCompleteColumn(),
                                          TextColumn("reward {task.fields[mean]:.3f}"), TimeElapsedColumn(),
                                          console=err) as bar:
        task = bar.add_task(args.agent, total=len(jobs), mean=0.0)
        new: list[float] = []

        def sink(row: dict) -> None:
            rows.append(row)
            file.write(json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n")
            file.flush()
            new.append(row["reward"])
            bar.update(task, advance=1, mean=sum(new) / len(new))

        def failed(job: tuple[str, int], exc: Exception) -> None:
            errors.append(f"{job[0]} trial {job[1]}: {type(exc).__name__}: {exc}")
            bar.advance(task)

        if jobs:
            asyncio.run(run_jobs(jobs, packages, agent, user, args, sink, failed))
    rows.sort(key=lambda r: (r["scenario_id"], r["trial"]))
    write_lines(path, rows)
    if errors:
        err.print(f"{len(errors)} episode(s) failed and were not recorded (rerun the same command to retry them):")
        for line in errors[:5]:
            err.print(f"  {line}", markup=False)
    if not rows:
        err.print("error: no episode finished")
        return 1
    summary = {"agent": args.agent, "user": args.user, "k": args.k, "max_turns": args.max_turns, "seed": args.seed,
               **summarize(rows, args.k)}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    print_summary(summary, out)
    for side, player in (("agent", agent), ("user", user)):
        if hasattr(player, "model"):  # token totals of this run, and how many calls the cache answered
            used = player.model.usage
            err.print(f"{side} {player.model.model}: {used.calls} call(s), {used.cached} from cache, "
                      f"{used.prompt_tokens} prompt + {used.completion_tokens} completion tokens")
    out.print(f"wrote {path} and {args.out / 'summary.json'}")
    return 1 if errors else 0


def print_summary(summary: dict[str, Any], out: Any) -> None:
    """A table: episodes, reward mean, pass^k and pass@k per domain and overall."""
    from rich.table import Table

    table = Table("domain", "episodes", "reward", "pass^k (k=1..)", "pass@k (k=1..)", title=summary["agent"])
    for name, block in [*summary["domains"].items(), ("overall", summary["overall"])]:
        table.add_row(name, str(block["episodes"]), f"{block['reward_mean']:.3f}",
                      " ".join(f"{v:.3f}" for v in block["pass^k"].values()),
                      " ".join(f"{v:.3f}" for v in block["pass@k"].values()))
    out.print(table)

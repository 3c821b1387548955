"""The issue's independent replay, using only the scenario contract and the server command line.

For a sample of committed scenarios per domain: `python -m generated_servers.<d> --scenario
FILE --db INITIAL` writes the initial state; a copy of it is the episode, served by
`--db RUN` over stdio; after the actions, every SQL check runs read-only on RUN with
INITIAL attached read-only as schema `initial`. Gold and every valid alternative pass;
each stored negative control fails a check.
"""

from __future__ import annotations

import importlib
import json
import random
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

ROOT = Path(__file__).resolve().parents[2]
TASKS = sorted((ROOT / "tasks").glob("*/scenarios.jsonl"))


def sample(path: Path, k: int) -> list[dict]:
    lines = path.read_text().splitlines()
    return [json.loads(line) for line in random.Random(path.parent.name).sample(lines, k)]


def server(scenario: dict, *args: str) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=["-m", f"generated_servers.{scenario['domain']}", *args],
                                 cwd=str(ROOT), env={"PYTHONPATH": str(ROOT)})


async def replay(scenario: dict, actions: list[dict], tmp: Path) -> list[bool]:
    initial = tmp / f"{scenario['id']}-initial.db"
    if not initial.exists():
        spec = tmp / f"{scenario['id']}.json"
        spec.write_text(json.dumps(scenario))
        async with Client(server(scenario, "--scenario", str(spec), "--db", str(initial))) as client:
            await client.list_tools()
    db = tmp / f"{scenario['id']}-{len(list(tmp.glob('*.db')))}.db"
    shutil.copyfile(initial, db)
    async with Client(server(scenario, "--db", str(db))) as client:
        for action in actions:
            await client.call_tool(action["tool"], action["arguments"])
    # a text check's words are judged by the server's own copy of the judge, as a third party would
    carries = importlib.import_module(f"generated_servers.{scenario['domain']}.judge").carries
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        conn.execute("ATTACH DATABASE ? AS initial", (f"file:{initial}?mode=ro",))
        results = []
        for c in scenario["checks"]:
            if c["kind"] == "sql":
                results.append([list(r) for r in conn.execute(c["sql"], c["params"])] == c["expect"])
            elif c["kind"] == "text":
                texts = [r[0] for r in conn.execute(c["sql"], c["params"])]
                results.append(any(carries(t or "", c["accept"])[0] for t in texts))
        return results
    finally:
        conn.close()


@pytest.mark.parametrize("path", TASKS, ids=[p.parent.name for p in TASKS])
async def test_sampled_scenarios_replay_independently(path, tmp_path):
    assert len(path.read_text().splitlines()) >= 200
    for scenario in sample(path, 1):
        assert all(await replay(scenario, scenario["gold_actions"], tmp_path)), scenario["id"]
        writes = any(c["kind"] == "do_nothing" for c in scenario["validation"]["negative_controls"])
        assert all(await replay(scenario, [], tmp_path)) != writes, f"{scenario['id']}: doing nothing"
        for control in scenario["validation"]["negative_controls"][1:]:
            assert not all(await replay(scenario, control["actions"], tmp_path)), (scenario["id"], control["name"])
        for alternative in scenario["validation"]["valid_alternatives"]:
            assert all(await replay(scenario, alternative["actions"], tmp_path)), (scenario["id"], alternative["name"])

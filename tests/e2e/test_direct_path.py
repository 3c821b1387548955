"""The direct path returns what an MCP client receives, for every gold action of every committed scenario.

Each scenario runs twice on the server built from the current templates: once through the
in-memory MCP client, once through `LocalEnvironment.direct`, each on its own episode of the
same initial state. Every result (text content, structured content, is_error) must be equal,
and so must the two end states. A call with its arguments left out and a call of an unknown
tool must fail the same way on both paths. The `_meta` server stamp the MCP runner adds to
each response is protocol, not content, and is left out of the comparison.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TASKS = sorted((ROOT / "tasks").glob("*/scenarios.jsonl"))


def seen(result) -> dict:
    return result.model_dump(mode="json", by_alias=True, exclude={"meta"})


@pytest.mark.parametrize("path", TASKS, ids=[p.parent.name for p in TASKS])
async def test_direct_calls_equal_mcp_calls_for_every_gold_action(path):
    package = importlib.import_module(f"generated_servers.{path.parent.name}")
    scenarios = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    compared = errors = 0
    async with package.LocalEnvironment() as env:
        for scenario in scenarios:
            over_mcp, direct = await env.create(scenario), await env.create(scenario)
            first = (scenario["gold_actions"] or [{"tool": "no_such_tool"}])[0]["tool"]  # a decline may need no call
            actions = [*scenario["gold_actions"], {"tool": first, "arguments": {}}, {"tool": "no_such_tool", "arguments": {}}]
            for action in actions:
                expected = await env.client(over_mcp).call_tool(action["tool"], action["arguments"])
                got = await env.direct(direct).call_tool(action["tool"], action["arguments"])
                assert seen(got) == seen(expected), (scenario["id"], action)
                compared += 1
                errors += expected.is_error
            assert await env.state(direct) == await env.state(over_mcp), scenario["id"]
            await env.close(over_mcp)
            await env.close(direct)
    assert compared >= 3 * len(scenarios) and errors >= len(scenarios)


async def test_a_direct_call_on_a_closed_episode_is_the_same_tool_error():
    package = importlib.import_module("generated_servers.airline")
    async with package.LocalEnvironment() as env:
        episode = await env.create()
        client, direct = env.client(episode), env.direct(episode)
        await env.close(episode)
        expected = await client.call_tool("get_airport", {"airport_code": "ZZZ"})
        got = await direct.call_tool("get_airport", {"airport_code": "ZZZ"})
    assert got.is_error and "no episode" in got.content[0].text and seen(got) == seen(expected)

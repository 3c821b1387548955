"""OpenEnv (`openenv-core`): our MCP environment served by OpenEnv's create_app, driven by its MCPToolClient
(`ScenarioEnvClient` only adds parsing of our observation fields).

Gold play scores 1.0, doing nothing 0, over OpenEnv's WebSocket session protocol. Needs the
`[openenv]` extra; skipped without it.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import pytest

from generator.harness.agents import answers
from tests.support import ROOT

pytest.importorskip("openenv.core", reason="needs the [openenv] extra (openenv-core)")
from openenv.core.env_server.types import Action  # noqa: E402

from generator.integrations.openenv import ScenarioEnvClient  # noqa: E402

IDS = ["airline-0-0000", "airline-0-0002", "airline-0-0022"]  # a policy refusal, an action, an information request


@pytest.fixture(scope="module")
def served():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "generator.integrations.openenv", "airline", "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        assert proc.poll() is None, proc.stderr.read().decode()[-3000:]
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def scenarios() -> dict[str, dict]:
    rows = (json.loads(line) for line in (ROOT / "tasks" / "airline" / "scenarios.jsonl").open())
    return {s["id"]: s for s in rows if s["id"] in IDS}


async def test_openenv_client_scores_gold_play_one_and_doing_nothing_zero(served):
    by_id = scenarios()
    async with ScenarioEnvClient(base_url=served) as env:
        tools = await env.list_tools()
        assert len(tools) >= 30 and not {"reset", "step", "state", "close"} & {t.name for t in tools}
        for scenario_id, scenario in sorted(by_id.items()):
            started = await env.reset(scenario_id=scenario_id)
            assert started.observation.prompt[1]["content"] == scenario["user"]["instruction"]
            for action in scenario["gold_actions"]:
                await env.call_tool(action["tool"], **action["arguments"])
            finished = await env.step(Action(metadata={"message": answers(scenario)}))
            assert finished.done and finished.reward == 1.0, finished.observation.checks
            await env.reset(scenario_id=scenario_id)
            idle = await env.step(Action(metadata={"message": "Thank you for reaching out."}))
            assert idle.done and idle.reward == 0.0
        state = await env.state()
    assert state.step_count == 1


async def test_sessions_are_isolated_episodes(served):
    scenario = scenarios()["airline-0-0002"]
    async with ScenarioEnvClient(base_url=served) as played, ScenarioEnvClient(base_url=served) as other:
        await played.reset(scenario_id=scenario["id"])
        await other.reset(scenario_id=scenario["id"])
        for action in scenario["gold_actions"]:
            await played.call_tool(action["tool"], **action["arguments"])
        untouched = await other.step(Action(metadata={"message": answers(scenario)}))
        done = await played.step(Action(metadata={"message": answers(scenario)}))
    assert done.reward == 1.0 and untouched.reward == 0.0

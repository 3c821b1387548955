"""verifiers 0.4 (`verifiers.v1`) runs our taskset the way its docs say: `vf-eval <taskset-id>`.

The real `vf-eval` evaluates `scaleenv-verifiers` with verifiers' own `null` harness (its chat
program, run by uv) against a scripted OpenAI-compatible model: playing each scenario's gold
actions scores 1.0, doing nothing scores 0. Needs the `[verifiers]` extra (verifiers pins
mcp==2.0.0, so CI gives it a venv of its own); skipped without it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fake_openai import FakeOpenAI
from tests.integrations.scripted import gold_model, idle_model
from tests.support import ROOT

pytest.importorskip("verifiers.v1", reason="needs the [verifiers] extra")
VF_EVAL = Path(sys.executable).parent / "vf-eval"
pytestmark = pytest.mark.skipif(not VF_EVAL.exists() or not shutil.which("uv", path=str(VF_EVAL.parent)),
                                reason="needs vf-eval and uv (the [verifiers] extra)")
# One scenario of each kind: a policy refusal, an action, an information request.
IDS = ["airline-0-0000", "airline-0-0002", "airline-0-0022"]


def scenarios() -> list[dict]:
    rows = (json.loads(line) for line in (ROOT / "tasks" / "airline" / "scenarios.jsonl").open())
    return sorted((s for s in rows if s["id"] in IDS), key=lambda s: s["id"])


def evaluate(model, out: Path) -> dict[str, dict]:
    """Run `vf-eval scaleenv-verifiers` on IDS with `model`; the recorded trace of each task, by name."""
    with FakeOpenAI(model) as fake:
        command = [str(VF_EVAL), "scaleenv-verifiers", "--env.taskset.domain", "airline",
                   "--select.include.names", *IDS,
                   "-m", "scripted", "--client.base-url", fake.url, "--client.api-key-var", "SCRIPTED_KEY",
                   "--env.agent.harness.id", "null", "--env.agent.runtime.type", "subprocess",
                   "--no-push", "-o", str(out), "-c", str(len(IDS))]
        env = {**os.environ, "SCRIPTED_KEY": "unused", "PATH": f"{VF_EVAL.parent}:{os.environ['PATH']}"}
        done = subprocess.run(command, env=env, cwd=out.parent, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    traces = [json.loads(line)["traces"][0] for path in out.rglob("traces.jsonl") for line in path.open()]
    return {t["task"]["data"]["name"]: t for t in traces}


def test_vf_eval_scores_gold_play_one_and_doing_nothing_zero(tmp_path):
    gold = evaluate(gold_model(scenarios()), tmp_path / "gold")
    idle = evaluate(idle_model, tmp_path / "idle")
    assert sorted(gold) == sorted(idle) == IDS
    assert {name: t["rewards"]["nemo_gym"]["score"] for name, t in gold.items()} == dict.fromkeys(IDS, 1.0)
    assert {name: t["rewards"]["nemo_gym"]["score"] for name, t in idle.items()} == dict.fromkeys(IDS, 0.0)
    checks = gold[IDS[1]]["info"]["nemo_gym"]["checks"]
    assert checks and all(c["passed"] for c in checks)


def test_verifiers_own_nemo_gym_taskset_drives_the_server_as_a_resource_server(tmp_path):
    """verifiers' stock NeMo Gym taskset (its port of NeMo Gym's rollout loop: /seed_session, MCP tools
    with the returned headers, /verify with the Responses object) on our exported rows and server."""
    from generator.harness.export import nemo_gym_row, scenarios_from
    from generator.integrations.served import episode_server

    rows = tmp_path / "airline.nemo.jsonl"
    rows.write_text("".join(json.dumps(nemo_gym_row(s)) + "\n" for s in scenarios_from(["airline"]) if s.id in IDS))
    url = episode_server("airline")
    config = tmp_path / "eval.toml"  # the taskset's own fields reach it from a config file
    config.write_text(f'[env.taskset]\nid = "nemo-gym"\ndataset = "{rows}"\n\n'
                      f'[env.taskset.task]\nresources_url = "{url}"\n')
    with FakeOpenAI(gold_model(scenarios())) as fake:
        command = [str(VF_EVAL), "@", str(config), "-m", "scripted", "--client.base-url", fake.url, "--client.api-key-var", "SCRIPTED_KEY",
                   "--env.agent.harness.id", "null", "--env.agent.runtime.type", "subprocess",
                   "--no-push", "-o", str(tmp_path / "out"), "-c", str(len(IDS))]
        env = {**os.environ, "SCRIPTED_KEY": "unused", "PATH": f"{VF_EVAL.parent}:{os.environ['PATH']}"}
        done = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    traces = [json.loads(line)["traces"][0] for path in (tmp_path / "out").rglob("traces.jsonl") for line in path.open()]
    assert sorted(t["rewards"]["nemo_gym"]["score"] for t in traces) == [1.0] * len(IDS)

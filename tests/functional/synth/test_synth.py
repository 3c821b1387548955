"""Synthesis from recorded transcripts: the pet clinic replays offline from the cache, the library
through the real `openai` client against a local fake server, and both come out as domains that
build, pass procedural testing and expand into scenarios that verify."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from generator.cli import main
from generator.compile.build import compile_domain
from generator.llm import request_key
from generator.probe.replayer import Replayer
from generator.probe.run import run_probe
from generator.synth.pipeline import Config, synthesize_domain
from generator.synth.record import role_of
from generator.synth.worker import import_server
from generator.tasks.replay import verify_scenario
from generator.tasks.scenario import load_scenarios
from tests.fake_openai import FakeOpenAI, body_key, fake_openai
from tests.support import ROOT

TRANSCRIPTS = ROOT / "transcripts"
CACHE = TRANSCRIPTS / "cache"


def synthesize(*argv: str) -> int:
    return main(["synthesize", *argv, "--model", "recorded", "--count", "12"])


def verify_all(out: Path, name: str) -> tuple[int, list[str]]:
    """Replay every scenario's gold and negative controls on the server written under `out`."""
    scenarios = load_scenarios(out / "tasks" / name / "scenarios.jsonl")

    async def run() -> list[str]:
        async with Replayer(*import_server(out / "generated_servers" / name)) as replayer:
            return [p for s in scenarios for p in await verify_scenario(replayer, s)]

    return len(scenarios), anyio.run(run)


def assert_domain_is_sound(out: Path, name: str) -> dict:
    spec = out / "domains" / "synth" / f"{name}.yaml"
    assert spec.read_text() == (ROOT / "domains" / "synth" / f"{name}.yaml").read_text()  # replay is byte-identical
    build = compile_domain(spec)
    assert len(build.ir.tools) >= 10 and len(build.ir.tables) >= 4
    assert run_probe(spec, build).unexpected == 0
    count, problems = verify_all(out, name)
    assert count >= 10 and problems == []
    edges = json.loads((out / "domains" / "synth" / f"{name}.edges.json").read_text())
    assert edges["confirmed"] + edges["rejected"] == edges["candidates"] == len(edges["edges"])
    return json.loads((out / "domains" / "synth" / f"{name}.report.json").read_text())


def test_recorded_pet_clinic_replays_offline_into_a_verified_domain_and_a_rerun_skips_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))  # the default output lies outside the repository
    assert synthesize("pet_clinic", "--offline") == 0  # and offline replays the recorded cache by default
    out = tmp_path / "scaleenv" / "synth"
    report = assert_domain_is_sound(out, "pet_clinic")
    log = "\n".join(report["log"])
    assert report["retries"] == {"tools": 1}  # the invalid first reply was sent back and corrected
    assert "1 tool(s) held by the sandbox" in log and "fixed the tool (The invoice id was made with uuid" in log
    assert "cancel_appointment: fixed the tool" in log and "complete_appointment: fixed the tests" in log
    assert report["unexpected"] == 0 and report["dropped"] == {}
    printed = capsys.readouterr().out
    assert "pet_clinic: 15 tools, 6 tables" in printed and "tokens:" in printed and "per domain (paper: ~546,000)" in printed
    assert sorted(p.name for p in out.iterdir()) == ["domains", "generated_servers", "tasks"]  # no scratch left

    assert synthesize("pet_clinic", "--offline", "--cache", str(tmp_path / "empty")) == 0  # nothing is asked again
    captured = capsys.readouterr()
    assert "finished by an earlier run" in captured.err and "already there:" in captured.out
    assert json.loads((out / "domains" / "synth" / "pet_clinic.report.json").read_text()) == report


def test_recorded_library_replays_through_the_openai_client_against_a_fake_server(tmp_path):
    recorded = {}  # the fake server answers each request with what the transcript recorded for it
    for path in CACHE.glob("*.json"):
        stored = json.loads(path.read_text())
        recorded[request_key(stored["request"])] = stored["message"]
    with fake_openai(recorded) as (url, seen):
        assert synthesize("library", "--base-url", url, "--api-key", "test", "--cache", str(tmp_path / "cache"),
                          "--out", str(tmp_path)) == 0
    assert len(seen) == 15 == len(list((tmp_path / "cache").glob("*.json")))  # every request went over HTTP once
    report = assert_domain_is_sound(tmp_path, "library")
    log = "\n".join(report["log"])
    assert report["retries"] == {"database": 1}
    assert "1 tool(s) held by the sandbox" in log and "return_copy: fixed the tool (date.today()" in log
    assert "renew_loan: fixed the tool" in log and "borrow_copy: fixed the tests" in log


def test_a_missing_recorded_reply_is_a_clear_cache_miss_not_a_traceback(tmp_path):
    cache = tmp_path / "cache"
    shutil.copytree(CACHE, cache)
    keys = (TRANSCRIPTS / "pet_clinic" / "cache.manifest").read_text().split()
    (cache / f"{keys[3]}.json").unlink()  # the database stage's reply
    done = subprocess.run(
        [sys.executable, "-m", "generator", "synthesize", "pet_clinic", "--model", "recorded", "--offline",
         "--cache", str(cache), "--out", str(tmp_path / "out")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    assert "pet_clinic: failed: CacheMiss: role database, attempt 1: offline:" in done.stderr and keys[3] in done.stderr
    assert "python -m generator.synth.record transcripts/pet_clinic" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_role_models_route_a_role_to_its_own_model(tmp_path, capsys):
    assert synthesize("pet_clinic", "--offline", "--role-model", "debug=bigger-model", "--out", str(tmp_path)) == 1
    err = capsys.readouterr().err
    assert "procedural tests (round 0)" in err  # every earlier role was answered by the recorded model
    assert "failed: CacheMiss" in err and "'bigger-model'" in err


def test_request_settings_reach_each_role_globally_and_per_role(tmp_path, capsys):
    recorded = {request_key(r["request"]): r["message"] for r in map(json.loads, map(Path.read_text, CACHE.glob("*.json")))}
    chosen = ("temperature", "max_tokens", "chat_template_kwargs")

    def model(body: dict) -> dict:  # the recorded reply of the request without the settings; the seed role gets none
        plain = body_key({k: v for k, v in body.items() if k not in chosen})
        return {"content": "no"} if role_of(body) == "seed" else recorded[plain]

    with FakeOpenAI(model) as fake:
        code = synthesize("pet_clinic", "--base-url", fake.url, "--cache", str(tmp_path / "cache"), "--out",
                          str(tmp_path), "--temperature", "0.3", "--extra-body",
                          '{"chat_template_kwargs": {"enable_thinking": false}}', "--role-setting", "tools.max_tokens=9000",
                          "--role-setting", "domain.temperature=0")  # fmt: skip
    assert code == 1 and "seed: no acceptable reply" in capsys.readouterr().err
    seen = [(role_of(b), b.get("temperature"), b.get("max_tokens"), b["chat_template_kwargs"]) for b in fake.requests]
    off = {"enable_thinking": False}
    assert seen[:4] == [("domain", 0.0, None, off), ("tools", 0.3, 9000, off), ("tools", 0.3, 9000, off),
                        ("database", 0.3, None, off)]
    assert list((tmp_path / "cache").glob("*.json")) != [] and len(list((tmp_path / "cache").glob("*.json"))) == 4
    # the four accepted exchanges are cached; the seed role's three rejected replies are not
    assert main(["synthesize", "x", "--model", "m", "--role-setting", "seed.warmth=1"]) == 2
    assert "unknown setting 'warmth'" in capsys.readouterr().err


class Garbage:
    """A chat model that never answers in JSON."""

    def __init__(self) -> None:
        self.calls = 0

    async def complete(self, messages, tools=None):  # noqa: ANN001, ANN201 - the ChatModel protocol
        self.calls += 1
        return {"role": "assistant", "content": "Sure! Here is a pet clinic."}, {"prompt_tokens": 50, "completion_tokens": 7}


def test_a_role_that_never_gives_valid_json_fails_its_domain_after_bounded_retries(tmp_path):
    chat = Garbage()
    result = asyncio.run(synthesize_domain("pet_clinic", Config(model="x", out=tmp_path), {"*": chat}))
    assert not result.ok and chat.calls == 3
    assert result.error.startswith("domain: no acceptable reply after 3 attempts: the reply holds no complete JSON")
    assert result.tokens == {"domain": {"prompt": 150, "completion": 21, "calls": 3}}
    assert list(tmp_path.iterdir()) == []  # nothing written, and the run's scratch folder is gone


@pytest.mark.ray
def test_ray_backend_streams_progress_and_brings_every_output_to_the_driver(tmp_path, capsys):
    pytest.importorskip("ray")
    assert synthesize("pet_clinic", "library", "--offline", "--backend", "ray", "--concurrency", "1",
                      "--out", str(tmp_path)) == 0  # fmt: skip
    captured = capsys.readouterr()
    assert "pet_clinic: 15 tools" in captured.out and "library: 14 tools" in captured.out
    assert "pet_clinic: procedural tests (round 0)" in captured.err and "library: edges:" in captured.err
    for name in ("pet_clinic", "library"):
        assert_domain_is_sound(tmp_path, name)  # written on the driver from what the task returned
    assert sorted(p.name for p in tmp_path.iterdir()) == ["domains", "generated_servers", "tasks"]

"""LLM-assisted task text: grounded rewrites are kept, ones that add or drop a value are rejected."""

from __future__ import annotations

import json

from generator.cli import main
from generator.tasks.scenario import load_scenarios
from tests.fake_openai import fake_openai
from tests.support import TINY


def rewriter(body: dict) -> dict:
    """Rewrites odd-numbered requests faithfully; invents an order id for the others."""
    request = json.loads(body["messages"][1]["content"])
    original = request["instruction"]
    if len(body["messages"][1]["content"]) % 2:
        return {"content": json.dumps({"instruction": "Hey! " + original.replace("Could you", "could you"),
                                       "persona": "A busy customer who writes short messages."})}
    return {"content": json.dumps({"instruction": original + " Also check order O99999.", "persona": "Terse."})}


def test_rewrites_are_grounded_or_rejected_and_replay_from_the_cache(tmp_path, capsys):
    out, cache = tmp_path / "tasks", tmp_path / "cache"
    base = ["expand", str(TINY), "--count", "8", "--seed", "2", "--llm-text", "writer", "--llm-cache", str(cache)]
    with fake_openai(rewriter) as (url, seen):
        assert main([*base, "--base-url", url, "--api-key", "k", "--out", str(out)]) == 0
    assert len(seen) == 8
    scenarios = load_scenarios(out / "scenarios.jsonl")
    rewritten = [s for s in scenarios if s.user.instruction.startswith("Hey! ")]
    assert rewritten and all(s.user.profile["persona"] for s in rewritten)
    assert not any("O99999" in s.user.instruction for s in scenarios)
    readme = (out / "README.md").read_text()
    assert '"kept_template"' in readme and '"rewritten"' in readme
    first = (out / "scenarios.jsonl").read_text()
    assert main([*base, "--offline", "--out", str(out), "--force"]) == 0  # no server: served from the cache
    assert (out / "scenarios.jsonl").read_text() == first

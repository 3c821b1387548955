"""Synthesis against a model that writes the way real ones do: the recorded transcripts' replies,
served through the real `openai` client by a local fake server with the noise real models add
(reasoning with braces, fences of any tag with prose, a code block first, a fenced draft in the
reasoning, trailing commas, comments and Python literals, a reply cut off at the token limit,
an edges reply that leaves edges out, a 429 and a 503). Both domains must come out as they do
from the clean recording, with no retry the recording did not have."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from generator.cli import main
from generator.llm import request_key
from generator.synth.prompts import CONTINUE
from generator.synth.record import role_of
from tests.fake_openai import FakeOpenAI, body_key
from tests.functional.synth.test_synth import CACHE, TRANSCRIPTS, assert_domain_is_sound

OMITTED = 5  # edges the first edges reply of each domain leaves out


def sloppy(value: Any, depth: int = 0) -> str:
    """JSON as a careless writer gives it: trailing commas, `//` comments, Python's True/False/None."""
    pad = "  " * (depth + 1)
    if isinstance(value, dict):
        items = "".join(f"{pad}{json.dumps(k)}: {sloppy(v, depth + 1)},\n" for k, v in value.items())
        return "{\n" + f"{pad}// {len(value)} field(s)\n" + items + "  " * depth + "}"
    if isinstance(value, list):
        return "[" + ", ".join(sloppy(v, depth + 1) for v in value) + ",]" if value else "[]"
    if isinstance(value, bool) or value is None:
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def noisy(kind: int, content: str, data: Any) -> str:
    """The recorded `content` (whose JSON is `data`, None for a verbatim text reply) with noise `kind`."""
    pretty = json.dumps(data, indent=2, ensure_ascii=False) if data is not None else content
    return [
        f'<think>\nThe schema wants {{"tools": {{...}}}}; a stray {{ or }} here must not matter.\n</think>\n{content}',
        f"Here is the JSON you asked for.\n```JSON\n{pretty}\n```\nLet me know if anything should change.",
        "First a check of the types:\n```python\nsample = {'ok': True, 'value': None}\n```\n"
        f"And the reply:\n```json\n{pretty}\n```",
        f'<think>A first draft:\n```json\n{{"draft": true}}\n```\nNo, redo it properly.</think>\n\n{content}',
        f"```json\n{sloppy(data)}\n```" if data is not None else f"Sure.\n\n{content}",
        content,  # served in two halves, the first with finish_reason "length"
    ][kind]


class NoisyModel:
    """Answers each recorded request with its recorded reply plus noise, chosen by its place in
    the domain's recording, so every kind of noise reaches every stage mix."""

    def __init__(self) -> None:
        self.recorded = {request_key(r["request"]): r for r in map(json.loads, map(Path.read_text, CACHE.glob("*.json")))}
        self.place = {}
        for name in ("pet_clinic", "library"):
            keys = (TRANSCRIPTS / name / "cache.manifest").read_text().split()
            first_edges = next(k for k in keys if role_of(self.recorded[k]["request"]) == "edges")
            self.place |= {k: (i, k == first_edges) for i, k in enumerate(keys)}
        self.cut: dict[str, str] = {}  # key -> the half still to send

    def __call__(self, body: dict[str, Any]) -> dict[str, Any]:
        if body["messages"][-1] == CONTINUE:  # the rest of a reply cut off at the limit
            opening = dict(body, messages=body["messages"][:-2])
            return {"content": self.cut.pop(body_key(opening))}
        key = body_key(body)
        record = self.recorded[key]
        content = record["message"]["content"]
        index, omit = self.place[key]
        fenced = content.startswith("```json\n")
        data = json.loads(content.removeprefix("```json\n").removesuffix("\n```")) if fenced else None
        if omit:
            data = dict(data, confirmed=data["confirmed"][:-OMITTED])
            content = "```json\n" + json.dumps(data, indent=1) + "\n```"
        kind = index % 6
        text = noisy(kind, content, data)
        if kind == 5:
            half = len(text) // 2
            self.cut[key] = text[half:]
            return {"content": text[:half], "finish_reason": "length"}
        return {"content": text}


def test_both_recorded_domains_survive_a_noisy_model_with_no_extra_retry(tmp_path, capsys):
    model = NoisyModel()
    with FakeOpenAI(model, failures=[429, 503]) as fake:
        code = main(["synthesize", "pet_clinic", "library", "--model", "recorded", "--count", "12",
                     "--base-url", fake.url, "--api-key", "test", "--cache", str(tmp_path / "cache"),
                     "--out", str(tmp_path / "out")])  # fmt: skip
    out = capsys.readouterr()
    assert code == 0, out.err
    cut = {"pet_clinic": 2, "library": 2}  # requests 5 and 11 of each recording are cut in half
    for name, retries in (("pet_clinic", {"tools": 1}), ("library", {"database": 1})):
        report = assert_domain_is_sound(tmp_path / "out", name)
        assert report["retries"] == retries  # the recorded invalid reply, and nothing the noise caused
        assert report["unexpected"] == 0 and report["verified"] == report["scenarios"] >= 10
        assert report["edges"]["unjudged"] == OMITTED and report["edges"]["rejected"] > 0
        calls = sum(t["calls"] for t in report["tokens"].values())
        recorded = len((TRANSCRIPTS / name / "cache.manifest").read_text().split())
        assert calls == recorded + cut[name]  # every continuation is booked on its role
        assert sum(t["prompt"] + t["completion"] for t in report["tokens"].values()) == 120 * calls
        assert sum("cut off at the token limit" in line for line in report["log"]) == cut[name]
    assert len(fake.requests) == 2 + sum(  # the 429 and the 503, then one request per call
        sum(t["calls"] for t in json.loads((tmp_path / "out" / "domains" / "synth" / f"{n}.report.json").read_text())
            ["tokens"].values()) for n in ("pet_clinic", "library"))
    assert "pet_clinic: 15 tools" in out.out and "library: 14 tools" in out.out
    report_lines = [line for line in out.out.splitlines() if line.startswith(("tokens", "pet_clinic ", "library "))]
    assert report_lines[0].split()[1:4] == ["domain", "tools", "database"]  # per-role columns, retries included

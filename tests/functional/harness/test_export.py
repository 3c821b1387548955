"""generator.harness.export: verifiers rows and SFT rows load with HF datasets, tau2 tasks follow tau2's Task
model, output is deterministic, --out is never overwritten without --force."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from generator.harness.export import SFT_MIN_REWARD, run_export, server_surface
from generator.tasks.scenario import dump_line, load_scenarios

ROOT = Path(__file__).resolve().parents[3]
DOMAINS = ("airline", "healthcare")


def export(fmt: str, inputs: list, out: Path, force: bool = False) -> tuple[int, str]:
    """Run the export command in process; the exit code and everything it printed."""
    text = io.StringIO()
    console = Console(file=text, width=200)
    args = argparse.Namespace(inputs=[str(i) for i in inputs], format=fmt, out=out, force=force)
    return run_export(args, console, console), text.getvalue()


def load_jsonl(path: Path, tmp_path: Path):
    datasets = pytest.importorskip("datasets")
    return datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(tmp_path / "hf"))


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory) -> tuple[Path, dict]:
    """A small file of committed scenarios: one of each kind from two domains (written out of order)."""
    chosen = []
    for domain in DOMAINS:
        every = load_scenarios(ROOT / "tasks" / domain / "scenarios.jsonl")
        for kind in ("action", "multi_goal", "information", "refusal"):
            chosen.append(next(s for s in every if s.metadata.kind == kind))
    path = tmp_path_factory.mktemp("scenarios") / "few.jsonl"
    path.write_text("".join(dump_line(s) for s in reversed(chosen)))
    return path, {s.id: s for s in chosen}


def test_verifiers_rows_load_with_datasets(scenarios, tmp_path):
    path, by_id = scenarios
    out = tmp_path / "rows.jsonl"
    code, said = export("verifiers", [path], out)
    assert code == 0, said
    rows = load_jsonl(out, tmp_path)
    assert rows.num_rows == len(by_id) and set(rows.column_names) == {"prompt", "info", "task", "tools"}
    infos = [json.loads(i) for i in rows["info"]]
    assert [i["id"] for i in infos] == sorted(by_id)
    for row, info in zip(rows, infos, strict=True):
        s = by_id[info["id"]]
        instructions, tools, _ = server_surface(s.domain)
        system, user = row["prompt"]
        assert system["role"] == "system" and instructions in system["content"]
        assert user == {"role": "user", "content": s.user.instruction}
        assert row["task"] == s.domain
        assert info["gold_actions"] == [a.model_dump() for a in s.gold_actions]
        assert info["checks"] == [c.model_dump() for c in s.checks]
        assert {k: info[k] for k in ("env_hash", "seed", "now")} == {"env_hash": s.env_hash, "seed": s.seed,
                                                                    "now": s.now}
        assert info["initial_state"] == s.initial_state.model_dump()
        decoded = json.loads(row["tools"])
        assert decoded == json.loads(json.dumps(tools)) and len(decoded) >= 40
        assert all(t["type"] == "function" and t["function"]["parameters"]["type"] == "object" for t in decoded)
        assert {a.tool for a in s.gold_actions} <= {t["function"]["name"] for t in decoded}


def test_domain_input_and_deterministic_output(tmp_path):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert export("verifiers", ["healthcare"], first)[0] == 0
    assert export("verifiers", [ROOT / "tasks" / "healthcare" / "scenarios.jsonl"], second)[0] == 0
    assert first.read_bytes() == second.read_bytes()
    assert len(first.read_text().splitlines()) == len(load_scenarios(ROOT / "tasks/healthcare/scenarios.jsonl"))


def test_tau2_tasks_follow_the_task_model(scenarios, tmp_path):
    path, by_id = scenarios
    out = tmp_path / "tasks.json"
    assert export("tau2", [path], out)[0] == 0
    tasks = json.loads(out.read_text())
    assert [t["id"] for t in tasks] == sorted(by_id)
    for task in tasks:
        s = by_id[task["id"]]
        assert set(task) >= {"id", "description", "user_scenario", "initial_state", "evaluation_criteria"}
        instructions = task["user_scenario"]["instructions"]
        assert instructions["domain"] == f"scaleenv_{s.domain}" and instructions["reason_for_call"] == s.user.instruction
        assert all(isinstance(instructions[k], str) for k in ("task_instructions", "known_info"))
        assert isinstance(task["user_scenario"]["persona"], str)
        criteria = task["evaluation_criteria"]
        assert [(a["name"], a["arguments"], a["requestor"]) for a in criteria["actions"]] == [
            (a.tool, a.arguments, "assistant") for a in s.gold_actions]
        assert len({a["action_id"] for a in criteria["actions"]}) == len(s.gold_actions)
        answers = [str(v) for c in s.checks if c.kind == "answer" and c.expect != [["declined"]]
                   for row in c.expect for v in row]
        assert criteria["communicate_info"] == answers
        assert criteria["reward_basis"] == (["DB", "COMMUNICATE"] if answers else ["DB"])
        # Only fields tau2's Task model declares: it drops unknown keys on load.
        assert set(task) <= {"id", "description", "user_scenario", "ticket", "initial_state", "evaluation_criteria"}
        assert [a["arguments"] for a in criteria["env_assertions"]] == [c.model_dump(mode="json") for c in s.checks]
        assert {a["func_name"] for a in criteria["env_assertions"]} == {"scaleenv_check"}
        ours = task["initial_state"]["initialization_data"]["agent_data"]["scaleenv"]
        assert ours["sql"] == [st.model_dump(mode="json") for st in s.initial_state.statements]
        assert (ours["domain"], ours["env_hash"], ours["now"]) == (s.domain, s.env_hash, s.now)
        assert task["initial_state"]["initialization_actions"] is None
    assert any(t["evaluation_criteria"]["communicate_info"] for t in tasks)


def episode(scenario_id: str, trial: int, reward: float, tools: list) -> dict:
    """A trajectory line shaped like `generator eval` writes (arguments left as a dict on purpose)."""
    return {
        "scenario_id": scenario_id, "domain": "healthcare", "trial": trial, "reward": reward,
        "checks": [{"id": "c01", "passed": reward == 1.0}], "turns": 2, "usage": {},
        "tools": tools,
        "messages": [
            {"role": "system", "content": "policy"},
            {"role": "user", "content": "Show my profile, I am P00001."},
            {"role": "assistant", "content": None, "tool_calls": [{
                "id": "call_0", "type": "function",
                "function": {"name": "get_patient", "arguments": {"patient_id": "P00001"}}}]},
            {"role": "tool", "tool_call_id": "call_0", "content": '{"patient_id": "P00001"}'},
            {"role": "assistant", "content": "Here is your profile.", "tool_calls": None},
        ],
    }


def test_sft_keeps_successful_trajectories(tmp_path):
    tools = server_surface("healthcare")[1]
    runs = tmp_path / "trajectories.jsonl"
    lines = [episode("healthcare-0-0002", 0, 1.0, tools), episode("healthcare-0-0001", 0, 0.0, tools),
             episode("healthcare-0-0001", 1, 1.0, tools), episode("healthcare-0-0003", 0, 0.5, tools)]
    runs.write_text("".join(json.dumps(e) + "\n" for e in lines) + "\n")
    out = tmp_path / "sft.jsonl"
    code, said = export("sft", [runs], out)
    assert code == 0 and "2 sft row(s)" in said and SFT_MIN_REWARD == 1.0
    raw = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(set(r) == {"messages", "tools"} for r in raw) and raw[0]["tools"] == tools
    call = raw[0]["messages"][2]["tool_calls"][0]
    assert call["function"]["arguments"] == {"patient_id": "P00001"}  # an object, as TRL's templates expect
    assert raw[0]["messages"][3]["name"] == call["function"]["name"]  # the tool result names its tool
    assert "tool_calls" not in raw[0]["messages"][4] and raw[0]["messages"][2]["content"] is None
    rows = load_jsonl(out, tmp_path)
    assert rows.num_rows == 2 and [m["role"] for m in rows[0]["messages"]] == [
        "system", "user", "assistant", "tool", "assistant"]

    failed = tmp_path / "failed.jsonl"
    failed.write_text(json.dumps(episode("healthcare-0-0001", 0, 0.0, tools)) + "\n")
    code, said = export("sft", [failed], tmp_path / "none.jsonl")
    assert code == 1 and "nothing written" in said and not (tmp_path / "none.jsonl").exists()


def test_refuses_to_overwrite_without_force(scenarios, tmp_path):
    path, _ = scenarios
    out = tmp_path / "tasks.json"
    out.write_text("keep me\n")
    code, said = export("tau2", [path], out)
    assert code == 2 and "--force" in said and out.read_text() == "keep me\n"
    assert export("tau2", [path], out, force=True)[0] == 0
    assert isinstance(json.loads(out.read_text()), list)


def test_refuses_to_write_through_a_link_to_nothing(scenarios, tmp_path):
    path, _ = scenarios
    out = tmp_path / "tasks.json"
    out.symlink_to(tmp_path / "elsewhere" / "planted.json")
    for force in (False, True):
        code, said = export("tau2", [path], out, force=force)
        assert code == 2 and "symbolic link to nothing" in said
    assert not (tmp_path / "elsewhere").exists()


def test_bad_inputs_are_clear_errors(tmp_path):
    code, said = export("verifiers", ["no_such_domain"], tmp_path / "x.jsonl")
    assert code == 2 and "no scenarios for 'no_such_domain'" in said and "Traceback" not in said
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"scenario_id": "x", "reward": 1.0, "messages": []}\nnot json\n')
    code, said = export("sft", [broken], tmp_path / "y.jsonl")
    assert code == 2 and "broken.jsonl:2" in said
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n')
    code, said = export("tau2", [bad], tmp_path / "z.json")
    assert code == 2 and "not a valid scenario file" in said


def trl_template(name: str) -> str:
    """One of TRL's bundled chat templates, read from the installed package without importing it
    (importing trl needs torch); the test skips where trl is not installed."""
    import importlib.util

    spec = importlib.util.find_spec("trl")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("trl is not installed (CI installs its wheel without dependencies)")
    return (Path(spec.submodule_search_locations[0]) / "chat_templates" / f"{name}.jinja").read_text()


def render(template: str, row: dict) -> str:
    """Render a chat template the way transformers does (sandboxed jinja2, tojson keeps non-ASCII)."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message: str) -> None:
        raise ValueError(message)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.filters["tojson"] = lambda value, indent=None: json.dumps(value, ensure_ascii=False, indent=indent)
    env.globals["raise_exception"] = raise_exception
    return env.from_string(template).render(messages=row["messages"], tools=row["tools"], add_generation_prompt=False)


@pytest.mark.parametrize("name", ["qwen2_5", "llama3_1"])
def test_sft_rows_render_through_trls_templates_without_double_encoded_arguments(name, tmp_path):
    tools = server_surface("healthcare")[1]
    runs = tmp_path / "trajectories.jsonl"
    runs.write_text(json.dumps(episode("healthcare-0-0002", 0, 1.0, tools)) + "\n")
    export("sft", [runs], tmp_path / "sft.jsonl")
    row = json.loads((tmp_path / "sft.jsonl").read_text())
    text = render(trl_template(name), row)
    wanted = [c["function"]["arguments"] for m in row["messages"] for c in m.get("tool_calls") or []]
    if name == "qwen2_5":
        turns = [t.split("<|im_end|>")[0] for t in text.split("<|im_start|>assistant")[1:]]
        calls = [json.loads(block.split("</tool_call>")[0]) for t in turns for block in t.split("<tool_call>\n")[1:]]
        got = [c["arguments"] for c in calls]
    else:  # llama3.1 writes {"name": ..., "parameters": {...}} as the assistant turn
        turns = [t.split("<|eot_id|>")[0] for t in text.split("<|start_header_id|>assistant<|end_header_id|>\n\n")[1:]]
        got = [json.loads(t)["parameters"] for t in turns if t.startswith('{"name"')]
    assert got == wanted and all(isinstance(a, dict) for a in got), text[-600:]

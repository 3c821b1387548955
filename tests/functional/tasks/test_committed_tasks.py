"""The committed scenarios: enough of them, made for the current servers, loadable by trainers."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from generator.tasks.scenario import load_scenarios, scenario_json_schema

ROOT = Path(__file__).resolve().parents[3]
DOMAINS = sorted(p.stem for p in (ROOT / "domains").glob("*.yaml"))


@pytest.mark.parametrize("domain", DOMAINS)
def test_each_domain_has_200_scenarios_for_the_current_server(domain):
    scenarios = load_scenarios(ROOT / "tasks" / domain / "scenarios.jsonl")
    assert len(scenarios) >= 200
    env_hash = hashlib.sha256((ROOT / "generated_servers" / domain / "provenance.json").read_bytes()).hexdigest()
    assert {s.env_hash for s in scenarios} == {env_hash}, "re-run `python -m generator expand` after changing the server"
    assert len({s.id for s in scenarios}) == len(scenarios)
    kinds = {s.metadata.kind for s in scenarios}
    assert {"action", "multi_goal", "information", "refusal"} <= kinds
    assert {s.metadata.difficulty for s in scenarios} == {"easy", "medium", "hard"}


def test_committed_scenario_schema_is_current():
    assert (ROOT / "scenario.schema.json").read_text() == scenario_json_schema()


def test_committed_scenarios_load_with_hf_datasets(tmp_path):
    datasets = pytest.importorskip("datasets")
    files = [str(ROOT / "tasks" / d / "scenarios.jsonl") for d in DOMAINS]
    for path in files:
        rows = datasets.load_dataset("json", data_files=path, split="train", cache_dir=str(tmp_path))
        assert rows.num_rows >= 200


@pytest.mark.parametrize("domain", DOMAINS)
def test_committed_scenarios_are_what_the_expander_makes_now(domain, tmp_path):
    """Each candidate is a pure function of (domain, seed, index): regenerate a few and compare bytes."""
    import anyio

    from generator.compile.build import compile_domain
    from generator.tasks.environment import Environment
    from generator.tasks.expand import Expander
    from generator.tasks.scenario import dump_line

    committed = load_scenarios(ROOT / "tasks" / domain / "scenarios.jsonl")
    expander = Expander(Environment(compile_domain(domain), tmp_path), seed=committed[0].seed)

    async def regenerate(indexes: list[int]) -> list[str]:
        async with expander.env.replayer:
            return [dump_line(await expander.candidate(i)) for i in indexes]

    picked = [committed[0], committed[len(committed) // 2], committed[-1]]
    again = anyio.run(regenerate, [int(s.id.rsplit("-", 1)[1]) for s in picked])
    assert again == [dump_line(s) for s in picked]


@pytest.mark.parametrize("domain", DOMAINS)
def test_instructions_name_no_tool_and_no_id_the_user_would_not_hold(domain):
    """Recomputed from the committed files alone: rows the spec says people describe (a saved card,
    an address, a doctor) are described, never named by id; no instruction names a tool."""
    import re

    from generator.spec.load import load_spec

    spec = load_spec(ROOT / "domains" / f"{domain}.yaml")[1]
    from generator import ids

    hidden = [ids.pattern(t.id_format, t.id_prefix) for t in spec.tables.values() if t.described_as and t.generates_ids]
    scenarios = load_scenarios(ROOT / "tasks" / domain / "scenarios.jsonl")
    tools = sorted(spec.tools, key=len, reverse=True)
    named = re.compile(r"\b(" + "|".join(tools + [t.replace("_", " ") for t in tools]) + r")\b", re.IGNORECASE)
    for s in scenarios:
        assert not named.search(s.user.instruction), (s.id, s.user.instruction)
        if hidden:
            assert not re.search(rf"\b(?:{'|'.join(hidden)})\b", s.user.instruction), (s.id, s.user.instruction)


@pytest.mark.parametrize("domain", DOMAINS)
def test_no_user_is_the_caller_of_more_than_2_percent_of_scenarios(domain):
    """Recomputed from the committed files alone: callers spread over the seed's users."""
    from collections import Counter

    from generator.spec.load import load_spec

    spec = load_spec(ROOT / "domains" / f"{domain}.yaml")[1]
    key = spec.tables[spec.actor].primary_key
    scenarios = load_scenarios(ROOT / "tasks" / domain / "scenarios.jsonl")
    callers = Counter(s.user.profile[key] for s in scenarios)
    caller, count = callers.most_common(1)[0]
    assert count / len(scenarios) <= 0.02, f"{caller} asks in {count} of {len(scenarios)} scenarios"


@pytest.mark.parametrize("domain", DOMAINS)
def test_no_scenario_hands_a_row_to_another_user(domain):
    """A goal or a request to decline is made on rows as the seed owns them: no set-up statement
    rewrites a column that names a row's user (that user's history would point at someone else's)."""
    import re

    from generator.spec.load import load_spec

    spec = load_spec(ROOT / "domains" / f"{domain}.yaml")[1]
    owner = {(t, c) for t, table in spec.tables.items() for c, col in table.columns.items()
             if (col.references or "").split(".")[0] == spec.actor}
    for s in load_scenarios(ROOT / "tasks" / domain / "scenarios.jsonl"):
        for statement in s.initial_state.statements:
            found = re.match(r"UPDATE (\w+) SET (.*?) WHERE ", statement.sql)
            columns = re.findall(r"(\w+) = \?", found[2]) if found else []
            assert not [c for c in columns if (found[1], c) in owner], (s.id, statement.sql)


@pytest.mark.parametrize("domain", DOMAINS)
def test_no_committed_initial_state_breaks_a_foreign_key(domain):
    """Images are made with foreign keys off (see the runtime's scenario_image): every row of each
    scenario's initial state still names rows that exist (no bill for a visit that is not there)."""
    import importlib

    runtime = importlib.import_module(f"generated_servers.{domain}.runtime")
    broken = {}
    for s in load_scenarios(ROOT / "tasks" / domain / "scenarios.jsonl"):
        conn = runtime.memory_copy(runtime.scenario_image(s.model_dump(mode="json")))
        try:
            found = conn.execute("PRAGMA foreign_key_check").fetchall()
        finally:
            conn.close()
        if found:
            broken[s.id] = found
    assert broken == {}

"""The task expander on the tiny spec: validated, deterministic, independently replayable."""

from __future__ import annotations

import re
import sqlite3

import pytest
from mcp import Client

from generator.cli import main
from generator.tasks.expand import expand_domain
from generator.tasks.scenario import Action, Scenario, dump, dump_line, load_scenarios, run_checks, sql_results
from tests.support import TINY, build_package


@pytest.fixture(scope="module")
def result():
    return expand_domain(TINY, 24, seed=5)


def test_expander_keeps_the_requested_count_with_mixed_kinds(result):
    assert len(result.scenarios) == 24
    kinds = {s.metadata.kind for s in result.scenarios}
    assert {"action", "multi_goal", "refusal", "policy_refusal"} <= kinds
    for s in result.scenarios:
        assert (0 if s.metadata.declined else 1) <= len(s.gold_actions) <= 8  # declining alone may need no call
        assert s.checks and all(c.kind in ("sql", "answer", "text") for c in s.checks)
        writes = [a for a in s.gold_actions if a.tool in ("place_order", "update_email", "cancel_order")]
        assert any(c.kind == "do_nothing" for c in s.validation.negative_controls) == bool(writes)


def test_same_seed_gives_byte_identical_scenarios(result):
    again = expand_domain(TINY, 24, seed=5)
    assert [dump(s) for s in again.scenarios] == [dump(s) for s in result.scenarios]


def test_sql_checks_are_read_only_queries_with_named_params(result, tmp_path):
    """Each check runs under an authorizer that allows only reading: no write, attach or pragma."""
    _, _, runtime = build_package(TINY, tmp_path / "pkg")
    allowed = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION}
    for s in result.scenarios[:6]:
        initial = runtime.scenario_image(s.model_dump(mode="json"))
        conn = runtime.memory_copy(initial)
        conn.execute("ATTACH DATABASE ':memory:' AS initial")
        conn.deserialize(initial, name="initial")
        conn.set_authorizer(lambda action, *_: sqlite3.SQLITE_OK if action in allowed else sqlite3.SQLITE_DENY)
        for c in s.checks:
            if c.kind == "sql":
                assert "?" not in c.sql
                conn.execute(c.sql, c.params).fetchall()


async def independent_replay(server_mod, runtime, scenario: Scenario, actions, tmp_path) -> list[dict]:
    """What a third party does: start from the scenario's state, send actions, run checks read-only
    on the end state with the initial state attached."""
    path = tmp_path / f"{scenario.id}.db"
    path.unlink(missing_ok=True)
    initial = runtime.scenario_image(scenario.model_dump(mode="json"))
    runtime.create_file(path, initial)
    async with Client(server_mod.build_server(path)) as client:
        for action in actions:
            await client.call_tool(action.tool, action.arguments)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return sql_results(run_checks(conn, initial, scenario), scenario)
    finally:
        conn.close()


async def test_gold_and_alternatives_pass_and_every_negative_control_fails_on_replay(result, tmp_path):
    _, server_mod, runtime = build_package(TINY, tmp_path / "pkg")
    for scenario in result.scenarios[:12]:
        gold = await independent_replay(server_mod, runtime, scenario, scenario.gold_actions, tmp_path)
        assert all(r["passed"] for r in gold), (scenario.id, gold)
        for control in scenario.validation.negative_controls:
            got = await independent_replay(server_mod, runtime, scenario, control.actions, tmp_path)
            assert not all(r["passed"] for r in got), (scenario.id, control.name)
        for alternative in scenario.validation.valid_alternatives:
            got = await independent_replay(server_mod, runtime, scenario, alternative.actions, tmp_path)
            assert all(r["passed"] for r in got), (scenario.id, alternative.name)


async def test_a_composed_text_is_checked_by_the_facts_it_carries_not_its_words(result, tmp_path):
    _, server_mod, runtime = build_package(TINY, tmp_path / "pkg")
    s = next(s for s in result.scenarios if any(c.kind == "text" for c in s.checks) and s.metadata.kind == "action")
    text = next(c for c in s.checks if c.kind == "text")
    assert "text_without_facts" in {t.kind for t in s.validation.negative_controls}
    assert "reworded_text" in {t.kind for t in s.validation.valid_alternatives}
    assert "{story}" not in s.user.instruction and any(k.startswith("what happened: ") for k in s.user.known_info)

    def noting(note: str) -> list[Action]:
        return [Action(tool=a.tool, arguments={**a.arguments, "note": note}) if "note" in a.arguments else a
                for a in s.gold_actions]

    phrase = text.accept[0][-1]
    reworded = await independent_replay(server_mod, runtime, s, noting(f"Per the customer: {phrase.upper()}!"), tmp_path)
    assert all(r["passed"] for r in reworded), reworded
    vague = await independent_replay(server_mod, runtime, s, noting("Cancelled at the customer's request."), tmp_path)
    assert [r["id"] for r in vague if not r["passed"]] == [text.id]


def test_a_rewritten_composed_text_on_another_row_fails_the_whole_state_check(result, tmp_path):
    _, _, runtime = build_package(TINY, tmp_path / "pkg")
    s = next(s for s in result.scenarios if any(c.kind == "text" for c in s.checks))
    initial = runtime.scenario_image(s.model_dump(mode="json"))
    end = runtime.memory_copy(initial)
    other = end.execute("SELECT order_id FROM orders ORDER BY order_id DESC LIMIT 1").fetchone()[0]
    end.execute("UPDATE orders SET cancel_note = 'Note added by the agent' WHERE order_id = ?", (other,))
    orders = next(r for r in run_checks(end, initial, s) if r.get("table") == "orders" and "unexpected" in r)
    now = next(row for row in orders["unexpected"] if row[0] == "+" and row[1] == other)
    assert now[-2] == "(written)"  # the row as it is now: its note column written, whatever it says


def test_every_table_has_a_whole_state_check(result):
    for s in result.scenarios:
        assert [c.table for c in s.checks if c.kind == "sql"] == ["customers", "orders"]
        assert all(c.table is not None and "initial." in c.sql for c in s.checks if c.kind == "sql")


def test_controls_cover_extra_writes_and_alternatives_cover_other_valid_orders(result):
    kinds = {t.kind for s in result.scenarios for t in s.validation.negative_controls}
    assert {"do_nothing", "leave_out", "forbidden", "extra_write_same_user", "extra_write_other_user"} <= kinds
    assert {t.kind for s in result.scenarios for t in s.validation.valid_alternatives} >= {"reads_left_out"}


def test_refusal_scenarios_carry_the_forbidden_action_as_a_control(result):
    refusals = [s for s in result.scenarios if s.metadata.kind == "refusal"]
    assert refusals
    for s in refusals:
        forbidden = [c for c in s.validation.negative_controls if c.name.startswith("do the forbidden")]
        assert len(forbidden) == 1
        assert forbidden[0].actions[: len(s.gold_actions)] == s.gold_actions


def test_cli_writes_scenarios_and_verify_replays_them(tmp_path, capsys):
    out = tmp_path / "tasks"
    assert main(["expand", str(TINY), "--count", "6", "--seed", "2", "--out", str(out)]) == 0
    build_package(TINY, tmp_path / "pkg")  # importable as probe_tiny (after expand, which imports its own)
    assert (out / "README.md").exists()
    assert len(load_scenarios(out / "scenarios.jsonl")) == 6
    assert main(["verify", str(out), "--package", "probe_tiny"]) == 0
    assert "6/6 scenarios verified" in capsys.readouterr().out
    assert main(["expand", str(TINY), "--count", "6", "--seed", "2", "--out", str(out)]) == 2  # no silent overwrite


def test_scenarios_load_with_the_hf_datasets_json_loader(tmp_path):
    datasets = pytest.importorskip("datasets")
    path = tmp_path / "scenarios.jsonl"
    path.write_text("".join(dump_line(s) for s in expand_domain(TINY, 12, seed=3).scenarios))
    rows = datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(tmp_path / "cache"))
    assert rows.num_rows == 12
    assert {"id", "env_hash", "gold_actions", "checks", "validation"} <= set(rows.column_names)


def test_verify_fails_when_a_check_is_wrong(tmp_path, capsys):
    scenario = expand_domain(TINY, 1, seed=9).scenarios[0]
    build_package(TINY, tmp_path / "pkg")
    bad = scenario.checks[0].model_copy(update={"expect": [["nope"]]})
    broken = scenario.model_copy(update={"checks": [bad, *scenario.checks[1:]]})
    path = tmp_path / "broken.json"
    path.write_text(dump(broken))
    assert main(["verify", str(path), "--package", "probe_tiny"]) == 1
    assert "gold fails checks c01" in capsys.readouterr().out


def test_staff_only_tools_are_never_a_users_goal_and_become_requests_to_decline(result):
    assert not any(a.tool == "ship_order" for s in result.scenarios for a in s.gold_actions)
    for s in result.scenarios:
        for declined in s.metadata.declined:
            assert declined["tool"] not in [a.tool for a in s.gold_actions]
            forbidden = [c for c in s.validation.negative_controls if c.kind == "forbidden"]
            assert forbidden and forbidden[0].actions[-1].tool == declined["tool"]
        if s.metadata.goals == ["ship_order"]:  # declined for who asks: nothing to read first
            assert s.gold_actions == [], s.id


async def test_policy_refusals_are_requests_the_tool_would_carry_out(result, tmp_path):
    """The forbidden call succeeds on the server (only the agent stands in between) and fails the checks."""
    _, server_mod, runtime = build_package(TINY, tmp_path / "pkg")
    refusals = [s for s in result.scenarios if any(d["reason"].startswith("policy:") for d in s.metadata.declined)]
    assert refusals
    for s in refusals:
        initial = runtime.scenario_image(s.model_dump(mode="json"))
        path = tmp_path / f"{s.id}.db"
        runtime.create_file(path, initial)
        forbidden = next(c for c in s.validation.negative_controls if c.kind == "forbidden")
        async with Client(server_mod.build_server(path)) as client:
            results = [await client.call_tool(a.tool, a.arguments) for a in forbidden.actions]
        assert not any(r.is_error for r in results), s.id
        conn = sqlite3.connect(path)
        assert not all(r["passed"] for r in sql_results(run_checks(conn, initial, s), s))


async def test_allowed_goals_never_break_the_policy(result, tmp_path):
    """Every gold cancel_order acts on a pending order: the expander makes policy rules hold for allowed goals."""
    _, _, runtime = build_package(TINY, tmp_path / "pkg")
    for s in result.scenarios:
        conn = runtime.memory_copy(runtime.scenario_image(s.model_dump(mode="json")))
        for action in s.gold_actions:
            if action.tool == "cancel_order":
                status = conn.execute("SELECT status FROM orders WHERE order_id = ?",
                                      (action.arguments["order_id"],)).fetchone()[0]
                assert status == "pending", s.id


def test_requests_for_tools_with_asks_are_in_the_users_words(result):
    """The spec's `asks` phrasings fill in the values and never name the tool or a parameter."""
    worded = {"place_order", "update_email", "cancel_order"}
    checked = [s for s in result.scenarios if set(s.metadata.goals) <= worded]
    assert checked
    for s in checked:
        text = s.user.instruction.lower()
        assert not any(t in text or t.replace("_", " ") in text for t in worded), text
        assert "order_id" not in text and not re.search(r"\(\w[\w ]*: ", text), text  # no "(param: value)" lists


def test_verify_reports_scenarios_made_for_another_build_and_what_to_regenerate(tmp_path, capsys):
    """A stale scenario that still happens to replay is not silently passed."""
    scenario = expand_domain(TINY, 1, seed=9).scenarios[0]
    build_package(TINY, tmp_path / "pkg")
    path = tmp_path / "old.jsonl"
    path.write_text(dump_line(scenario.model_copy(update={"env_hash": "0" * 64})))
    assert main(["verify", str(path), "--package", "probe_tiny"]) == 1
    out = capsys.readouterr().out
    assert f"STALE {path}" in out and "another build of tiny" in out
    assert "python -m generator expand tiny --count 1 --seed 9" in out


def test_verify_on_a_changed_schema_reports_the_mismatch_without_a_traceback(tmp_path, capsys):
    import yaml

    scenarios = expand_domain(TINY, 4, seed=9).scenarios
    path = tmp_path / "scenarios.jsonl"
    path.write_text("".join(dump_line(s) for s in scenarios))
    data = yaml.safe_load(TINY.read_text())
    data["tables"]["orders"]["columns"]["channel"] = {"type": "text", "description": "Where it was placed.",
                                                      "gen": {"choice": ["web"]}}
    data["tools"]["place_order"]["set"]["channel"] = "web"
    changed = tmp_path / "tiny.yaml"
    changed.write_text(yaml.safe_dump(data, sort_keys=False))
    build_package(changed, tmp_path / "pkg")  # a NOT NULL column the scenarios' statements do not fill
    assert main(["verify", str(path), "--package", "probe_tiny"]) == 1
    out = capsys.readouterr().out
    assert f"STALE {path}: 4 of 4 scenarios" in out


async def test_an_initial_state_that_breaks_a_constraint_is_a_drop_reason_not_a_crash(tmp_path):
    from generator.compile.build import compile_domain
    from generator.tasks.draft import Draft, Dropped
    from generator.tasks.environment import Environment
    from generator.tasks.expand import Expander
    from generator.tasks.scenario import Statement

    env = Environment(compile_domain(TINY), tmp_path)
    expander = Expander(env, seed=0)
    twice = Statement(sql="UPDATE customers SET email = (SELECT email FROM customers WHERE customer_id = 'C00002') "
                          "WHERE customer_id = 'C00001'")

    async def broken(index: int) -> Draft:
        return Draft(kind="action", actor=env.rows("customers")[0], statements=[twice])

    expander.draft = broken
    async with env.replayer:
        with pytest.raises(Dropped, match=r"initial state breaks a constraint \(UNIQUE constraint failed: customers.email\)"):
            await expander.candidate(0)


def test_information_questions_never_ask_for_a_hidden_column(tmp_path):
    """No tool returns a hidden column, so a question about one could never be answered."""
    spec = TINY.read_text().replace("check: \"balance >= 0\",", "check: \"balance >= 0\", hidden: true,")
    spec = spec.replace("amount: {type: real,", "amount: {type: real, hidden: true,")
    assert spec.count("hidden: true") == 2
    (tmp_path / "tiny.yaml").write_text(spec)
    result = expand_domain(tmp_path / "tiny.yaml", 24, seed=5)
    asked = [c.description for s in result.scenarios for c in s.checks if c.kind == "answer"]
    assert not [d for d in asked if re.search(r"\b(balance|amount)\b", d)], asked


def test_gold_reads_only_what_the_user_did_not_give(result):
    """The user gives their own id and the order numbers: the gold never reads the caller's record,
    reads an order to check the policy rule a cancellation depends on or to answer a question about
    it, and lists orders only to decline a request."""
    for s in result.scenarios:
        reads = [a.tool for a in s.gold_actions if a.tool in ("get_customer", "get_order", "list_orders")]
        assert "get_customer" not in reads, s.id
        assert ("list_orders" in reads) <= bool(s.metadata.declined), s.id
        assert ("get_order" in reads) <= (s.metadata.kind == "information" or "cancel_order" in s.metadata.goals), s.id
        for i, action in enumerate(s.gold_actions):
            if action.tool == "cancel_order":  # the order's status decides: the agent enforces that rule
                facts = Action(tool="get_order", arguments={"order_id": action.arguments["order_id"]})
                assert facts in s.gold_actions[:i], s.id
    asked = [s for s in result.scenarios if s.metadata.kind == "information"]
    assert asked and all(s.gold_actions[0].tool in ("get_order", "list_orders") for s in asked)


def test_a_question_is_asked_in_the_words_the_column_gives(tmp_path):
    spec = TINY.read_text().replace("amount: {type: real,", 'amount: {type: real, asked: "How much did I pay for {row}?",')
    spec = spec.replace("item: {type: text, policy: semantic,", 'item: {type: text, policy: semantic, asked: "What was in {row}?",')
    (tmp_path / "tiny.yaml").write_text(spec)
    result = expand_domain(tmp_path / "tiny.yaml", 24, seed=5)
    asked = [s for s in result.scenarios if s.metadata.kind == "information"]
    assert asked
    for s in asked:
        assert re.search(r"Also, (how much did I pay for|what was in) order O\d+\?", s.user.instruction), s.user.instruction
        assert s.user.unknown_info[0].startswith("the answer to: How much") or \
            s.user.unknown_info[0].startswith("the answer to: What was in"), s.user.unknown_info
        assert "what is the" not in s.user.instruction.lower()


def test_a_spec_test_naming_one_user_is_moved_onto_the_caller():
    from generator.tasks.environment import rebased

    setup = ["INSERT INTO cards (card_id, customer_id) VALUES ('K90001', 'C00001')",
             "UPDATE customers SET tier = 'gold' WHERE customer_id = 'C00001'"]
    args = {"customer_id": "C00001", "card_ids": ["K90001"], "lines": [{"owner": "C00001"}], "note": "C000012"}
    moved, changed = rebased(setup, args, "C00001", "C00042")
    assert moved == [s.replace("'C00001'", "'C00042'") for s in setup]
    assert changed == {"customer_id": "C00042", "card_ids": ["K90001"], "lines": [{"owner": "C00042"}],
                       "note": "C000012"}


def test_callers_spread_over_the_users(result):
    """Candidate i asks as the i-th user of a seeded cycle: 24 scenarios over 20 customers, none
    the caller of more than two."""
    from collections import Counter

    callers = Counter(s.user.profile["customer_id"] for s in result.scenarios)
    assert max(callers.values()) <= 2 and len(callers) >= 12, callers


def test_check_ids_number_every_check_of_a_scenario_in_order(result):
    for scenario in result.scenarios:
        assert [c.id for c in scenario.checks] == [f"c{i + 1:02d}" for i in range(len(scenario.checks))], scenario.id

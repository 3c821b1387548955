"""Scenarios meet every form of `requires`: argument values drawn to satisfy the rules, and task
state and look-alike distractors that never break a uniqueness rule.

On `tests/specs/stays.yaml`: a booking's city is its room's hotel's (a rule one foreign key
further, on a free enum argument), and a booking has at most one open ticket.
"""

from __future__ import annotations

import random

import pytest

from generator.compile.build import compile_domain
from generator.tasks.distractors import clone
from generator.tasks.environment import Environment
from generator.tasks.expand import expand_domain
from tests.support import ROOT, build_package

STAYS = ROOT / "tests" / "specs" / "stays.yaml"


@pytest.fixture(scope="module")
def result():
    return expand_domain(STAYS, 20, seed=1)


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory):
    return build_package(STAYS, tmp_path_factory.mktemp("pkg"))[2]


def test_every_write_tool_a_guest_may_ask_for_is_a_goal(result):
    goals = {a.tool for s in result.scenarios for a in s.gold_actions}
    assert {"book_room", "open_ticket", "reopen_ticket"} <= goals


def test_a_booking_names_the_city_of_its_rooms_hotel_and_a_room_that_is_open(result, runtime):
    conn = runtime.memory_copy(runtime.seed_image())
    calls = [a.arguments for s in result.scenarios for a in s.gold_actions if a.tool == "book_room"]
    assert calls
    for args in calls:
        city, status = conn.execute("SELECT h.city, h.status FROM rooms r JOIN hotels h USING (hotel_id) "
                                    "WHERE r.room_id = ?", (args["room_id"],)).fetchone()
        assert (args["city"], status) == (city, "open")
        assert "2026-03-02" <= args["check_in"] < args["check_out"]
    assert len({args["room_id"] for args in calls}) > 1  # rooms are drawn, not the first row


def test_task_state_and_look_alikes_keep_one_open_ticket_per_booking(result, runtime):
    twins = 0
    for s in result.scenarios:
        twins += sum("INSERT INTO tickets" in st.sql for st in s.initial_state.statements)
        conn = runtime.memory_copy(runtime.scenario_image(s.model_dump(mode="json")))
        doubled = conn.execute("SELECT booking_id FROM tickets WHERE status = 'open' GROUP BY booking_id "
                               "HAVING COUNT(*) > 1").fetchall()
        assert doubled == [], s.id
    assert twins  # look-alike tickets were made, and kept the rule


def test_a_look_alike_keeps_the_tables_unique_groups_and_its_uniqueness_rules(tmp_path):
    """A twin of a booking (same guest) takes another first night or room: UNIQUE (guest, room,
    check_in); a twin of an open ticket is a closed one: one open ticket per booking."""
    env = Environment(compile_domain(STAYS), tmp_path)
    conn = env.runtime.memory_copy(env.image)
    for table, where in (("bookings", "status = 'booked'"), ("tickets", "status = 'open'")):
        for n, row in enumerate(env.rows(table, f"WHERE {where}")[:5]):
            twin, statements = clone(env, env.ir.table(table), row, 100 + n, random.Random(n))
            for st in statements:
                conn.execute(st.sql, st.params)  # raises on a broken UNIQUE constraint
    assert conn.execute("SELECT booking_id FROM tickets WHERE status = 'open' GROUP BY booking_id "
                        "HAVING COUNT(*) > 1").fetchall() == []


def test_a_uniqueness_rule_only_the_policy_states_makes_refusals_the_agent_must_decline(tmp_path):
    spec = tmp_path / "stays.yaml"
    spec.write_text(STAYS.read_text().replace("error: ticket_already_open}",
                                              "error: ticket_already_open, enforced_by: policy}"))
    declined = [d["reason"] for s in expand_domain(spec, 24, seed=2).scenarios
                for d in s.metadata.model_dump().get("declined", [])]
    assert any(r.startswith("policy: no other tickets row with booking_id $booking_id") for r in declined), declined

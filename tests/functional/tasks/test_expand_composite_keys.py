"""The expander on a spec whose goal rows have a composite key (a passenger's meal on a flight of a date)."""

from __future__ import annotations

import json

import pytest

from generator.tasks.expand import expand_domain
from tests.functional.tasks.test_expand import independent_replay
from tests.support import ROOT, build_package

FLIGHTS = ROOT / "tests" / "specs" / "keys" / "flights.yaml"


@pytest.fixture(scope="module")
def result():
    return expand_domain(FLIGHTS, 6, seed=0)


def test_goals_act_on_rows_named_by_every_key_part(result):
    meals = [a for s in result.scenarios for a in s.gold_actions if a.tool in ("change_meal", "drop_meal")]
    assert meals and all({"passenger_id", "flight_number", "flight_date"} <= set(a.arguments) for a in meals)
    meal_checks = [c for s in result.scenarios for c in s.checks if c.table == "meal_choices" and c.expect]
    assert meal_checks and all(json.loads(row[1])[0].startswith("P") for c in meal_checks for row in c.expect)


async def test_gold_passes_and_every_negative_control_fails_with_composite_keys(result, tmp_path):
    _, server_mod, runtime = build_package(FLIGHTS, tmp_path / "pkg")
    for scenario in result.scenarios:
        gold = await independent_replay(server_mod, runtime, scenario, scenario.gold_actions, tmp_path)
        assert all(r["passed"] for r in gold), (scenario.id, gold)
        for control in scenario.validation.negative_controls:
            got = await independent_replay(server_mod, runtime, scenario, control.actions, tmp_path)
            assert not all(r["passed"] for r in got), (scenario.id, control.name)

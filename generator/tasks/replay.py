"""Validation by replay: the gold run passes every SQL check, every negative control fails one."""

from __future__ import annotations

from typing import Any

from generator.probe.replayer import Replayer
from generator.tasks.scenario import Scenario, run_checks


def sql_results(results: list[dict[str, Any]], scenario: Scenario) -> list[dict[str, Any]]:
    kinds = {c.id: c.kind for c in scenario.checks}
    return [r for r in results if kinds[r["id"]] == "sql"]


async def verify_scenario(replayer: Replayer, scenario: Scenario) -> list[str]:
    """Problems found replaying one scenario: gold must pass, every control must fail a check."""
    problems = []
    image = replayer.image_for(scenario.initial_state.statements, scenario.now)
    results, end = await replayer.run(image, scenario.gold_actions)
    for action, result in zip(scenario.gold_actions, results, strict=True):
        if result.is_error:
            problems.append(f"gold action {action.tool} was rejected")
    failed = [r["id"] for r in sql_results(run_checks(end, scenario), scenario) if not r["passed"]]
    if failed:
        problems.append(f"gold fails checks {', '.join(failed)}")
    for control in scenario.validation.negative_controls:
        _, end = await replayer.run(image, control.actions)
        if all(r["passed"] for r in sql_results(run_checks(end, scenario), scenario)):
            problems.append(f"negative control '{control.name}' passes every check")
    return problems

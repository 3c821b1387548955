"""Validation by replay: gold and every valid alternative pass each SQL check, every negative control fails one."""

from __future__ import annotations

from generator.probe.replayer import Replayer
from generator.tasks.scenario import Scenario, run_checks, sql_results


async def verify_scenario(replayer: Replayer, scenario: Scenario) -> list[str]:
    """Problems found replaying one scenario: gold must pass, every control must fail a check."""
    problems = []
    image = replayer.image_for(scenario.initial_state.statements, scenario.now)
    results, end = await replayer.run(image, scenario.gold_actions)
    for action, result in zip(scenario.gold_actions, results, strict=True):
        if result.is_error:
            problems.append(f"gold action {action.tool} was rejected")
    failed = [r["id"] for r in sql_results(run_checks(end, image, scenario), scenario) if not r["passed"]]
    if failed:
        problems.append(f"gold fails checks {', '.join(failed)}")
    for control in scenario.validation.negative_controls:
        _, end = await replayer.run(image, control.actions)
        if all(r["passed"] for r in sql_results(run_checks(end, image, scenario), scenario)):
            problems.append(f"negative control '{control.name}' passes every check")
    for alternative in scenario.validation.valid_alternatives:
        _, end = await replayer.run(image, alternative.actions)
        failed = [r["id"] for r in sql_results(run_checks(end, image, scenario), scenario) if not r["passed"]]
        if failed:
            problems.append(f"valid alternative '{alternative.name}' fails checks {', '.join(failed)}")
    return problems

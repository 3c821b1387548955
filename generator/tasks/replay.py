"""Validation by replay: gold and every valid alternative pass each SQL check, every negative control fails one.

Scenarios made for another build of the server (their `env_hash` differs) are not replayed:
they are reported with the command that makes them again.
"""

from __future__ import annotations

from pathlib import Path

from generator.probe.replayer import Replayer
from generator.tasks.scenario import Scenario, run_checks, sql_checks_pass, sql_results

ROOT = Path(__file__).resolve().parents[2]


def stale_problem(path: Path, scenarios: list[Scenario], env_hash: str) -> str:
    """Why the scenarios of one file cannot be verified on the server with `env_hash`, or ''."""
    stale = [s for s in scenarios if s.env_hash != env_hash]
    if not stale:
        return ""
    domain, seed = stale[0].domain, stale[0].seed
    folder = path.parent.resolve()
    out = "" if folder == ROOT / "tasks" / domain else f" --out {path.parent}"
    return (f"{len(stale)} of {len(scenarios)} scenarios were made for another build of {domain} "
            f"(env_hash {stale[0].env_hash[:12]}, the server's is {env_hash[:12]}); regenerate them with "
            f"`python -m generator expand {domain} --count {len(scenarios)} --seed {seed}{out} --force`")


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
        if sql_checks_pass(end, image, scenario):
            problems.append(f"negative control '{control.name}' passes every check")
    for alternative in scenario.validation.valid_alternatives:
        _, end = await replayer.run(image, alternative.actions)
        failed = [r["id"] for r in sql_results(run_checks(end, image, scenario), scenario) if not r["passed"]]
        if failed:
            problems.append(f"valid alternative '{alternative.name}' fails checks {', '.join(failed)}")
    return problems

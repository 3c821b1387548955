"""Run action lists on a generated server through a real MCP client, each on a fresh database.

Used by the expander (gold runs, negative controls, expansion) and by `verify`. One MCP
client session stays open; before each run the server's store is reset to a private
in-memory copy of the run's database image, and after it the end state is snapshotted.
"""

from __future__ import annotations

import importlib
import sqlite3
from typing import Any

from generator.tasks.scenario import Action, Scenario, Statement, run_checks


class Replayer:
    """`async with Replayer(server_mod, runtime) as r: results, end = await r.run(image, actions)`."""

    def __init__(self, server_mod: Any, runtime: Any):
        self.server_mod = server_mod
        self.runtime = runtime
        self.image = runtime.seed_image()

    @classmethod
    def for_package(cls, package: str) -> Replayer:
        """A replayer over an importable server package, e.g. `generated_servers.airline`."""
        return cls(importlib.import_module(f"{package}.server"), importlib.import_module(f"{package}.runtime"))

    async def __aenter__(self) -> Replayer:
        from mcp import Client

        self.store = await self.runtime.Store.open(image=self.image)
        self.client = Client(self.server_mod.build_server(store=self.store))
        await self.client.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.client.__aexit__(*exc)
        finally:
            await self.store.close()  # its worker thread would otherwise keep the process alive

    def image_for(self, statements: list[Statement], now: str) -> bytes:
        scenario = {"initial_state": {"statements": [s.model_dump() for s in statements]}, "now": now}
        return self.runtime.scenario_image(scenario, self.image)

    async def run(self, image: bytes, actions: list[Action]) -> tuple[list[Any], sqlite3.Connection]:
        """Execute actions on a fresh copy of `image`; returns results and the end state."""
        if not actions:  # nothing to send: the end state is the start state
            return [], self.runtime.memory_copy(image)
        await self.store.load(image)
        results = [await self.client.call_tool(a.tool, a.arguments) for a in actions]
        return results, await self.store.snapshot()


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

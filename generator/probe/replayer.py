"""Run action lists on a generated server through a real MCP client, each on a fresh database.

Used by the probe (one case per run), the expander (gold runs, negative controls, expansion)
and `verify`. One MCP client session stays open; before each run the server's store is reset
to a private in-memory copy of the run's database image, and after it the end state is
snapshotted. Actions are anything with `.tool` and `.arguments` (a scenario's `Action`).
"""

from __future__ import annotations

import importlib
import sqlite3
from typing import Any

from generator.errors import GeneratorError


class Replayer:
    """`async with Replayer(server_mod, runtime) as r: results, end = await r.run(image, actions)`."""

    def __init__(self, server_mod: Any, runtime: Any):
        self.server_mod = server_mod
        self.runtime = runtime
        self.image = runtime.seed_image()

    @classmethod
    def for_package(cls, package: str) -> Replayer:
        """A replayer over an importable server package, e.g. `generated_servers.airline`; a GeneratorError
        saying so when the package is missing or does not import."""
        try:
            return cls(importlib.import_module(f"{package}.server"), importlib.import_module(f"{package}.runtime"))
        except Exception as exc:  # missing, half-written or broken: any of these stops an import
            raise GeneratorError(
                f"cannot import the server package {package!r} ({type(exc).__name__}: {exc}); build it with"
                " `python -m generator build <domain>`, or name the package to replay on with --package"
            ) from None

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

    def image_for(self, statements: list[Any], now: str) -> bytes:
        """The server's database image after a scenario's initial-state statements, at its clock."""
        scenario = {"initial_state": {"statements": [s.model_dump() for s in statements]}, "now": now}
        return self.runtime.scenario_image(scenario, self.image)

    async def run(self, image: bytes, actions: list[Any]) -> tuple[list[Any], sqlite3.Connection]:
        """Execute actions on a fresh copy of `image`; returns results and the end state."""
        if not actions:  # nothing to send: the end state is the start state
            return [], self.runtime.memory_copy(image)
        await self.store.load(image)
        results = [await self.client.call_tool(a.tool, a.arguments) for a in actions]
        return results, await self.store.snapshot()

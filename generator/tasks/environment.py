"""The generated server a scenario is made on: its IR, dependency graph, seed rows and a runner.

Also answers who owns a row (the actor id, directly or through one foreign key hop).
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
from pathlib import Path
from typing import Any

from generator.compile import graph as tdg
from generator.compile.build import Build
from generator.compile.ir import DomainIR, LoadIR, TableIR, ToolIR
from generator.probe.plan import Planner
from generator.probe.replayer import Replayer
from generator.probe.run import load_package
from generator.tasks.draft import Dropped
from generator.tasks.values import Values


def story_args(tool: ToolIR, rng: random.Random) -> dict[str, Any]:
    """The values one of the tool's stories (drawn with `rng`) gives its call, or {} without stories."""
    return dict(rng.choice(tool.stories).args) if tool.stories else {}


def story_of(tool: ToolIR, args: dict[str, Any]):
    """The story whose values a call carries, or None."""
    return next((s for s in tool.stories if all(args.get(k) == v for k, v in s.args.items())), None)


class Environment:
    """The generated server under test, its IR and graph, and a runner for action lists."""

    def __init__(self, build: Build, work: Path):
        self.build = build
        self.ir: DomainIR = build.ir
        self.graph = tdg.build_graph(build.ir)
        self.server_mod, self.runtime = load_package(build, work)
        self.image = self.runtime.seed_image()
        self.seed = self.runtime.memory_copy(self.image)
        self.seed.row_factory = sqlite3.Row
        self.planner = Planner(self.ir, self.runtime.memory_copy(self.image))
        self.env_hash = hashlib.sha256(build.files["provenance.json"].encode()).hexdigest()
        self.replayer = Replayer(self.server_mod, self.runtime)
        self.image_for = self.replayer.image_for
        self.run = self.replayer.run
        if not self.ir.actor:
            raise Dropped(f"domain {self.ir.name} names no actor table (spec field 'actor')")
        self.actor = self.ir.table(self.ir.actor)
        self.owners: dict[tuple[str, Any], Any] = {}
        self.values = Values(self)

    def rows(self, table: str, where: str = "", params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        t = self.ir.table(table)
        sql = f"SELECT * FROM {table} {where} ORDER BY {t.primary_key}"
        return [dict(r) for r in self.seed.execute(sql, params)]

    def owner_column(self, table: TableIR) -> str | None:
        if table.name == self.actor.name:
            return table.primary_key
        return next((c.name for c in table.columns if c.references and c.references[0] == self.actor.name), None)

    def owner_of(self, table: TableIR, row: dict[str, Any]) -> Any:
        """The actor id a row belongs to: directly, or through one foreign key hop (seed rows are
        looked up once)."""
        key = (table.name, row.get(table.primary_key))
        if key[1] is None:
            return self.find_owner(table, row)
        if key not in self.owners:
            self.owners[key] = self.find_owner(table, row)
        return self.owners[key]

    def find_owner(self, table: TableIR, row: dict[str, Any]) -> Any:
        column = self.owner_column(table)
        if column is not None:
            return row[column]
        for c in table.columns:
            if c.references and row.get(c.name) is not None:
                parent = self.ir.table(c.references[0])
                pcol = self.owner_column(parent)
                if pcol is not None and parent.name != table.name:
                    found = self.seed.execute(f"SELECT {pcol} FROM {parent.name} WHERE {c.references[1]} = ?",
                                              (row[c.name],)).fetchone()
                    if found:
                        return found[0]
        return None

    def call_args(self, tool: ToolIR, load: LoadIR, row: dict[str, Any], rng: random.Random) -> dict[str, Any] | None:
        """Arguments for a call of `tool` on `row` (enum values without an example drawn with `rng`,
        one of the tool's stories drawn too), or None when a required argument cannot be derived."""
        args = self.values.vary(tool, load, row, self.planner.derive(tool, load, row), rng)
        for p in tool.params:
            if p.enum and not p.ref and p.example is None and p.name in args and p.default is None:
                args[p.name] = rng.choice(p.enum)
        args |= story_args(tool, rng)
        # free values the rules decide (the slot's provider's specialty), policy rules included
        args = self.planner.fit(tool, args, tool.checks + tool.policy_checks, rng)
        if any(p.required and p.name not in args for p in tool.params):
            return None
        return args

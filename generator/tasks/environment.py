"""The generated server a scenario is made on: its IR, dependency graph, seed rows and a runner.

Also answers who owns a row (the actor id, directly or through one foreign key hop).
"""

from __future__ import annotations

import hashlib
import random
import re
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


def rebased(setup: list[str], args: dict[str, Any], old: str, new: str) -> tuple[list[str], dict[str, Any]]:
    """A spec test's setup and arguments with its fixed user `old` replaced by `new`: the rows the
    setup gives that user (a saved card, a delivered order) become the new user's."""
    quoted = re.compile(rf"'{re.escape(old)}'")

    def swap(value: Any) -> Any:
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        return new if value == old else value

    return [quoted.sub(f"'{new}'", sql) for sql in setup], swap(args)


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
        self.links: dict[tuple[str, Any], list[Any]] = {}
        self.values = Values(self)

    def rows(self, table: str, where: str = "", params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        t = self.ir.table(table)
        sql = f"SELECT * FROM {table} {where} ORDER BY {', '.join(t.key)}"
        return [dict(r) for r in self.seed.execute(sql, params)]

    def by_owner(self, table: TableIR, rows: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
        """`rows` in an order that is uniform over their owners rather than over rows: each owner (in a
        random order) comes up once before any comes up twice, so a user with many rows is not
        picked more often."""
        owners = sorted({str(self.owner_of(table, r)) for r in rows})
        rng.shuffle(owners)
        rank = {o: i for i, o in enumerate(owners)}
        rng.shuffle(rows)
        seen: dict[str, int] = {}
        keyed = []
        for i, r in enumerate(rows):
            owner = str(self.owner_of(table, r))
            seen[owner] = seen.get(owner, -1) + 1
            keyed.append((seen[owner], rank[owner], i))
        return [rows[i] for *_, i in sorted(keyed)]

    def linked(self, table_name: str, owner: Any) -> list[Any]:
        """Keys of the rows of a table no one owns that the owner's own rows name (the products in
        their orders, the doctors of their visits): what a person asks about; [] for an owned table."""
        table = self.ir.table(table_name)
        if self.owner_column(table) is not None or any(
                c.references and self.owner_column(self.ir.table(c.references[0])) for c in table.columns):
            return []
        if (table_name, owner) not in self.links:
            found: set[Any] = set()
            for t in self.ir.tables:
                for c in t.columns:
                    if c.references != (table_name, table.primary_key):
                        continue
                    if column := self.owner_column(t):
                        sql = f"SELECT DISTINCT {c.name} FROM {t.name} WHERE {column} = ?"
                    elif hop := next((h for h in t.columns if h.references and h.references[0] != t.name
                                      and self.owner_column(self.ir.table(h.references[0]))), None):
                        parent = self.ir.table(hop.references[0])  # one hop: an order's lines are the customer's
                        sql = (f"SELECT DISTINCT x.{c.name} FROM {t.name} x JOIN {parent.name} p "
                               f"ON x.{hop.name} = p.{hop.references[1]} WHERE p.{self.owner_column(parent)} = ?")
                    else:
                        continue
                    found |= {r[0] for r in self.seed.execute(sql, (owner,)) if r[0] is not None}
            self.links[(table_name, owner)] = sorted(found, key=str)
        return self.links[(table_name, owner)]

    def owner_column(self, table: TableIR) -> str | None:
        if table.name == self.actor.name:
            return table.primary_key
        return next((c.name for c in table.columns if c.references and c.references[0] == self.actor.name), None)

    def owner_of(self, table: TableIR, row: dict[str, Any]) -> Any:
        """The actor id a row belongs to: directly, or through one foreign key hop (seed rows are
        looked up once)."""
        parts = tuple(row.get(c) for c in table.key)
        key = (table.name, parts[0] if len(parts) == 1 else parts)
        if None in parts:
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

    def call_args(self, tool: ToolIR, load: LoadIR, row: dict[str, Any], rng: random.Random,
                  linked: bool = False) -> dict[str, Any] | None:
        """Arguments for a call of `tool` on `row` (enum values without an example drawn with `rng`,
        one of the tool's stories drawn too; with `linked`, a row no one owns drawn among those the
        row's owner has to do with), or None when a required argument cannot be derived."""
        args = self.values.vary(tool, load, row, self.planner.derive(tool, load, row), rng)
        owner = self.owner_of(self.ir.table(load.table), row) if linked else None
        for p in tool.params if owner is not None else ():
            if p.ref and p.name != load.param and p.name in args and (mine := self.linked(p.ref[0], owner)):
                args[p.name] = rng.choice(mine)
        for p in tool.params:
            if p.enum and not p.ref and p.example is None and p.name in args and p.default is None:
                args[p.name] = rng.choice(p.enum)
        args |= story_args(tool, rng)
        # free values the rules decide (the slot's provider's specialty), policy rules included
        args = self.planner.fit(tool, args, tool.checks + tool.policy_checks, rng)
        if any(p.required and p.name not in args for p in tool.params):
            return None
        return args

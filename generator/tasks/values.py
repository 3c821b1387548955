"""Argument values a scenario draws, so the spec's examples and first rows do not steer tasks.

A row an argument names belongs to the caller (their card, their address) when the goal's
row does; a free value the derivation took from the param's example is drawn afresh from the
column's own seed recipe (a Faker provider, a choice, a range) with the candidate's RNG, on
the domain's clock.
"""

from __future__ import annotations

import random
from typing import Any

from faker import Faker

from generator.compile.ir import LoadIR, ToolIR
from generator.compile.seed import FREE, domain_clock, draw, plain
from generator.spec.models import Gen


class Values:
    def __init__(self, env: Any):
        self.env = env
        self.spec = env.build.spec
        self.fake = Faker(self.spec.faker_locale)

    def vary(self, tool: ToolIR, load: LoadIR, row: dict[str, Any], args: dict[str, Any],
             rng: random.Random) -> dict[str, Any]:
        out = dict(args)
        owner = self.env.owner_of(self.env.ir.table(load.table), row)
        for p in tool.params:
            if p.name not in out or p.name == load.param:
                continue
            if p.ref and p.ref[0] != self.env.ir.actor and owner is not None:
                mine = self.callers_rows(p.ref[0], owner)
                if mine and out[p.name] not in {r[p.ref[1]] for r in mine}:
                    out[p.name] = rng.choice(mine)[p.ref[1]]
            elif not p.ref and not p.enum and p.example is not None and out[p.name] == p.example:
                gen = self.recipe(tool, p.column)
                if gen is not None:
                    out[p.name] = self.draw(gen, rng)
        return out

    def callers_rows(self, table_name: str, owner: Any) -> list[dict[str, Any]]:
        table = self.env.ir.table(table_name)
        column = self.env.owner_column(table)
        return self.env.rows(table_name, f"WHERE {column} = ?", (owner,)) if column else []

    def recipe(self, tool: ToolIR, column: str | None) -> Gen | None:
        table = self.spec.tables.get(tool.table or "")
        gen = table.columns[column].gen if table and column in table.columns else None
        return gen if gen is not None and any(getattr(gen, kind) is not None for kind in FREE) else None

    def draw(self, gen: Gen, rng: random.Random) -> Any:
        self.fake.seed_instance(rng.getrandbits(32))
        with domain_clock(self.env.ir.now):  # Faker's relative dates read the clock
            return plain(draw(gen, rng, self.fake, unique=False))

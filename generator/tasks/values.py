"""Argument values a scenario draws, so the spec's examples and first rows do not steer tasks.

A row an argument names belongs to the caller (their card, their address) when the goal's
row does; a free value the derivation took from the param's example is drawn afresh from the
column's own seed recipe (a Faker provider, a choice, a range) with the candidate's RNG, on
the domain's clock, or else taken from one other seed row of the table, all such columns
from the same row (a card's last four digits and expiry, a policy's dates).
"""

from __future__ import annotations

import random
import re
from typing import Any

from faker import Faker

from generator.compile.ir import LoadIR, ToolIR
from generator.compile.seed import FREE, domain_clock, draw, plain
from generator.probe.plan import holds, resolve
from generator.spec.models import Gen

SQL_OPS = {"eq": "=", "ne": "!=", "in": "IN", "not_in": "NOT IN", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def near(example: float, minimum: float | None, whole: bool, rng: random.Random) -> float:
    """A number of the example's size (a gift card of 50, 100 or 150; one to three bags), at
    least `minimum`; the expander's trial call rejects one the tool's rules refuse."""
    if whole and 0 <= example <= 5:
        value: float = rng.randint(max(1, example - 1), example + 2)
    else:
        value = example * rng.choice([0.25, 0.5, 1, 1.5, 2])
        value = round(value) if whole else round(value, 2)
    return max(value, minimum) if minimum is not None else value


class Values:
    def __init__(self, env: Any):
        self.env = env
        self.spec = env.build.spec
        self.fake = Faker(self.spec.faker_locale)

    def vary(self, tool: ToolIR, load: LoadIR, row: dict[str, Any], args: dict[str, Any],
             rng: random.Random) -> dict[str, Any]:
        out = dict(args)
        owner = self.env.owner_of(self.env.ir.table(load.table), row)
        seen: list[Any] = []
        for p in tool.params:
            if p.name not in out or p.name in load.params:
                continue
            if p.ref and p.ref[0] == self.env.ir.actor and owner is not None and any(
                    c.op == "eq" and c.value == f"${p.name}" for c in tool.checks + tool.policy_checks):
                out[p.name] = owner  # the user a rule says owns the row is the goal row's own
            elif isinstance(out[p.name], list) and (p.item_ref or p.item_fields):
                lines = self.lines(p, load, row, rng)
                out[p.name] = lines if lines else out[p.name]
            elif p.ref and p.ref[0] != self.env.ir.actor and not self.env.ir.table(p.ref[0]).composite and (
                    owner is not None or not self.owned(p.ref[0])):  # a key part alone names no row
                # the caller's own rows (their card), or any row of a table no one owns (a free slot)
                if self.owned(p.ref[0]):
                    mine = self.fitting(tool, p, out, load, row, self.callers_rows(p.ref[0], owner))
                else:  # rows the caller has dealt with first (a provider they saw), else any that fit
                    mine = self.fitting(tool, p, out, load, row, self.related_rows(p.ref[0], owner)) \
                        or self.fitting(tool, p, out, load, row, self.open_rows(tool, p, out, rng))
                if mine and out[p.name] not in {r[p.ref[1]] for r in mine}:
                    out[p.name] = rng.choice(mine)[p.ref[1]]
            elif not p.ref and not p.enum and p.example is not None and out[p.name] == p.example:
                gen = self.recipe(tool, p.column)
                if gen is not None:
                    out[p.name] = self.draw(gen, rng)
                elif p.name.endswith("email") and owner is not None:  # an address of the caller's own
                    out[p.name] = self.email_of(owner, str(p.example), rng) or out[p.name]
                elif self.seen_column(tool, p):
                    seen.append(p)
                elif p.type in ("integer", "number") and not isinstance(p.example, bool):
                    out[p.name] = near(p.example, p.minimum, p.type == "integer" or isinstance(p.example, int), rng)
        if seen:  # values no recipe draws: one other row's, together (a card's last four and expiry)
            out |= self.seen(tool, seen, rng)
        return out

    def lines(self, p: Any, load: LoadIR, row: dict[str, Any], rng: random.Random) -> list[Any] | None:
        """List items that name rows of the goal entity (an order's lines), 1-2 of them, and for
        object items a partner row for each other id field: one that shares a column with the
        line's row (a variant of the same product) but is not the one the line names already."""
        fields = [(p.name, p.item_ref)] if p.item_ref else [(f.name, f.ref) for f in p.item_fields if f.ref]
        if p.item_fields and any(f.required and not f.ref for f in p.item_fields):
            return None
        child, rows = next(((field, found) for field in fields if (found := self.children(field[1][0], load, row))),
                           (None, []))
        if child is None:
            return None
        picked = rng.sample(rows, min(len(rows), rng.randint(1, 2)))
        if p.item_ref:
            return [r[child[1][1]] for r in picked]
        items = []
        for line in picked:
            item = {child[0]: line[child[1][1]]}
            for name, ref in fields:
                if name != child[0]:
                    partner = self.partner(ref, line, rng)
                    if partner is None:
                        return None
                    item[name] = partner
            items.append(item)
        return items

    def children(self, table_name: str, load: LoadIR, row: dict[str, Any]) -> list[dict[str, Any]]:
        table = self.env.ir.table(table_name)
        fk = next((c.name for c in table.columns if c.references == (load.table, load.column)), None)
        return self.env.rows(table_name, f"WHERE {fk} = ?", (row[load.column],)) if fk else []

    def partner(self, ref: tuple[str, str], line: dict[str, Any], rng: random.Random) -> Any:
        table = self.env.ir.table(ref[0])
        shared = [c.name for c in table.columns if c.name in line and c.name != table.primary_key and c.references]
        taken = {line[c] for c in line if line[c] is not None}
        found = [r[ref[1]] for r in self.env.rows(ref[0]) if shared and all(r[c] == line[c] for c in shared)
                 and r[ref[1]] not in taken]
        return rng.choice(found) if found else None

    def fitting(self, tool: ToolIR, p: Any, args: dict[str, Any], load: LoadIR, row: dict[str, Any],
                rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The rows that meet the tool's rules (policy ones too) on the entity `p` loads (an active card),
        on the rows one foreign key further (its hotel is open) and the uniqueness rules on it (a slot
        no one holds), other than the one the goal row names already (the same card changes nothing)."""
        entity = next((ld.entity for ld in tool.loads if ld.param == p.name), None)
        hops = {h.entity for h in tool.hops if h.source == entity}
        free = {f"${q.name}" for q in tool.params if not q.ref}  # values `fit` chooses later (a city)
        mine = (f"${entity}.", f"${p.name}")  # rules that compare another row with this one count too
        rules = [c for c in tool.checks + tool.policy_checks if c.entity == entity or (
            isinstance(c.value, str) and c.value.startswith(mine)) or (
            c.entity in hops and not (isinstance(c.value, str) and c.value in free)) or c.kind == "unique" and any(
            isinstance(v, str) and (v == f"${p.name}" or v.startswith(f"${entity}.")) for _, v in c.where)]
        current = {row.get(c.name) for c in self.env.ir.table(load.table).columns if c.references == p.ref}
        found = []
        for r in rows:
            trial = {**args, p.name: r[p.ref[1]]}
            entities = self.env.planner.entities(tool, trial, {})
            if r[p.ref[1]] not in current and all(holds(c, trial, entities) for c in rules):
                found.append(r)
        return found

    def owned(self, table_name: str) -> bool:
        return self.env.owner_column(self.env.ir.table(table_name)) is not None

    def open_rows(self, tool: ToolIR, p: Any, args: dict[str, Any], rng: random.Random,
                  sample: int = 24) -> list[dict[str, Any]]:
        """A sample of the rows of a table no one owns that the tool's plain rules on `p`'s row let
        through (an open, future slot), narrowed in SQL first since such tables can be large."""
        entity = next((ld.entity for ld in tool.loads if ld.param == p.name), None)
        entities = self.env.planner.entities(tool, args, {})
        terms, params = [], []
        for c in tool.checks + tool.policy_checks:
            if c.kind != "column" or c.entity != entity or c.op not in SQL_OPS:
                continue
            if isinstance(c.value, str) and c.value.startswith(f"${entity}."):
                continue  # compares the row with itself
            value = resolve(c.value, args, entities)
            values = list(value) if isinstance(value, tuple) else [value]
            if value is None or not values:
                continue
            marks = ", ".join("?" for _ in values)
            terms.append(f"{c.column} {SQL_OPS[c.op]} ({marks})")
            params += values
        rows = self.env.rows(p.ref[0], f"WHERE {' AND '.join(terms)}" if terms else "", tuple(params))
        return rng.sample(rows, min(sample, len(rows)))

    def related_rows(self, table_name: str, owner: Any) -> list[dict[str, Any]]:
        """Rows of a table no one owns that the caller's own rows reference (the providers of their
        visits), in key order."""
        keys: set[Any] = set()
        for table in self.env.ir.tables:
            column = self.env.owner_column(table) if owner is not None and table.name != self.env.ir.actor else None
            for fk in (c for c in table.columns if column and c.references and c.references[0] == table_name):
                keys |= {r[fk.name] for r in self.env.rows(table.name, f"WHERE {column} = ?", (owner,))}
        key = self.env.ir.table(table_name).primary_key
        return [r for r in self.env.rows(table_name) if r[key] in keys] if keys else []

    def callers_rows(self, table_name: str, owner: Any) -> list[dict[str, Any]]:
        table = self.env.ir.table(table_name)
        column = self.env.owner_column(table)
        return self.env.rows(table_name, f"WHERE {column} = ?", (owner,)) if column else []

    def recipe(self, tool: ToolIR, column: str | None) -> Gen | None:
        table = self.spec.tables.get(tool.table or "")
        gen = table.columns[column].gen if table and column in table.columns else None
        return gen if gen is not None and any(getattr(gen, kind) is not None for kind in FREE) else None

    def seen_column(self, tool: ToolIR, p: Any) -> bool:
        """A plain column of the tool's table the param sets, whose seed values another row may
        lend (not unique: a second row with it would break the table)."""
        table = self.env.ir.table(tool.table) if tool.table else None
        column = next((c for c in table.columns if c.name == p.column), None) if table else None
        return (column is not None and not column.unique and not column.hidden and not column.references
                and column.type in ("text", "integer", "real", "date") and column.name not in table.key)

    def email_of(self, owner: Any, example: str, rng: random.Random) -> str | None:
        """An address made of the caller's name on the example's domain (`ana.silva42@example.com`)."""
        actor = self.env.actor
        found = self.env.rows(actor.name, f"WHERE {actor.primary_key} = ?", (owner,))
        names = [str(found[0][c]) for c in ("first_name", "last_name", "name") if found and found[0].get(c)]
        words = re.findall(r"[a-z]+", " ".join(names[:2]).lower())
        return f"{'.'.join(words[:2])}{rng.randint(2, 99)}@{example.partition('@')[2] or 'example.com'}" if words else None

    def seen(self, tool: ToolIR, params: list[Any], rng: random.Random) -> dict[str, Any]:
        """The values one seed row of the tool's table has for these params' columns."""
        columns = [p.column for p in params]
        rows = self.env.rows(tool.table, "WHERE " + " AND ".join(f"{c} IS NOT NULL" for c in columns))
        if not rows:
            return {}
        row = rng.choice(rows)
        return {p.name: row[p.column] for p in params}

    def draw(self, gen: Gen, rng: random.Random) -> Any:
        self.fake.seed_instance(rng.getrandbits(32))
        with domain_clock(self.env.ir.now):  # Faker's relative dates read the clock
            return plain(draw(gen, rng, self.fake, unique=False))

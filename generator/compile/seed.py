"""Seed data: a deterministic, realistic initial database from each table's recipe.

Rows are drawn with Faker and a `random.Random` per table (string seeds, so adding a table
never shifts another's data) and inserted into a real SQLite database as they are made:
SQLite itself enforces every key, UNIQUE and CHECK, and a rejected row is drawn again.

Every date is drawn on the domain's own clock (`spec.now`), never the machine's: Faker's
relative providers (`date_of_birth`, `date_between("-30y")`, ...) read the system clock, so
seeding runs with that clock pinned to the domain's time in UTC. The same spec gives the
same rows on any machine, on any date, in any time zone.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import networkx as nx
import time_machine
from faker import Faker

from generator import ids
from generator.compile.constants import seed_scope
from generator.compile.ir import CheckIR, DomainIR
from generator.compile.render import constants_module
from generator.errors import GeneratorError
from generator.spec.models import Column, DomainSpec, Gen, Table

ATTEMPTS = 60


class SeedError(GeneratorError):
    """A table's recipe cannot produce rows that satisfy its constraints."""


def table_order(spec: DomainSpec) -> list[str]:
    """Tables with every referenced table first; ties broken by name for determinism."""
    graph = nx.DiGraph()
    graph.add_nodes_from(spec.tables)
    for name, table in spec.tables.items():
        for column in table.columns.values():
            for ref in (column.references, column.gen.ref if column.gen else None):
                if ref and ref.split(".")[0] != name:
                    graph.add_edge(ref.split(".")[0], name)
        for fk in table.foreign_keys:
            if fk.references != name:
                graph.add_edge(fk.references, name)
        if table.seed.per:
            graph.add_edge(table.seed.per, name)
        for first in table.seed.after:
            graph.add_edge(first, name)
    return list(nx.lexicographical_topological_sort(graph))


def _random_date(rng: random.Random, start: str, end: str) -> dt.date:
    a, b = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    return a + dt.timedelta(days=rng.randint(0, (b - a).days))


def _random_datetime(rng: random.Random, start: str, end: str) -> dt.datetime:
    a, b = dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end)
    return a + dt.timedelta(seconds=rng.randint(0, int((b - a).total_seconds())))


FREE = ("faker", "choice", "int", "real")  # recipes that draw a value without looking at a row


def draw(gen: Gen, rng: random.Random, fake: Faker, unique: bool = True) -> Any:
    """A value from a row-free recipe; `unique=False` reads `unique.email` as `email` (a one-off draw)."""
    if gen.faker is not None:
        provider: Any = fake
        for attribute in (gen.faker if unique else gen.faker.removeprefix("unique.")).split("."):
            provider = getattr(provider, attribute)  # e.g. "unique.email"
        return provider(**gen.args)
    if gen.choice is not None:
        return rng.choices(gen.choice, weights=gen.weights)[0]
    if gen.int is not None:
        return rng.randint(*gen.int)
    return round(rng.uniform(*gen.real), 2)


def plain(value: Any) -> Any:
    """A value SQLite stores as the spec means it: ISO text for dates, floats for decimals."""
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0, tzinfo=None).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    if hasattr(value, "as_integer_ratio") and not isinstance(value, (int, float)):
        return float(value)
    return value


class Seeder:
    def __init__(self, spec: DomainSpec, ir: DomainIR):
        self.spec = spec
        self.ir = ir
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.by_key: dict[str, dict[Any, dict[str, Any]]] = {}
        self.conn = sqlite3.connect(":memory:")
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.shared = seed_scope(ir, constants_module(ir))  # the server's constants and helpers
        for table in ir.tables:
            self.conn.execute(table.create_sql)

    def lookup(self, table: str, key: Any) -> dict[str, Any]:
        """The seeded row of `table` with this key (a tuple of the parts for a composite key)."""
        return self.by_key[table][tuple(key) if isinstance(key, list) else key]

    def composite_parents(self, table: Table, ctx: dict[str, Any]) -> dict[str, Any]:
        """Values of the columns of composite foreign keys without a gen: all parts from one row
        of the referenced table (the parent row when it is that table), so the parts match."""
        out: dict[str, Any] = {}
        for fk in table.foreign_keys:
            if any(table.columns[c].gen is not None for c in fk.columns):
                continue
            target = fk.referenced_columns or self.spec.tables[fk.references].key_columns
            parent = ctx["parent"] if ctx["parent_table"] == fk.references else None
            row = parent if parent is not None else ctx["rng"].choice(self.rows[fk.references])
            out.update({c: row[t] for c, t in zip(fk.columns, target, strict=True)})
        return out

    def value(self, name: str, column: Column, gen: Gen | None, ctx: dict[str, Any]) -> Any:
        rng, fake = ctx["rng"], ctx["fake"]
        if gen is None:
            if column.references:
                ref_table, ref_column = column.references.split(".")
                parent = ctx["parent"]
                if parent is not None and ctx["parent_table"] == ref_table:
                    return parent[ref_column]
                return rng.choice(self.rows[ref_table])[ref_column]
            return column.default
        if gen.null_rate and rng.random() < gen.null_rate:
            return None
        if gen.seq is not None:
            return gen.seq.format(n=ctx["n"] + 1)
        if any(getattr(gen, kind) is not None for kind in FREE):
            return draw(gen, rng, fake)
        if gen.date is not None:
            return _random_date(rng, *gen.date).isoformat()
        if gen.datetime is not None:
            return _random_datetime(rng, *gen.datetime).isoformat()
        if gen.ref is not None:
            ref_table, ref_column = gen.ref.split(".")
            return rng.choice(self.rows[ref_table])[ref_column]
        if gen.parent is not None:
            return ctx["parent"][gen.parent]
        if gen.expr is not None:
            scope = {
                **self.shared,
                "row": ctx["row"],
                "parent": ctx["parent"],
                "rng": rng,
                "fake": fake,
                "lookup": self.lookup,
                "rows": self.rows,
                "timedelta": dt.timedelta,
                "date": dt.date,
                "datetime": dt.datetime,
                "round": round,
                "min": min,
                "max": max,
                "len": len,
                "sum": sum,
                "int": int,
                "str": str,
            }
            # the scope goes in as globals so comprehensions and lambdas in the expression see it
            try:
                return eval(gen.expr, {"__builtins__": {}, **scope})  # noqa: S307 - spec-authored recipe
            except Exception as exc:
                raise SeedError(f"tables.{ctx['table']}.columns.{name}.gen.expr: {type(exc).__name__}: {exc}") from None
        return gen.const

    def clash(self, name: str, row: dict[str, Any], rows: list[dict[str, Any]]) -> str:
        """Which uniqueness rule of the tools `row` breaks next to the rows drawn so far ("" if none):
        rows that share the rule's `$` columns and are both in its listed states."""
        for check in uniqueness_rules(self.ir, name):
            states = {c: v for c, v in check.where if not (isinstance(v, str) and v.startswith("$"))}
            shared = [c for c, _ in check.where if c not in states]
            if counted(row, states, shared) and any(
                    counted(r, states, shared) and all(r[c] == row[c] for c in shared) for r in rows):
                return f"a second row in the same states breaks the rule behind {check.error}"
        return ""

    def fill(self, name: str) -> None:
        table = self.spec.tables[name]
        ir_table = self.ir.table(name)
        rng = random.Random(f"{self.spec.seed}:{name}")
        fake = Faker(self.spec.faker_locale)
        fake.seed_instance(f"{self.spec.seed}:{name}")
        if table.seed.per:
            plan = [p for p in self.rows[table.seed.per] for _ in range(rng.randint(*table.seed.count))]
        else:
            plan = [None] * (table.seed.rows or 0)
        given = [given_row(table, row) for row in table.seed.fixed]
        rows: list[dict[str, Any]] = []
        columns = list(table.columns)
        sql = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
        taken = {row.get(table.key_columns[0]) for row in given}
        keys = (key for n in range(1, 10**6)  # generated keys: the sequence, past given ones
                if (key := ids.make_id(table.id_format, table.id_prefix, name, n, self.spec.now[:10])) not in taken
                and key is not None)
        for n, parent in enumerate([None] * len(given) + plan):
            fixed = given[n] if n < len(given) else {}
            key = next(keys) if table.generates_ids and table.key_columns[0] not in fixed else None
            error: Exception | None = None
            for _ in range(1 if fixed else ATTEMPTS):
                row: dict[str, Any] = {}
                ctx = {"rng": rng, "fake": fake, "n": n, "row": row, "parent": parent, "parent_table": table.seed.per,
                       "table": name}
                linked = self.composite_parents(table, ctx)
                for column_name, column in table.columns.items():
                    if column_name in fixed:
                        row[column_name] = fixed[column_name]
                    elif column_name == table.key_columns[0] and key is not None:
                        row[column_name] = key
                    elif column_name in linked:
                        row[column_name] = linked[column_name]
                    else:
                        row[column_name] = plain(self.value(column_name, column, column.gen, ctx))
                try:
                    clash = self.clash(name, row, rows)
                    if clash:  # a rule the tools enforce is a constraint of the seed too
                        raise sqlite3.IntegrityError(clash)
                    self.conn.execute(sql, [row[c] for c in columns])
                except (sqlite3.IntegrityError, sqlite3.InterfaceError, sqlite3.ProgrammingError) as exc:
                    error = exc
                    continue
                rows.append(row)
                break
            else:
                if fixed:
                    raise SeedError(f"tables.{name}.seed.fixed.{n}: the given row violates a constraint: {error}")
                raise SeedError(f"tables.{name}.seed: row {n + 1} violates a constraint after {ATTEMPTS} tries: {error}")
        self.rows[name] = rows
        self.by_key[name] = {ir_table.key_of(r): r for r in rows}


def counted(row: dict[str, Any], states: dict[str, Any], shared: list[str]) -> bool:
    """Whether a row counts for a uniqueness rule: in its states, with every shared column set."""
    return all(row[c] in v if isinstance(v, tuple) else row[c] == v for c, v in states.items()) \
        and all(row[c] is not None for c in shared)


def uniqueness_rules(ir: DomainIR, table: str) -> list[CheckIR]:
    """The tools' partial-uniqueness rules on `table` (`unique` requires), each once."""
    found = {(c.where, c.error): c for t in ir.tools for c in t.checks + t.policy_checks
             if c.kind == "unique" and c.table == table}
    return list(found.values())


def given_row(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """A given row with its values in the column types (CSV gives every value as text)."""
    out = {}
    for name, value in row.items():
        column = table.columns[name]
        if isinstance(value, str) and value == "" and column.nullable:
            value = None
        elif isinstance(value, str) and column.type in ("integer", "real", "boolean"):
            text = value.strip().lower()
            value = (text in ("1", "true", "yes", "y", "t")) if column.type == "boolean" else \
                (int(text) if column.type == "integer" else float(text))
        out[name] = plain(value)
    return out


@contextmanager
def domain_clock(now: str) -> Iterator[None]:
    """The system clock (and time zone) stopped at the domain's `now`, read as UTC."""
    moment = dt.datetime.fromisoformat(now).replace(tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False):
        yield


def generate(spec: DomainSpec, ir: DomainIR) -> dict[str, list[dict[str, Any]]]:
    """Seed rows per table, in insertion order, the same for the same spec and seed on any date."""
    seeder = Seeder(spec, ir)
    with domain_clock(spec.now):
        for name in table_order(spec):
            seeder.fill(name)
    return {t.name: seeder.rows[t.name] for t in ir.tables}

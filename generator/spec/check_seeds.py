"""Checks of seed recipes: generators per column, Faker providers and args, seeding order.

A recipe that passes these can run: every drawn key has rows to draw from, in an acyclic order.
"""

from __future__ import annotations

import datetime as dt
import difflib
import inspect
from typing import Any

import networkx as nx
from faker import Faker

from generator.compile.names import split_ref
from generator.sandbox import SEED_NAMES, check_expr
from generator.spec.check_core import CheckerCore, Loc, suggest
from generator.spec.models import Column, Gen, Table


class SeedChecks(CheckerCore):
    """Seed recipes of every table."""

    def seeds(self) -> None:
        try:
            fake = Faker(self.spec.faker_locale)
        except AttributeError:
            self.error(("faker_locale",), f"unknown Faker locale {self.spec.faker_locale!r}",
                       "e.g. en_US, en_GB, de_DE, fr_FR")
            fake = Faker("en_US")
        graph = nx.DiGraph()
        for name, table in self.tables.items():
            at = ("tables", name, "seed")
            if table.seed.per == name:
                self.error(at + ("per",), f"{name} cannot be seeded per row of itself", "name its parent table")
            elif table.seed.per is not None and self.table(at + ("per",), table.seed.per) is not None:
                graph.add_edge(table.seed.per, name)
            for i, first in enumerate(table.seed.after):
                if self.table(at + ("after", i), first) is not None and first != name:
                    graph.add_edge(first, name)
            self.given_rows(name, table)
            low, high = table.seed.count
            if not 0 <= low <= high:
                self.error(at + ("count",), f"count [{low}, {high}] is not a range",
                           "give [low, high] with 0 <= low <= high")
            linked = {c: (fk.references, c) for fk in table.foreign_keys for c in fk.columns}  # drawn together
            for fk in table.foreign_keys:
                if fk.references in self.tables and fk.references != name:
                    graph.add_edge(fk.references, name)
            for column_name, column in table.columns.items():
                col_at = ("tables", name, "columns", column_name)
                target = linked.get(column_name) if column.gen is None else None
                target = target or split_ref(column.gen.ref if column.gen and column.gen.ref else column.references)
                if target and target[0] in self.tables and target[0] != name:
                    graph.add_edge(target[0], name)
                if column.gen is not None:
                    self.gen(name, table, column_name, column, column.gen, fake)
                elif self.makes_rows(table):
                    auto_key = [column_name] == table.key_columns and table.generates_ids
                    if column.references or column_name in linked:
                        self.draws_from(col_at, name, table, target)
                    elif not (auto_key or column.default is not None or column.nullable):
                        self.error(col_at, f"column {column_name} has no generator and no default but is NOT NULL",
                                   "add gen: (faker, choice, int, ...), a default:, or nullable: true")
        try:
            cycle = nx.find_cycle(graph)
        except nx.NetworkXNoCycle:
            return
        names = " -> ".join([a for a, _ in cycle] + [cycle[0][0]])
        self.error(("tables", cycle[0][1]), f"seed order has a cycle: {names}",
                   "break it: let one table draw its key with gen: {const: null} on a nullable column")

    def makes_rows(self, table: Table) -> bool:
        return bool(table.seed.rows) or table.seed.per is not None or bool(table.seed.fixed)

    def given_rows(self, name: str, table: Table) -> None:
        """Rows given as they are (`seed.fixed`, and `seed.file` rows, which the loader appends)."""
        for i, row in enumerate(table.seed.fixed):
            at = ("tables", name, "seed", "fixed", i)
            for column in row:
                if column not in table.columns:
                    self.error(at, f"given row {i + 1} has {column!r}, which is not a column of {name}",
                               suggest(column, set(table.columns), "columns"))
            for column_name, column in table.columns.items():
                filled = (column.gen is not None or column.default is not None or column.nullable
                          or column.references or any(column_name in fk.columns for fk in table.foreign_keys)
                          or ([column_name] == table.key_columns and table.generates_ids))
                if column_name not in row and not filled:
                    self.error(at, f"given row {i + 1} has no {column_name!r}, which has no generator or default",
                               f"give {column_name} in the row, or the column a gen")

    def draws_from(self, at: Loc, name: str, table: Table, target: tuple[str, ...] | None) -> None:
        """A seeded key drawn from another table needs that table to have rows first."""
        if not target or target[0] not in self.tables or target[0] == table.seed.per:
            return
        if target[0] == name:
            self.error(at, f"{name} refers to itself, but the seeder fills a table's keys from rows made before it",
                       "give the column a gen (e.g. {const: null} with nullable: true)")
        elif not self.makes_rows(self.tables[target[0]]):
            self.error(at, f"seed rows of {name} draw keys from {target[0]}, which seeds no rows",
                       f"give tables.{target[0]}.seed rows, or this column a gen")

    def gen(self, name: str, table: Table, column_name: str, column: Column, gen: Gen, fake: Faker) -> None:
        at = ("tables", name, "columns", column_name, "gen")
        if gen.faker is not None:
            self.faker(at, gen, fake)
        if gen.choice is not None:
            if not gen.choice:
                self.error(at + ("choice",), "choice is empty", "list at least one value")
            for i, value in enumerate(gen.choice):
                if column.enum and value not in column.enum:
                    self.error(at + ("choice", i), f"choice {value!r} is not in the enum of {name}.{column_name}",
                               suggest(str(value), column.enum, "enum values"))
            if gen.weights is not None and len(gen.weights) != len(gen.choice):
                self.error(at + ("weights",), f"{len(gen.weights)} weights for {len(gen.choice)} choices",
                           "give one weight per choice")
        elif gen.weights is not None:
            self.error(at + ("weights",), "weights without choice", "remove weights, or use choice:")
        for kind in ("int", "real", "date", "datetime"):
            bounds = getattr(gen, kind)
            if bounds is None:
                continue
            if kind in ("date", "datetime"):
                parse = dt.date.fromisoformat if kind == "date" else dt.datetime.fromisoformat
                try:
                    bounds = tuple(parse(b) for b in bounds)
                except ValueError as exc:
                    self.error(at + (kind,), f"{kind} range is not ISO: {exc}", 'e.g. ["2026-01-01", "2026-02-28"]')
                    continue
            if bounds[0] > bounds[1]:
                self.error(at + (kind,), f"{kind} range starts after it ends", "give [low, high]")
        if gen.const is not None and column.enum and gen.const not in column.enum:
            self.error(at + ("const",), f"const {gen.const!r} is not in the enum of {name}.{column_name}",
                       suggest(str(gen.const), column.enum, "enum values"))
        if gen.ref is not None:
            target = self.ref(at + ("ref",), gen.ref, "gen.ref")
            if target and self.makes_rows(table):
                self.draws_from(at + ("ref",), name, table, target)
        if gen.parent is not None:
            if table.seed.per is None:
                self.error(at + ("parent",),
                           "gen.parent copies a column of the parent row, but this table has no seed.per",
                           "add seed: {per: <parent table>, count: [1, 3]}")
            elif table.seed.per in self.tables:
                self.column(at + ("parent",), table.seed.per, gen.parent, "parent column")
        if gen.seq is not None:
            try:
                gen.seq.format(n=1)
            except (KeyError, IndexError, ValueError) as exc:
                self.error(at + ("seq",), f"seq {gen.seq!r} cannot be formatted: {exc!r}", 'use {n}, e.g. "U{n:04d}"')
        if gen.expr is not None:
            try:
                compile(gen.expr, "<expr>", "eval")
            except SyntaxError as exc:
                self.error(at + ("expr",), f"expr is not a Python expression: {exc.msg}", "check brackets and quotes")
            else:
                for violation in check_expr(gen.expr, SEED_NAMES | set(self.spec.constants) | set(self.spec.helpers)):
                    self.error(at + ("expr",), f"expr is not allowed to run: {violation.message}",
                               "an expr uses row, parent, rows, lookup, rng, fake, date, datetime, timedelta, "
                               "the constants and the helpers")

    def faker(self, at: Loc, gen: Gen, fake: Faker) -> None:
        provider: Any = fake
        for part in gen.faker.split("."):
            provider = None if part.startswith("_") else getattr(provider, part, None)
            if provider is None:
                break
        if provider is None or not callable(provider):
            *prefix, last = gen.faker.split(".")
            names = [n for n in dir(fake) if not n.startswith("_")]
            close = difflib.get_close_matches(last, names, n=1)
            hint = (
                f"did you mean {'.'.join(prefix + close)!r}?"
                if close
                else "see https://faker.readthedocs.io/en/stable/providers.html"
            )
            self.error(at + ("faker",), f"unknown Faker provider {gen.faker!r}", hint)
            return
        try:
            inspect.signature(provider).bind(**gen.args)
        except TypeError as exc:
            self.error(at + ("args",), f"Faker provider {gen.faker} does not take these args: {exc}",
                       f"its signature is {inspect.signature(provider)}")
        except ValueError:  # no signature to inspect
            pass

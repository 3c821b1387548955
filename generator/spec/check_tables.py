"""Checks of tables: names, keys, foreign keys, enums and defaults, states and transitions.

Each table is also created in an in-memory SQLite, so what SQLite rejects is reported here.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from generator.compile.names import model_name
from generator.compile.schema import lower_table
from generator.spec.check_core import CheckerCore, suggest
from generator.spec.models import Column, Table


class TableChecks(CheckerCore):
    """Names, tables, columns and states."""

    def names(self) -> None:
        try:
            dt.datetime.fromisoformat(self.spec.now)
        except ValueError:
            self.error(("now",), f"now {self.spec.now!r} is not an ISO datetime", 'e.g. now: "2026-03-01T09:00:00"')
        models: dict[str, str] = {}
        for t, table in self.tables.items():
            self.name(("tables", t), t, "table")
            for c in table.columns:
                self.name(("tables", t, "columns", c), c, "column")
            model = model_name(t)
            if model in models:
                self.error(("tables", t), f"tables {models[model]} and {t} both make the model class {model}",
                           "rename one of them")
            models.setdefault(model, t)
        for name in self.spec.tools:
            self.name(("tools", name), name, "tool")
        self.table(("actor",), getattr(self.spec, "actor", None))

    def schema(self) -> None:
        for name, table in self.tables.items():
            at = ("tables", name)
            if table.primary_key not in table.columns:
                self.error(at + ("primary_key",), f"primary key {table.primary_key!r} is not a column of {name}",
                           suggest(table.primary_key, table.columns, "columns"))
            elif table.id_prefix:
                pk = table.columns[table.primary_key]
                if pk.type != "text":
                    self.error(at + ("id_prefix",),
                               f"id_prefix needs a text primary key, but {name}.{table.primary_key} is {pk.type}",
                               "make the primary key type: text, or remove id_prefix")
                if pk.gen is not None:
                    self.error(at + ("columns", table.primary_key, "gen"),
                               f"{name}.{table.primary_key} gets generated ids ({table.id_prefix}00001, ...) and cannot also have a gen",
                               "remove gen, or remove id_prefix")
            if table.primary_key in table.columns and table.columns[table.primary_key].hidden:
                self.error(at + ("columns", table.primary_key, "hidden"), f"the key of {name} cannot be hidden",
                           "tools name rows by their key; hide another column")
            for column_name, column in table.columns.items():
                self.column_rules(name, column_name, column)
            for i, group in enumerate(table.unique):
                for j, column_name in enumerate(group):
                    self.column(at + ("unique", i, j), name, column_name)
            self.states(name, table)
            if not all(self.resolves(c.references) for c in table.columns.values() if c.references):
                self.schema_ok = False  # reported above; lower_table needs table.column
                continue
            try:
                self.db.execute(lower_table(name, table).create_sql)
            except sqlite3.Error as exc:
                self.schema_ok = False
                self.error(at, f"SQLite rejects this table: {exc}",
                           "rename tables and columns that are SQL keywords, and check the check: expressions")

    def column_rules(self, table: str, name: str, column: Column) -> None:
        at = ("tables", table, "columns", name)
        if column.enum and column.default is not None and column.default not in column.enum:
            self.error(at + ("default",), f"default {column.default!r} is not in the enum of {table}.{name}",
                       f"allowed: {', '.join(map(str, column.enum))}")
        if column.references is None:
            return
        target = self.ref(at + ("references",), column.references, "foreign key")
        if target is None:
            return
        other_name, other_column = target
        other = self.tables[other_name]
        key = other.columns[other_column]
        if other_column != other.primary_key and not key.unique and [other_column] not in other.unique:
            self.error(at + ("references",),
                       f"foreign key {column.references!r} is neither the primary key of {other_name} nor UNIQUE; SQLite rejects inserts",
                       f"reference {other_name}.{other.primary_key}, or mark {other_column} unique: true")
        if key.type != column.type:
            self.error(at + ("type",),
                       f"{table}.{name} is {column.type} but the key it references, {column.references}, is {key.type}",
                       f"make it type: {key.type}")

    def states(self, name: str, table: Table) -> None:
        at = ("tables", name)
        if table.status_column is None:
            if table.transitions or table.initial_states:
                self.error(at + ("transitions" if table.transitions else "initial_states",),
                           f"{name} declares states but no status_column",
                           "add status_column: <the enum column holding the state>")
            return
        if not self.column(at + ("status_column",), name, table.status_column, "status column"):
            return
        states = table.columns[table.status_column].enum
        if not states:
            self.error(at + ("columns", table.status_column), f"status column {name}.{table.status_column} has no enum",
                       "list its states: enum: [pending, done, ...]")
            return
        known = f"states of {name}.{table.status_column}"
        for i, state in enumerate(table.initial_states):
            if state not in states:
                self.error(at + ("initial_states", i), f"initial state {state!r} is not in the enum",
                           suggest(state, states, known))
        for source, targets in table.transitions.items():
            if source not in states:
                self.error(at + ("transitions", source), f"transition source {source!r} is not in the enum",
                           suggest(source, states, known))
            for i, target in enumerate(targets):
                if target not in states:
                    self.error(at + ("transitions", source, i), f"transition target {target!r} is not in the enum",
                               suggest(target, states, known))
        if not table.transitions:
            return
        if not table.initial_states:
            self.error(at + ("transitions",), f"{name} has transitions but no initial_states",
                       f"add the states a new row starts in, e.g. initial_states: [{states[0]}]")
            return
        reached = set(table.initial_states) | self.produced.get(name, set())
        frontier = list(reached)
        while frontier:
            for target in table.transitions.get(frontier.pop(), []):
                if target not in reached:
                    reached.add(target)
                    frontier.append(target)
        reachable = ", ".join(s for s in states if s in reached)
        for i, state in enumerate(states):
            if state not in reached:
                self.error(at + ("columns", table.status_column, "enum", i),
                           f"state {state!r} of {name}.{table.status_column} is unreachable from the initial states",
                           f"reachable: {reachable}; add a transition to {state!r}, a custom tool that produces it, or remove it")

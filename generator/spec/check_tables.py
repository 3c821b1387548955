"""Checks of tables: names, keys, foreign keys, enums and defaults, states and transitions.

Each table is also created in an in-memory SQLite, so what SQLite rejects is reported here.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from generator import ids
from generator.compile.names import model_name
from generator.compile.schema import lower_table
from generator.spec.check_core import CheckerCore, suggest
from generator.spec.models import Column, ForeignKey, Table


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

    def id_format(self, name: str, table: Table) -> None:
        """Generated keys: a text primary key without a gen; a prefix for counter and dated ids, none for a locator."""
        at, pk = ("tables", name), table.columns[table.primary_key]
        field = "id_prefix" if table.id_prefix else "id_format"
        example = ids.make_id(table.id_format, table.id_prefix or "R", name, 1, self.spec.now[:10])
        if pk.type != "text":
            self.error(at + (field,), f"{field} needs a text primary key, but {name}.{table.primary_key} is {pk.type}",
                       f"make the primary key type: text, or remove {field}")
        if pk.gen is not None:
            self.error(at + ("columns", table.primary_key, "gen"),
                       f"{name}.{table.primary_key} gets generated ids ({example}, ...) and cannot also have a gen",
                       f"remove gen, or remove {field}")
        if table.id_format == "locator" and table.id_prefix:
            self.error(at + ("id_prefix",), "a locator is six letters and digits, without a prefix",
                       "remove id_prefix, or use id_format: dated or counter")
        elif table.id_format == "dated" and not table.id_prefix:
            self.error(at + ("id_format",), "a dated id starts with a prefix (INV-2026-000001)",
                       "add id_prefix: (one to four capitals)")

    def schema(self) -> None:
        for name, table in self.tables.items():
            at = ("tables", name)
            self.key(name, table)
            for column_name, column in table.columns.items():
                self.column_rules(name, column_name, column)
            for i, group in enumerate(table.unique):
                for j, column_name in enumerate(group):
                    self.column(at + ("unique", i, j), name, column_name)
            for i, fk in enumerate(table.foreign_keys):
                self.foreign_key(at + ("foreign_keys", i), name, table, fk)
            self.states(name, table)
            if not all(self.resolves(c.references) for c in table.columns.values() if c.references) or not all(
                    fk.references in self.tables for fk in table.foreign_keys) or not all(
                    c in table.columns for c in table.key_columns):
                self.schema_ok = False  # reported above; lower_table needs table.column and key columns
                continue
            try:
                self.db.execute(lower_table(name, table, self.tables).create_sql)
            except sqlite3.Error as exc:
                self.schema_ok = False
                self.error(at, f"SQLite rejects this table: {exc}",
                           "rename tables and columns that are SQL keywords, and check the check: expressions")

    def key(self, name: str, table: Table) -> None:
        """The primary key: columns of the table, not hidden; generated ids need one text column."""
        at = ("tables", name, "primary_key")
        keys = table.key_columns
        for i, column in enumerate(keys):
            where = at + ((i,) if isinstance(table.primary_key, list) else ())
            if column not in table.columns:
                self.error(where, f"primary key {column!r} is not a column of {name}",
                           suggest(column, table.columns, "columns"))
            elif table.columns[column].hidden:
                self.error(("tables", name, "columns", column, "hidden"), f"the key of {name} cannot be hidden",
                           "tools name rows by their key; hide another column")
            elif table.columns[column].nullable and len(keys) > 1:
                self.error(("tables", name, "columns", column, "nullable"),
                           f"{name}.{column} is part of the key of {name} and cannot be nullable",
                           "remove nullable: true")
            if keys.index(column) != i:
                self.error(where, f"column {column!r} is twice in the key of {name}", "name each column once")
            elif column == "code" and len(keys) > 1:  # the not-found error passes each part to fail(code, ...)
                self.error(where, f"a part of the composite key of {name} cannot be called 'code'",
                           "rename the column, e.g. code_value")
        if not keys:
            self.error(at, f"the primary key of {name} names no column", "give one column, or a list of columns")
        if table.generates_ids and len(keys) > 1:
            field = "id_prefix" if table.id_prefix else "id_format"
            self.error(("tables", name, field),
                       f"{field} makes one generated id per row, but {name} has a composite key ({', '.join(keys)})",
                       f"remove {field}: the key parts come from params (or the seed recipe)")
        elif table.generates_ids and keys and all(c in table.columns for c in keys):
            self.id_format(name, table)

    def foreign_key(self, at: tuple, name: str, table: Table, fk: ForeignKey) -> None:
        """A composite foreign key: its columns exist, and match a key of the other table in number and type."""
        for j, column in enumerate(fk.columns):
            self.column(at + ("columns", j), name, column)
        other = self.table(at + ("references",), fk.references)
        if other is None:
            return
        target = fk.referenced_columns or other.key_columns
        for j, column in enumerate(fk.referenced_columns or []):
            self.column(at + ("referenced_columns", j), fk.references, column)
        if len(target) != len(fk.columns):
            self.error(at + ("columns",), f"{len(fk.columns)} column(s) cannot reference the {len(target)} of "
                       f"{fk.references} ({', '.join(target)})", f"list one column per part: {', '.join(target)}")
            return
        if sorted(target) != sorted(other.key_columns) and sorted(target) not in [sorted(u) for u in other.unique]:
            self.error(at + ("referenced_columns",),
                       f"({', '.join(target)}) is neither the primary key of {fk.references} nor a unique group; "
                       "SQLite rejects inserts", f"reference its key ({', '.join(other.key_columns)}), or add "
                       f"unique: [[{', '.join(target)}]] to {fk.references}")
        for j, (mine, theirs) in enumerate(zip(fk.columns, target, strict=True)):
            a, b = table.columns.get(mine), other.columns.get(theirs)
            if a is not None and b is not None and a.type != b.type:
                self.error(at + ("columns", j), f"{name}.{mine} is {a.type} but {fk.references}.{theirs}, "
                           f"which it references, is {b.type}", f"make it type: {b.type}")

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
        if [other_column] != other.key_columns and not key.unique and [other_column] not in other.unique:
            composite = len(other.key_columns) > 1 and other_column in other.key_columns
            self.error(at + ("references",),
                       f"foreign key {column.references!r} is neither the primary key of {other_name} nor UNIQUE; SQLite rejects inserts",
                       f"reference all of ({', '.join(other.key_columns)}) with foreign_keys: [{{columns: [...], "
                       f"references: {other_name}}}]" if composite else
                       f"reference {other_name}.{other.key_columns[0]}, or mark {other_column} unique: true")
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

"""Semantic checks of a parsed spec: every problem at once, each located with a hint.

`load.parse` enforces the shape of the YAML; this module checks what a schema cannot:
that every name resolves, keys and states are consistent, custom bodies are Python that
declares what it writes and fails with, and seed recipes can run. `lower.py` assumes a
spec with no error here, so each rule below guards an assumption of lowering, the
templates, the seeder or the generated server.
"""

from __future__ import annotations

import ast
import datetime as dt
import difflib
import inspect
import keyword
import re
import sqlite3
import textwrap
from collections.abc import Iterable
from typing import Any

import networkx as nx
import yaml
from faker import Faker

from generator.compile.lower import auto_errors, entity_name, lower_table, model_name, split_ref, template_names
from generator.errors import Diagnostic
from generator.spec.models import NAME, Column, DomainSpec, Gen, Param, Table, Tool
from generator.spec.source import Source

MAX_NAME = 40
RESERVED = {"ctx", "db"}  # parameters of every generated tool function
LOCALS = {"row", "rows", "where", "args", "sql", "changes"}  # locals of the generated declarative tools
PARAM_TYPE = {"text": "string", "date": "date", "datetime": "datetime", "integer": "integer", "real": "number", "boolean": "boolean"}
COMPATIBLE = {"text": {"string", "date", "datetime"}, "date": {"string", "date"}, "datetime": {"string", "datetime", "date"},
              "integer": {"integer"}, "real": {"number", "integer"}, "boolean": {"boolean"}}  # fmt: skip
WRITES = [
    re.compile(r"\bINSERT\s+(?:OR\s+\w+\s+)?INTO\s+(\w+)"),
    re.compile(r"\bREPLACE\s+INTO\s+(\w+)"),
    re.compile(r"\bUPDATE\s+(?:OR\s+\w+\s+)?(\w+)\s+SET\b"),
    re.compile(r"\bDELETE\s+FROM\s+(\w+)"),
    re.compile(r"\bdb\.(?:insert|update|new_id)\(\s*[\"'](\w+)[\"']"),
]
FAIL = re.compile(r"\bfail\(\s*[\"'](\w+)[\"']")

Loc = tuple[Any, ...]


def suggest(name: str, options: Iterable[str], what: str) -> str:
    """`did you mean 'x'?`, or the known names when nothing is close."""
    options = sorted(set(options))
    close = difflib.get_close_matches(name, options, n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    if not options:
        return f"no {what} are declared"
    shown = ", ".join(options[:12]) + (f", ... ({len(options)} in all)" if len(options) > 12 else "")
    return f"known {what}: {shown}"


class Checker:
    def __init__(self, spec: DomainSpec, source: Source):
        self.spec = spec
        self.source = source
        self.tables = spec.tables
        self.auto = auto_errors(spec)
        self.found: list[Diagnostic] = []
        self.db = sqlite3.connect(":memory:")
        self.schema_ok = True
        self.produced: dict[str, set[str]] = {}
        for tool in spec.tools.values():
            for table, states in tool.produces.items():
                self.produced.setdefault(table, set()).update(states)

    # -- reporting and name resolution -------------------------------------------------

    def error(self, at: Loc, message: str, hint: str = "", line: int | None = None, level: str = "error") -> None:
        if line is None:
            self.found.append(self.source.diagnostic(at, message, hint, level))
        else:
            self.found.append(Diagnostic(self.source.file, line, ".".join(map(str, at)), message, hint, level))

    def warn(self, at: Loc, message: str, hint: str = "") -> None:
        self.error(at, message, hint, level="warning")

    def table(self, at: Loc, name: str | None) -> Table | None:
        """The table called `name`, or None after reporting it unknown."""
        if name is None or name in self.tables:
            return self.tables.get(name) if name else None
        self.error(at, f"unknown table {name!r}", suggest(name, self.tables, "tables"))
        return None

    def column(self, at: Loc, table: str, name: str, what: str = "column") -> bool:
        if name in self.tables[table].columns:
            return True
        self.error(at, f"unknown {what} {name!r} of table {table}",
                   suggest(name, self.tables[table].columns, "columns"))
        return False

    def ref(self, at: Loc, ref: str, what: str) -> tuple[str, str] | None:
        """Resolve `table.column`; report a malformed or dangling one."""
        parts = split_ref(ref)
        if parts is None or len(parts) != 2:
            self.error(at, f"{what} {ref!r} is not 'table.column'", "write it as table.column, e.g. orders.order_id")
            return None
        table, column = parts
        if table not in self.tables:
            self.error(at, f"{what} {ref!r} names an unknown table {table!r}", suggest(table, self.tables, "tables"))
            return None
        if column not in self.tables[table].columns:
            hint = suggest(column, self.tables[table].columns, f"columns of {table}")
            self.error(at, f"{what} {ref!r} names an unknown column {column!r} of {table}", hint)
            return None
        return table, column

    def resolves(self, ref: str) -> bool:
        parts = split_ref(ref)
        return bool(parts) and len(parts) == 2 and parts[0] in self.tables and parts[1] in self.tables[parts[0]].columns

    def name(self, at: Loc, name: str, what: str) -> None:
        if not re.fullmatch(NAME, name):
            self.error(at, f"{what} name {name!r} is not snake_case",
                       "use lowercase letters, digits and _, starting with a letter")
        elif len(name) > MAX_NAME:
            self.error(at, f"{what} name {name!r} is {len(name)} characters long",
                       f"keep names to {MAX_NAME} characters")
        elif keyword.iskeyword(name):
            self.error(at, f"{what} name {name!r} is a Python keyword", f"rename it, e.g. {name}_")

    # -- the whole spec --------------------------------------------------------------------

    def run(self) -> list[Diagnostic]:
        areas = [self.duplicate_keys, self.names, self.schema, self.seeds, self.tools, self.shared_errors]
        for area in areas:
            try:
                area()
            except Exception as exc:  # a checker bug must still leave the user a located report
                self.error((), f"internal error in check {area.__name__}: {type(exc).__name__}: {exc}",
                           "please report this together with the spec")
        self.db.close()
        return self.found

    def duplicate_keys(self) -> None:
        """PyYAML keeps the last of two equal keys silently; report every repeat."""
        seen_nodes: set[int] = set()

        def walk(node: yaml.Node, at: Loc) -> None:
            if id(node) in seen_nodes:
                return
            seen_nodes.add(id(node))
            if isinstance(node, yaml.MappingNode):
                first: dict[str, int] = {}
                for key, value in node.value:
                    name, line = str(key.value), key.start_mark.line + 1
                    if name in first and name != "<<":
                        self.error(at + (name,), f"duplicate key {name!r}: it replaces the one on line {first[name]}",
                                   "rename or merge one of them", line=line)
                    first.setdefault(name, line)
                    walk(value, at + (name,))
            elif isinstance(node, yaml.SequenceNode):
                for i, item in enumerate(node.value):
                    walk(item, at + (i,))

        root = yaml.compose(self.source.text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        if root is not None:
            walk(root, ())

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

    # -- tables ----------------------------------------------------------------------------

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

    # -- seed recipes ------------------------------------------------------------------------

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
            low, high = table.seed.count
            if not 0 <= low <= high:
                self.error(at + ("count",), f"count [{low}, {high}] is not a range",
                           "give [low, high] with 0 <= low <= high")
            for column_name, column in table.columns.items():
                col_at = ("tables", name, "columns", column_name)
                target = split_ref(column.gen.ref if column.gen and column.gen.ref else column.references)
                if target and target[0] in self.tables and target[0] != name:
                    graph.add_edge(target[0], name)
                if column.gen is not None:
                    self.gen(name, table, column_name, column, column.gen, fake)
                elif self.makes_rows(table):
                    auto_key = column_name == table.primary_key and table.id_prefix
                    if column.references:
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
        return bool(table.seed.rows) or table.seed.per is not None

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

    # -- tools ---------------------------------------------------------------------------------

    def tools(self) -> None:
        for name, tool in self.spec.tools.items():
            at = ("tools", name)
            table = self.table(at + ("table",), tool.table)
            entities = self.entities(name, tool)
            for pname, param in tool.params.items():
                self.param(at + ("params", pname), pname, param, tool)
            self.kind(name, tool, table)
            self.returns(name, tool, table)
            for key in ("reads", "writes"):
                for i, t in enumerate(getattr(tool, key)):
                    self.table(at + (key, i), t)
            self.requires(name, tool, entities)
            for column, value in tool.set.items():
                if table is not None:
                    self.column(at + ("set", column), tool.table, column)
                self.value(at + ("set", column), value, tool, entities)
            for i, entry in enumerate(tool.order_by):
                column, *direction = entry.split()
                if direction and (len(direction) > 1 or direction[0].upper() not in ("ASC", "DESC")):
                    self.error(at + ("order_by", i), f"order_by {entry!r} is not 'column [ASC|DESC]'",
                               "e.g. created_at DESC")
                elif table is not None:
                    self.column(at + ("order_by", i), tool.table, column)
            self.produces(name, tool)
            if tool.kind == "custom" and tool.body is not None:
                self.body(name, tool)
            self.tests(name, tool)

    def entities(self, name: str, tool: Tool) -> dict[str, str]:
        """The rows the generated tool loads before its checks, by variable name (as lower.py does)."""
        found: dict[str, str] = {}
        for pname, param in sorted(tool.params.items(), key=lambda kv: not kv[1].required):
            ref = split_ref(param.ref)
            if ref is None or ref[0] not in self.tables or (tool.kind == "create" and ref[0] == tool.table):
                continue
            entity = entity_name(pname, ref[0], set(found))
            at = ("tools", name, "params", pname)
            if keyword.iskeyword(entity) or entity in RESERVED:
                self.error(at, f"param {pname} loads a row into a variable called {entity!r}, which cannot be used",
                           "rename the param")
            elif entity in tool.params and entity != pname:
                self.warn(at, f"the row loaded for {pname} replaces the param {entity!r}", "rename one of them")
            found[entity] = ref[0]
        return found

    def param(self, at: Loc, name: str, param: Param, tool: Tool | None) -> None:
        """A tool's param, or (tool None) a field of an array param's items."""
        self.name(at, name, "param" if tool else "field")
        table = self.tables.get(tool.table) if tool and tool.table else None
        if tool and (name in RESERVED or (tool.kind != "custom" and name in LOCALS)):
            self.error(at, f"param name {name!r} clashes with a variable of the generated tool",
                       f"rename it, e.g. {name}_value")
        if param.ref is not None:
            target = self.ref(at + ("ref",), param.ref, "ref")
            if target:
                self.types(at + ("ref",), param, self.tables[target[0]].columns[target[1]], param.ref)
        if param.column is not None:
            if tool is None or tool.table is None:
                self.error(at + ("column",), f"param {name} names column {param.column!r}, but there is no table",
                           "remove column, or give the tool a table")
            elif table is not None and self.column(at + ("column",), tool.table, param.column):
                self.types(at + ("column",), param, table.columns[param.column], f"{tool.table}.{param.column}")
        for field, sub in param.items.fields.items() if param.items else ():
            self.param(at + ("items", "fields", field), field, sub, None)

    def types(self, at: Loc, param: Param, column: Column, where: str) -> None:
        if param.type != "array" and param.type not in COMPATIBLE[column.type]:
            self.warn(at, f"param type {param.type} does not fit {where}, which is {column.type}",
                      f"use type: {PARAM_TYPE[column.type]}")

    def key_param(self, tool: Tool, table: Table) -> tuple[str, Param] | None:
        """The param naming the row a keyed tool works on (the rule of lower.py)."""
        for name, param in tool.params.items():
            if split_ref(param.ref) == (tool.table, table.primary_key):
                return name, param
        for name, param in tool.params.items():
            if (param.column or name) == table.primary_key:
                return name, param
        return None

    def kind(self, name: str, tool: Tool, table: Table | None) -> None:
        at = ("tools", name)
        if tool.kind == "custom":
            if tool.body is None:
                self.error(at, f"custom tool {name} has no body",
                           "add body: | with Python statements that end in return")
            if tool.table is None and not (tool.returns and (tool.returns.fields or tool.returns.table)):
                self.error(at, f"custom tool {name} has neither a table nor returns",
                           "add table:, or returns: {fields: ...}")
        elif tool.body is not None:
            self.error(at + ("body",), f"only custom tools have a body; {name} is kind {tool.kind}",
                       "use kind: custom, or remove body")
        if tool.kind != "custom" and tool.table is None:
            self.error(at, f"kind {tool.kind} needs a table", "add table: <the table it works on>")
        if tool.to is not None and tool.kind != "transition":
            self.warn(at + ("to",), f"to is only used by transition tools; {name} is kind {tool.kind}", "remove it")
        if table is None or tool.kind in ("custom", "list") or table.primary_key not in table.columns:
            return
        pk = table.primary_key
        key = self.key_param(tool, table)
        example = f"{pk}: {{type: string, ref: {tool.table}.{pk}, description: ...}}"
        if tool.kind == "create":
            if key is None and not table.id_prefix:
                self.error(at + ("params",),
                           f"create tool {name} has no param for {tool.table}.{pk}, and {tool.table} has no id_prefix",
                           f"add a param {pk}, or id_prefix: to the table")
            self.create_covers(name, tool, table)
        elif key is None:
            self.error(at + ("params",), f"{tool.kind} tool {name} needs a param for the primary key {tool.table}.{pk}",
                       f"add {example}")
        elif tool.kind != "update" and (key[1].ref is None or not key[1].required):
            self.error(at + ("params", key[0]),
                       f"{key[0]} must be a required param with ref: {tool.table}.{pk}, so {name} loads the row",
                       f"use {example}")
        if tool.kind == "transition":
            self.transition(name, tool, table)

    def create_covers(self, name: str, tool: Tool, table: Table) -> None:
        set_columns = {param.column or pname for pname, param in tool.params.items()} | set(tool.set)
        for column_name, column in table.columns.items():
            if column_name == table.primary_key or column.nullable or column.default is not None:
                continue
            if column_name not in set_columns:
                self.error(("tools", name),
                           f"create tool {name} leaves the NOT NULL column {tool.table}.{column_name} empty",
                           f"add a param {column_name}, set: {{{column_name}: ...}}, or give the column a default")

    def transition(self, name: str, tool: Tool, table: Table) -> None:
        at = ("tools", name)
        if tool.to is None:
            self.error(at, f"transition tool {name} has no to:", "add to: <the state it moves the row into>")
        elif table.status_column is None:
            self.error(at + ("table",), f"transition tool {name} works on {tool.table}, which has no status_column",
                       "add status_column and transitions to the table")
        else:
            targets = sorted({t for ts in table.transitions.values() for t in ts})
            if tool.to not in targets:
                self.error(at + ("to",), f"no transition of {tool.table} leads to {tool.to!r}",
                           suggest(tool.to, targets, "targets"))

    def returns(self, name: str, tool: Tool, table: Table | None) -> None:
        if tool.returns is None:
            return
        at = ("tools", name, "returns")
        self.table(at + ("table",), tool.returns.table)
        for i, child in enumerate(tool.returns.include):
            if self.table(at + ("include", i), child) is None or table is None:
                continue
            if not any(
                (split_ref(c.references) or ("",))[0] == tool.table for c in self.tables[child].columns.values()
            ):
                self.error(at + ("include", i), f"{child} has no foreign key to {tool.table}, so it cannot be included",
                           f"add a column with references: {tool.table}.{table.primary_key}")
            if tool.kind != "get":
                self.warn(at + ("include", i), "include is only used by get tools")
        for field, param in tool.returns.fields.items():
            self.name(at + ("fields", field), field, "field")
            if param.ref is not None:
                self.ref(at + ("fields", field, "ref"), param.ref, "ref")

    def value(self, at: Loc, value: Any, tool: Tool, entities: dict[str, str]) -> None:
        """`$param`, `$entity.column`, `$now`, `$today`, a list of those, or a literal."""
        if isinstance(value, list):
            for i, item in enumerate(value):
                self.value(at + (i,), item, tool, entities)
            return
        if not isinstance(value, str) or not value.startswith("$") or value[1:] in ("now", "today"):
            return
        entity, _, column = value[1:].partition(".")
        if not column:
            if entity not in tool.params:
                self.error(at, f"{value} is not a param of this tool", suggest(entity, tool.params, "params"))
        elif entity not in entities:
            self.error(at, f"{value} names {entity!r}, which this tool does not load",
                       suggest(entity, entities, "loaded entities"))
        else:
            self.column(at, entities[entity], column)

    def requires(self, name: str, tool: Tool, entities: dict[str, str]) -> None:
        used: set[str] = set()
        for i, req in enumerate(tool.requires):
            at = ("tools", name, "requires", i)
            if req.entity not in entities:
                loads = ", ".join(entities) or "nothing"
                hint = suggest(req.entity, entities, "entities")
                self.error(at + ("entity",), f"{name} does not load an entity {req.entity!r} (it loads {loads})",
                           f"{hint}; a param x_id with a ref loads the entity x")
            else:
                self.column(at + ("column",), entities[req.entity], req.column)
            self.value(at + ("value",), req.value, tool, entities)
            if req.error in self.auto and req.error not in tool.errors:
                self.error(at + ("error",), f"automatic error {req.error!r} needs values a precondition does not pass",
                           "declare a code of your own under errors: with a message for this check")
            elif req.error not in tool.errors:
                hint = suggest(req.error, tool.errors, "errors of this tool")
                self.error(at + ("error",), f"error {req.error!r} is not declared in {name}.errors",
                           f"declare it under errors: with a message; {hint}")
            elif req.error not in used:
                used.add(req.error)
                self.placeholders(("tools", name, "errors", req.error), tool.errors[req.error], entities, tool)

    def placeholders(self, at: Loc, message: str, entities: dict[str, str], tool: Tool) -> None:
        """A precondition's fail(...) passes each placeholder as a variable of the generated tool."""
        names = set(tool.params) | set(entities)
        for match in re.finditer(r"\{(\w+)(?:\.(\w+))?\}", message):
            var, column = match.groups()
            if var not in names:
                self.error(at, f"message placeholder {{{var}}} is not a param or loaded entity here",
                           suggest(var, names, "params and entities"))
            elif column and var in entities and column not in self.tables[entities[var]].columns:
                self.error(at, f"message placeholder {match.group(0)}: {entities[var]} has no column {column!r}",
                           suggest(column, self.tables[entities[var]].columns, "columns"))

    def produces(self, name: str, tool: Tool) -> None:
        for table_name, states in tool.produces.items():
            at = ("tools", name, "produces", table_name)
            table = self.table(at, table_name)
            if table is None:
                continue
            if table_name not in tool.writes and table_name != tool.table:
                self.warn(at, f"{name} produces states of {table_name} but does not write it",
                          f"add {table_name} to writes")
            enum = table.columns[table.status_column].enum if table.status_column in table.columns else None
            if not enum:
                self.error(at, f"{table_name} has no status_column with an enum", "add status_column to the table")
                continue
            for i, state in enumerate(states):
                if state not in enum:
                    self.error(at + (i,), f"{state!r} is not a state of {table_name}", suggest(state, enum, "states"))

    def body(self, name: str, tool: Tool) -> None:
        at = ("tools", name, "body")
        key_line = self.source.line(at)
        text = self.source.text.splitlines()[key_line - 1] if key_line else ""
        block = text.split(":", 1)[-1].strip()[:1] in ("|", ">")
        first = key_line + 1 if block else key_line

        def line_of(offset: int) -> int | None:
            return first + tool.body.count("\n", 0, offset) if key_line else None

        code = textwrap.dedent(tool.body)
        try:
            tree = ast.parse("async def f():\n" + textwrap.indent(code, "    ", lambda _: True))
        except SyntaxError as exc:
            self.error(at, f"body is not valid Python: {exc.msg}", "check indentation, brackets and quotes",
                       line=first + (exc.lineno or 2) - 2 if key_line else None)
            tree = None
        if tree is not None:
            if not any(isinstance(node, ast.Return) for node in ast.walk(tree)):
                self.error(at, "body never returns", "end it with return <Model>(...)")
            self.fail_args(name, tool, tree, first)
        reported: set[str] = set()
        for pattern in WRITES:
            for match in pattern.finditer(tool.body):
                table = match.group(1)
                if table in reported:
                    continue
                reported.add(table)
                if table not in self.tables:
                    self.error(at, f"body writes unknown table {table!r}", suggest(table, self.tables, "tables"),
                               line_of(match.start()))
                elif table not in tool.writes:
                    self.error(at, f"body writes {table}, which {name} does not declare", f"add {table} to writes",
                               line_of(match.start()))
        for match in FAIL.finditer(tool.body):
            code_name = match.group(1)
            if code_name not in tool.errors and code_name not in self.auto:
                self.error(at, f"body fails with undeclared error {code_name!r}",
                           f"declare it under errors: with a message; {suggest(code_name, tool.errors, 'errors of this tool')}",
                           line_of(match.start()))

    def fail_args(self, name: str, tool: Tool, tree: ast.AST, first: int) -> None:
        """`fail("code", a=...)` must pass every placeholder of the code's message."""
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "fail"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                continue
            message = tool.errors.get(node.args[0].value, self.auto.get(node.args[0].value))
            if message is None or any(kw.arg is None for kw in node.keywords):
                continue
            missing = [n for n in template_names(message) if n not in {kw.arg for kw in node.keywords}]
            if missing:
                self.error(("tools", name, "body"),
                           f"fail({node.args[0].value!r}) does not pass {', '.join(missing)} for its message",
                           f"pass {', '.join(f'{n}=...' for n in missing)}",
                           line=first + node.lineno - 2 if first else None)

    def tests(self, name: str, tool: Tool) -> None:
        codes = set(tool.errors) | set(self.auto)
        seen: set[str] = set()
        for i, case in enumerate(tool.tests):
            at = ("tools", name, "tests", i)
            if case.name in seen:
                self.error(at + ("name",), f"two tests of {name} are called {case.name}", "rename one")
            seen.add(case.name)
            for arg in case.args:
                if arg not in tool.params:
                    self.error(at + ("args", arg), f"{arg!r} is not a param of {name}",
                               suggest(arg, tool.params, "params"))
            expect = case.expect
            if expect.error is not None and expect.error not in codes:
                self.error(at + ("expect", "error"), f"{name} cannot fail with {expect.error!r}",
                           suggest(expect.error, codes, "error codes"))
            for table in expect.changes or {}:
                self.table(at + ("expect", "changes", table), table)
            for j, row in enumerate(expect.rows):
                row_at = at + ("expect", "rows", j)
                if self.table(row_at + ("table",), row.table) is not None:
                    for key in ("where", "values"):
                        for column in getattr(row, key):
                            self.column(row_at + (key, column), row.table, column)
            for j, sql in enumerate(case.setup if self.schema_ok else ()):
                try:
                    self.db.execute(f"EXPLAIN {sql}")
                except sqlite3.ProgrammingError:  # several statements: leave them to the runner
                    pass
                except sqlite3.Error as exc:
                    self.error(at + ("setup", j), f"setup SQL fails: {exc}", "check table and column names")

    def shared_errors(self) -> None:
        """ERRORS is one dict in the server: a code has one message across all tools."""
        first: dict[str, tuple[str, str]] = {}
        for name, tool in self.spec.tools.items():
            for code, message in tool.errors.items():
                if code in first and first[code][1] != message:
                    where = ("tools", first[code][0], "errors", code)
                    self.error(("tools", name, "errors", code),
                               f"error {code!r} has a different message than in {'.'.join(where)} (line {self.source.line(where)})",
                               "a code has one message everywhere: use the same text, or another code")
                first.setdefault(code, (name, message))


def check_spec(spec: DomainSpec, source: Source) -> list[Diagnostic]:
    """All diagnostics for a spec that parsed; no error means it can be compiled."""
    return Checker(spec, source).run()

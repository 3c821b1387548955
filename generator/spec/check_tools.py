"""Checks of tool declarations: kinds, params and their types, preconditions, returns.

Also the rows a tool loads (named as lowering names them) and the states it produces.
"""

from __future__ import annotations

import keyword

from generator.compile.names import entity_name, split_ref, template_names
from generator.spec.check_bodies import BodyChecks
from generator.spec.check_core import Loc, suggest
from generator.spec.check_rules import RuleChecks, unusable_fields
from generator.spec.check_tests import ToolTestChecks
from generator.spec.models import Column, Param, Table, Tool

RESERVED = {"ctx", "db"}  # parameters of every generated tool function
LOCALS = {"row", "rows", "where", "args", "sql", "changes"}  # locals of the generated declarative tools
PARAM_TYPE = {"text": "string", "date": "date", "datetime": "datetime", "integer": "integer", "real": "number", "boolean": "boolean"}
COMPATIBLE = {"text": {"string", "date", "datetime"}, "date": {"string", "date"}, "datetime": {"string", "datetime", "date"},
              "integer": {"integer"}, "real": {"number", "integer"}, "boolean": {"boolean"}}  # fmt: skip


class ToolChecks(BodyChecks, ToolTestChecks, RuleChecks):
    """Each tool in turn; its body and tests through the checks it inherits."""

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
            self.messages(name, tool)
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
            at = ("tools", name, "params", pname)
            keys = self.tables[ref[0]].key_columns
            if len(keys) > 1 and ref[1] in keys:  # one part of a composite key: the params load the row together
                if not self.composite_ref(at, name, tool, ref[0], keys) or ref[1] != keys[0]:
                    continue
                entity = entity_name(ref[0], ref[0], set(found))
            else:
                entity = entity_name(pname, ref[0], set(found))
            if keyword.iskeyword(entity) or entity in RESERVED:
                self.error(at, f"param {pname} loads a row into a variable called {entity!r}, which cannot be used",
                           "rename the param")
            elif entity in tool.params and entity != pname:
                self.warn(at, f"the row loaded for {pname} replaces the param {entity!r}", "rename one of them")
            found[entity] = ref[0]
        return found

    def composite_ref(self, at: Loc, name: str, tool: Tool, table: str, keys: list[str]) -> bool:
        """Whether the tool's params ref every part of `table`'s composite key, once each and all
        equally required (reported at the first part's param when not)."""
        parts = {c: [p for p, param in tool.params.items() if split_ref(param.ref) == (table, c)] for c in keys}
        missing = [c for c, ps in parts.items() if not ps]
        twice = [c for c, ps in parts.items() if len(ps) > 1]
        at_first = ("tools", name, "params", next(iter(ps[0] for ps in parts.values() if ps)))
        if at != at_first:
            return not missing and not twice  # reported once, at the first part's param
        if missing:
            kind = PARAM_TYPE[self.tables[table].columns[missing[0]].type]
            example = f"{missing[0]}: {{type: {kind}, ref: {table}.{missing[0]}, description: ...}}"
            self.error(at + ("ref",), f"{table} has a composite key ({', '.join(keys)}): {name} names its row "
                       f"only by {', '.join(c for c in keys if c not in missing)}", f"add a param with {example}")
        if twice:
            self.error(at + ("ref",), f"params {' and '.join(parts[twice[0]])} both ref {table}.{twice[0]}, but the "
                       f"params that ref the parts of a composite key name one row of {table} together",
                       "keep one param per key part; drop the ref of the other and look its row up in the body")
        if not missing and not twice and len({tool.params[ps[0]].required for ps in parts.values()}) > 1:
            self.error(at + ("required",), f"the params naming a row of {table} ({', '.join(p[0] for p in parts.values())}) "
                       "must all be required or all optional", "make them all required: true")
            return False
        return not missing and not twice

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
        if param.items is not None and param.items.ref is not None:
            self.ref(at + ("items", "ref"), param.items.ref, "ref")

    def types(self, at: Loc, param: Param, column: Column, where: str) -> None:
        if param.type != "array" and param.type not in COMPATIBLE[column.type]:
            self.warn(at, f"param type {param.type} does not fit {where}, which is {column.type}",
                      f"use type: {PARAM_TYPE[column.type]}")

    def key_param(self, tool: Tool, table: Table, column: str | None = None) -> tuple[str, Param] | None:
        """The param naming the key `column` (default: the first) of the row a keyed tool works on
        (the rule of lower.py)."""
        column = column or table.key_columns[0]
        for name, param in tool.params.items():
            if split_ref(param.ref) == (tool.table, column):
                return name, param
        for name, param in tool.params.items():
            if (param.column or name) == column:
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
        if table is None or tool.kind in ("custom", "list") or any(c not in table.columns for c in table.key_columns):
            return
        if len(table.key_columns) > 1:
            self.composite_kind(name, tool, table)
            return
        pk = table.key_columns[0]
        key = self.key_param(tool, table)
        example = f"{pk}: {{type: string, ref: {tool.table}.{pk}, description: ...}}"
        if tool.kind == "create":
            if key is None and not table.generates_ids:
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

    def composite_kind(self, name: str, tool: Tool, table: Table) -> None:
        """A keyed kind on a composite-key table: a param for every part (required refs, except create)."""
        at = ("tools", name)
        for column in table.key_columns:
            key = self.key_param(tool, table, column)
            example = f"{column}: {{type: {PARAM_TYPE[table.columns[column].type]}, ref: {tool.table}.{column}, description: ...}}"
            if key is None:
                self.error(at + ("params",), f"{tool.kind} tool {name} needs a param for every part of the key of "
                           f"{tool.table} ({', '.join(table.key_columns)}); none is for {column}", f"add {example}")
            elif tool.kind not in ("create", "update") and (key[1].ref is None or not key[1].required):
                self.error(at + ("params", key[0]), f"{key[0]} must be a required param with ref: "
                           f"{tool.table}.{column}, so {name} loads the row", f"use {example}")
        if tool.kind == "create":
            self.create_covers(name, tool, table)
        if tool.kind == "transition":
            self.transition(name, tool, table)

    def create_covers(self, name: str, tool: Tool, table: Table) -> None:
        set_columns = {param.column or pname for pname, param in tool.params.items()} | set(tool.set)
        for column_name, column in table.columns.items():
            if [column_name] == table.key_columns or column.nullable or column.default is not None:
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
            ) and not any(fk.references == tool.table and sorted(fk.referenced_columns or table.key_columns)
                          == sorted(table.key_columns) for fk in self.tables[child].foreign_keys):
                self.error(at + ("include", i), f"{child} has no foreign key to {tool.table}, so it cannot be included",
                           f"add a column with references: {tool.table}.{table.key_columns[0]}" if len(table.key_columns) == 1
                           else f"add foreign_keys: [{{columns: [...], references: {tool.table}}}] to {child}")
            if tool.kind != "get":
                self.warn(at + ("include", i), "include is only used by get tools")
        for field, param in tool.returns.fields.items():
            self.name(at + ("fields", field), field, "field")
            if param.ref is not None:
                self.ref(at + ("fields", field, "ref"), param.ref, "ref")

    def messages(self, name: str, tool: Tool) -> None:
        """Each declared message can be formatted by fail(), and no automatic code is replaced."""
        for code, message in tool.errors.items():
            at = ("tools", name, "errors", code)
            if code in self.auto:
                wanted = ", ".join(f"{{{n}}}" for n in template_names(self.auto[code]))
                self.error(at, f"error {code!r} is automatic: this message would replace "
                               f"{self.auto[code]!r} in every tool",
                           f"drop it (the generated code fails with {wanted}), or give this message a code of its own")
            bad = unusable_fields(message)
            if bad is None:
                self.error(at, "message is not a format string (a brace without its pair)",
                           "close each {placeholder}, or write a literal brace as {{ or }}")
            for field in bad or ():
                if field.split(".")[0] == "code":
                    self.error(at, f"message placeholder {{{field}}} cannot be filled: fail() takes the error code as code",
                               "use another name, e.g. {given_code} (rename the param it shows, or pass given_code=...)")
                else:
                    self.error(at, f"message placeholder {{{field}}} cannot be filled: fail() fills placeholders by name",
                               "name it like {order_id} or {order.status}")

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

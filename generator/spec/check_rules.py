"""Checks of preconditions (`requires`) and the values they and `set` compare with.

A rule on a loaded row (one foreign key further at most), on a param, or partial uniqueness
over a table; values are literals, params, loaded rows' columns, or the clock with an offset.
"""

from __future__ import annotations

import re
import string
from typing import Any

from generator.compile.names import CLOCK, hop_column, path_var, singular
from generator.spec.check_core import CheckerCore, Loc, suggest
from generator.spec.models import Require, Tool

FK_WORD = re.compile(r"_id$")
FIELD = re.compile(r"[A-Za-z_]\w*(\.\w+)?")  # what fail(code, **values) can fill: a name, or entity.column

def unusable_fields(message: str) -> list[str] | None:
    """Placeholders of a message that fail(code, **values) cannot fill; None if it is no format string."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(message) if f is not None]
    except ValueError:
        return None
    # `code` is fail()'s own first parameter: passing code=... raises TypeError
    return [f for f in fields if not FIELD.fullmatch(f) or f.split(".")[0] == "code"]



class RuleChecks(CheckerCore):
    """Preconditions, their values and their messages; needs `self.auto` (automatic error codes)."""

    def hop(self, at: Loc, path: str, entities: dict[str, str], unknown: str) -> str | None:
        """The table a path `entity` or `entity.fk` names, or None after reporting what is wrong
        (`unknown` says an entity the tool does not load)."""
        parts = path.split(".")
        if parts[0] not in entities:
            self.error(at, unknown.format(entity=parts[0], loads=", ".join(entities) or "nothing"),
                       f"{suggest(parts[0], entities, 'entities')}; a param x_id with a ref loads the entity x")
            return None
        if len(parts) > 2:
            self.error(at, f"{path!r} follows {len(parts) - 1} foreign keys; a rule follows at most one",
                       f"write {'.'.join(parts[:2])}, or load the row you need with a ref param")
            return None
        table = entities[parts[0]]
        if len(parts) == 1:
            return table
        columns = {n: c.references for n, c in self.tables[table].columns.items()}
        fk = hop_column(columns, parts[1])
        if fk is None:
            keys = [FK_WORD.sub("", n) for n, ref in columns.items() if ref]
            self.error(at, f"{table} has no foreign key {parts[1]}_id or {parts[1]} to follow from {parts[0]}",
                       suggest(parts[1], keys, "foreign keys (without _id)"))
            return None
        return columns[fk].split(".")[0]

    def value(self, at: Loc, value: Any, tool: Tool, entities: dict[str, str], op: str | None = None) -> None:
        """`$param`, `$entity.column`, `$entity.fk.column`, the clock (`$now - 60 days`), `$const.NAME`, a list
        of those, or a literal."""
        if isinstance(value, list):
            for i, item in enumerate(value):
                self.value(at + (i,), item, tool, entities)
            return
        if not isinstance(value, str) or not value.startswith("$"):
            return
        if value.startswith("$const."):
            self.const_value(at, value, op)  # check_shared
            return
        if re.match(r"^\$(now|today)\b", value):
            match = CLOCK.match(value)
            if match is None:
                self.error(at, f"{value!r} is not a clock value",
                           "write $now or $today, optionally with an offset: '$now - 60 days', '$today + 1 day' "
                           "(minutes, hours, days, weeks)")
            elif match[1] == "today" and match[4] in ("minute", "hour"):
                self.error(at, f"{value!r}: $today is a date, it moves by days or weeks",
                           "use $now for an offset in hours or minutes")
            return
        path, _, column = value[1:].rpartition(".")
        if not path:
            if column not in tool.params:
                self.error(at, f"{value} is not a param of this tool", suggest(column, tool.params, "params"))
            return
        table = self.hop(at, path, entities, f"{value} names {{entity!r}}, which this tool does not load")
        if table is not None:
            self.column(at, table, column)

    def requires(self, name: str, tool: Tool, entities: dict[str, str]) -> None:
        used: set[str] = set()
        hops = dict(entities)
        for i, req in enumerate(tool.requires):
            at = ("tools", name, "requires", i)
            if req.kind == "unique":
                self.unique(at, req, tool, entities)
                if req.unique in self.tables:  # its message may show the clashing row: {other_ticket.ticket_id}
                    hops[f"other_{singular(req.unique)}"] = req.unique
            elif req.kind == "param":
                if req.param not in tool.params:
                    self.error(at + ("param",), f"{req.param!r} is not a param of {name}",
                               suggest(req.param, tool.params, "params"))
                self.value(at + ("value",), req.value, tool, entities, req.op)
            else:
                table = self.hop(at + ("entity",), req.entity, entities,
                                 f"{name} does not load an entity {{entity!r}} (it loads {{loads}})")
                if table is not None:
                    self.column(at + ("column",), table, req.column)
                    hops[path_var(req.entity)] = table
                self.value(at + ("value",), req.value, tool, entities, req.op)
            constant = isinstance(req.value, str) and req.value.startswith("$const.")  # checked by const_value
            if req.op in ("in", "not_in") and not isinstance(req.value, list) and req.kind != "unique" and not constant:
                self.error(at + ("value",), f"op {req.op} takes a list", f"write value: [{req.value}]")
            for value in [req.value, *req.where.values()]:
                for item in value if isinstance(value, list) else [value]:
                    path = item[1:].rpartition(".")[0] if isinstance(item, str) and item.startswith("$") \
                        and not item.startswith("$const.") else ""
                    if "." in path and path.split(".")[0] in entities:
                        hops[path_var(path)] = self.hop(at, path, entities, "") or ""
            self.error_code(at, name, req, tool)
        for req in tool.requires:
            if req.error in tool.errors and req.error not in used:
                used.add(req.error)
                self.placeholders(("tools", name, "errors", req.error), tool.errors[req.error],
                                  {k: v for k, v in hops.items() if v}, tool)

    def unique(self, at: Loc, req: Require, tool: Tool, entities: dict[str, str]) -> None:
        """`unique: table` with `where: {column: value}`: every column is the table's, every value usable."""
        table = self.table(at + ("unique",), req.unique)
        if table is None:
            return
        for column, value in req.where.items():
            if self.column(at + ("where", column), req.unique, column) and column == table.primary_key:
                self.error(at + ("where", column), f"{column} is the primary key of {req.unique}: at most one row "
                           "has it anyway", "match the rows by other columns (a foreign key, a status)")
            self.value(at + ("where", column), value, tool, entities)

    def error_code(self, at: Loc, name: str, req: Require, tool: Tool) -> None:
        if req.error in self.auto and req.error not in tool.errors:
            self.error(at + ("error",), f"automatic error {req.error!r} needs values a precondition does not pass",
                       "declare a code of your own under errors: with a message for this check")
        elif req.error not in tool.errors:
            hint = suggest(req.error, tool.errors, "errors of this tool")
            self.error(at + ("error",), f"error {req.error!r} is not declared in {name}.errors",
                       f"declare it under errors: with a message; {hint}")

    def placeholders(self, at: Loc, message: str, entities: dict[str, str], tool: Tool) -> None:
        """A precondition's fail(...) passes each placeholder as a variable of the generated tool."""
        names = set(tool.params) | set(entities)
        for match in re.finditer(r"\{(\w+)(?:\.(\w+))?\}", message):
            var, column = match.groups()
            if match.group(0)[1:-1] in (unusable_fields(message) or ()):
                continue  # reported by messages()
            if var not in names:
                self.error(at, f"message placeholder {{{var}}} is not a param or loaded entity here",
                           suggest(var, names, "params and entities"))
            elif column and var in entities and column not in self.tables[entities[var]].columns:
                self.error(at, f"message placeholder {match.group(0)}: {entities[var]} has no column {column!r}",
                           suggest(column, self.tables[entities[var]].columns, "columns"))

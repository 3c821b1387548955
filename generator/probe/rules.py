"""Preconditions evaluated the way the generated code evaluates them, on a database plus setup.

`resolve` gives a spec value its meaning for one call (the clock with its offset, a param, a
loaded row's column), `holds` tells whether one check passes, and `RowFinder` fetches what the
tool would see beyond its own loads: rows one foreign key further and rows that clash with a
uniqueness rule, with setup overrides (`(table, key) -> {column: value}`) applied.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from generator.compile.ir import CheckIR, DomainIR, ToolIR
from generator.compile.names import clock_value, path_var, shift

OPS = {
    "in": lambda a, v: a in v,
    "not_in": lambda a, v: a not in v,
    "eq": lambda a, v: a == v,
    "ne": lambda a, v: a != v,
    "gt": lambda a, v: a is not None and v is not None and a > v,
    "gte": lambda a, v: a is not None and v is not None and a >= v,
    "lt": lambda a, v: a is not None and v is not None and a < v,
    "lte": lambda a, v: a is not None and v is not None and a <= v,
}

Overrides = dict[tuple[str, str], dict[str, Any]]


def resolve(value: Any, args: dict[str, Any], entities: dict[str, Any]) -> Any:
    """A spec value for this call: `$now - 60 days`, `$param`, `$entity.column`, `$slot.provider.x`, a literal."""
    if isinstance(value, (list, tuple)):
        return tuple(resolve(v, args, entities) for v in value)
    moment = clock_value(value, entities.get("$now", ""))
    if moment is not None:
        return moment
    if isinstance(value, str) and value.startswith("$"):
        path, _, column = value[1:].rpartition(".")
        return (entities.get(path_var(path)) or {}).get(column) if path else args.get(column)
    return value


def absent_param(value: Any, args: dict[str, Any]) -> bool:
    """`$param` naming an optional argument not given: the generated code skips the rule."""
    return isinstance(value, str) and value.startswith("$") and "." not in value \
        and clock_value(value, "2000-01-01T00:00:00") is None and args.get(value[1:]) is None


def holds(check: CheckIR, args: dict[str, Any], entities: dict[str, Any]) -> bool:
    if check.kind == "unique":
        return entities.get(check.entity) is None
    if absent_param(check.value, args):
        return True
    subject = args.get(check.param) if check.kind == "param" else (entities.get(check.entity) or {}).get(check.column)
    if check.kind == "param" and subject is None or check.kind == "column" and entities.get(check.entity) is None:
        return True
    return OPS[check.op](subject, resolve(check.value, args, entities))


def step(value: Any, up: bool, integer: bool = False) -> Any:
    """The next value above (or below) `value`: a number by one step, a date or datetime by a day."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        amount = 1 if integer or isinstance(value, int) else 0.01
        return value + amount if up else value - amount
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        return shift(value, days=1 if up else -1)
    return None


def matches(row: dict[str, Any], where: dict[str, Any]) -> bool:
    return all(row.get(c) in v if isinstance(v, tuple) else row.get(c) == v for c, v in where.items())


class RowFinder:
    """Rows a tool reads beyond its loads, as the generated code would find them."""

    def __init__(self, ir: DomainIR, conn: sqlite3.Connection):
        self.ir = ir
        self.conn = conn

    def row(self, table: str, column: str, value: Any, overrides: Overrides) -> dict[str, Any] | None:
        found = self.conn.execute(f"SELECT * FROM {table} WHERE {column} = ?", (value,)).fetchone()
        if found is None:
            return None
        found = dict(found)
        found.update(overrides.get((table, str(found[self.ir.table(table).primary_key])), {}))
        return found

    def beyond(self, tool: ToolIR, args: dict[str, Any], found: dict[str, Any], overrides: Overrides) -> None:
        """Add the hops and the rows clashing with each uniqueness rule to `found` (the loaded rows)."""
        for hop in tool.hops:
            source = found.get(hop.source)
            key = source.get(hop.fk) if source else None
            found[hop.entity] = None if key is None else self.row(hop.table, hop.column, key, overrides)
        for check in tool.checks + tool.policy_checks:
            if check.kind == "unique":
                found[check.entity] = self.clash(check, args, found, overrides)

    def where(self, check: CheckIR, args: dict[str, Any], found: dict[str, Any]) -> dict[str, Any]:
        return {c: resolve(v, args, found) for c, v in check.where}

    def clash(self, check: CheckIR, args: dict[str, Any], found: dict[str, Any],
              overrides: Overrides) -> dict[str, Any] | None:
        """The first row of the rule's table that matches its `where` (other than the tool's own row)."""
        table = self.ir.table(check.table)
        where = self.where(check, args, found)
        if any(v is None for v in where.values()):
            return None  # `col = NULL` matches nothing, in the generated query too
        terms = [f"{c} IN ({', '.join('?' for _ in v)})" if isinstance(v, tuple) else f"{c} = ?" for c, v in where.items()]
        params = [x for v in where.values() for x in (v if isinstance(v, tuple) else (v,))]
        rows = [dict(r) for r in self.conn.execute(
            f"SELECT * FROM {table.name} WHERE {' AND '.join(terms)} ORDER BY {table.primary_key}", params)]
        changed = [r for key in sorted(k for t, k in overrides if t == table.name)
                   if (r := self.row(table.name, table.primary_key, key, {})) is not None]
        own = args.get(check.exclude[1]) if check.exclude else None
        for row in rows + changed:
            row = dict(row, **overrides.get((table.name, str(row[table.primary_key])), {}))
            if matches(row, where) and (own is None or str(row[table.primary_key]) != str(own)):
                return row
        return None

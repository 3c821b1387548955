"""Case planning: from the IR and the seed database, the calls that exercise each tool.

A valid call (with setup SQL that makes every precondition hold), each missing entity, each
precondition broken on its own, a wrong state, and the spec's own tests.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from generator.compile.ir import CheckIR, DomainIR, LoadIR, ParamIR, TableIR, ToolIR
from generator.probe.fit import RuleFit
from generator.probe.rules import RowFinder, holds, resolve, step

__all__ = ["Case", "Planner", "holds", "resolve", "target_load"]

MISSING = "ZZ-missing-0000"


@dataclass
class Case:
    tool: str
    name: str
    args: dict[str, Any]
    setup: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    error: str | None = None  # expected error code; None means success expected
    changes: dict[str, dict[str, int]] | None = None  # expected diff counts; None: derive from kind
    rows: list[Any] = field(default_factory=list)  # ExpectRow checks after the call
    result: dict[str, Any] = field(default_factory=dict)


def target_load(tool: ToolIR) -> LoadIR | None:
    """The entity a tool acts on: its key param's row, else its first required load."""
    return next((ld for ld in tool.loads if ld.param == tool.key), None) or next(
        (ld for ld in tool.loads if ld.required), None)


class Planner(RuleFit):
    """Derives cases for one tool from the IR and the seed database."""

    def __init__(self, ir: DomainIR, conn: sqlite3.Connection):
        self.ir = ir
        self.conn = conn
        self.conn.row_factory = sqlite3.Row
        self.now = conn.execute("SELECT value FROM _env WHERE key = 'now'").fetchone()[0]
        self.finder = RowFinder(ir, conn)

    def rows(self, table: TableIR, limit: int = 200) -> list[dict[str, Any]]:
        cur = self.conn.execute(f"SELECT * FROM {table.name} ORDER BY {', '.join(table.key)} LIMIT {limit}")
        return [dict(r) for r in cur]

    def entities(self, tool: ToolIR, args: dict[str, Any], overrides: dict[tuple[str, str], dict]) -> dict[str, dict]:
        """The rows the tool would load for these args, with setup overrides applied (plus the clock)."""
        found: dict[str, Any] = {"$now": self.now}
        for ld in tool.loads:
            if any(args.get(p) is None for p in ld.params):
                continue
            row = self.conn.execute(ld.sql, tuple(args[p] for p in ld.params)).fetchone()
            if row is not None:
                row = dict(row)
                row.update(overrides.get((ld.table, self.key_text(ld.table, row)), {}))
            found[ld.entity] = row
        self.finder.beyond(tool, args, found, overrides)
        return found

    def scalar(self, p: ParamIR, witness: dict[str, Any] | None) -> Any:
        if p.example is not None:
            return p.example
        if p.default is not None:
            return p.default
        if p.enum:
            return p.enum[0]
        if witness is not None and p.column and p.column in witness:
            return witness[p.column]
        return None

    def base_args(self, tool: ToolIR) -> tuple[dict[str, Any], dict[tuple[str, str], dict], dict | None]:
        """A call whose loads all succeed, preferring seed rows that satisfy every precondition."""
        # a list tool's witness is a row of its own table, filters come from it
        key_load = next((ld for ld in tool.loads if ld.param == tool.key), None) if tool.kind == "list" \
            else target_load(tool)
        table = self.ir.table(tool.table) if tool.table else None
        candidates: list[dict[str, Any] | None]
        if key_load is not None:
            candidates = self.rows(self.ir.table(key_load.table))
        elif tool.kind == "list" and table is not None:
            candidates = self.rows(table)
        else:
            candidates = [None]
        best = None
        for row in candidates or [None]:
            derived = self.derive(tool, key_load, row)
            # distinct rows first, so rules on each of them can be broken on their own
            for args in (self.distinct(tool, derived), derived):
                overrides: dict[tuple[str, str], dict] = {}
                entities = self.entities(tool, args, overrides)
                if self.valid(tool, args, entities):
                    return args, overrides, row
                best = best or (args, row)
        args, row = best
        overrides = self.force(tool, args)
        return args, overrides, row

    def derive(self, tool: ToolIR, key_load: Any, row: dict[str, Any] | None) -> dict[str, Any]:
        args: dict[str, Any] = {}
        if key_load is not None and row is not None:
            args.update({p: row[c] for p, c in zip(key_load.params, key_load.columns, strict=True)})
        entity_rows = {key_load.entity: row} if key_load is not None and row is not None else {}
        for p in tool.params:
            if p.name in args:
                continue
            if p.ref:
                value = None
                for c in tool.checks:
                    if c.op == "eq" and c.value == f"${p.name}" and c.entity in entity_rows:
                        value = entity_rows[c.entity][c.column]
                if value is None and row is not None:
                    source = self.ir.table(key_load.table) if key_load else self.ir.table(tool.table)
                    for col in source.columns:
                        if col.references == p.ref or col.name == p.name:
                            value = row.get(col.name)
                            break
                if value is None and p.required:
                    first = self.rows(self.ir.table(p.ref[0]), limit=1)
                    value = first[0][p.ref[1]] if first else MISSING
                if value is not None:
                    args[p.name] = value
            elif tool.kind == "list" and p.column and row is not None:
                value = row.get(p.column)
                if p.filter == "like" and isinstance(value, str):
                    value = value[: max(3, len(value) // 2)]
                if value is not None:
                    args[p.name] = value
            else:
                value = self.scalar(p, row if tool.kind != "update" else None)
                if value is not None:
                    args[p.name] = value
        return self.fit(tool, args)

    def distinct(self, tool: ToolIR, args: dict[str, Any]) -> dict[str, Any]:
        """`args` with params that name the same row of a table moved to rows of their own."""
        out = dict(args)
        taken: dict[str, set[Any]] = {}
        for p in tool.params:
            if not p.ref or p.name not in out or self.ir.table(p.ref[0]).composite:
                continue  # the parts of a composite key name one row together
            used = taken.setdefault(p.ref[0], set())
            if out[p.name] in used:
                rows = self.rows(self.ir.table(p.ref[0]), limit=len(used) + 1)
                free = [r[p.ref[1]] for r in rows if r[p.ref[1]] not in used]
                if free:
                    out[p.name] = free[0]
            used.add(out[p.name])
        return out

    def valid(self, tool: ToolIR, args: dict[str, Any], entities: dict[str, dict]) -> bool:
        if any(ld.required and entities.get(ld.entity) is None for ld in tool.loads):
            return False
        if tool.kind == "transition":
            key = next(ld for ld in tool.loads if ld.param == tool.key)
            status = self.ir.table(tool.table).status_column
            if entities[key.entity][status] not in tool.from_states:
                return False
        return all(holds(c, args, entities) for c in tool.checks)

    def force(self, tool: ToolIR, args: dict[str, Any]) -> dict[tuple[str, str], dict]:
        """Setup overrides that make every precondition hold for `args`."""
        overrides: dict[tuple[str, str], dict] = {}
        if tool.kind == "transition" and tool.from_states:
            status = self.ir.table(tool.table).status_column
            overrides[(tool.table, self.override_key(tool, args))] = {status: tool.from_states[0]}
        for c in tool.checks:
            entities = self.entities(tool, args, overrides)
            if c.kind == "unique":
                self.loosen(c, tool, args, overrides)
                continue
            if c.kind == "param" or holds(c, args, entities) or entities.get(c.entity) is None:
                continue  # a rule on an argument is met by `fit`, not by the database
            if c.column in self.ir.table(c.table).key:
                continue  # a key is never rewritten (see `cases`)
            value = resolve(c.value, args, entities)
            if c.op == "in":
                wanted = value[0] if isinstance(value, (list, tuple)) else value
            elif c.op in ("not_in", "ne"):
                wanted = self.other_value(c, value)
            elif c.op in ("gt", "lt"):
                wanted = step(value, up=c.op == "gt")
            else:
                wanted = value  # eq, gte, lte
            if wanted is None:
                continue
            pk = self.key_text(c.table, entities[c.entity])
            overrides.setdefault((c.table, pk), {})[c.column] = wanted
        return overrides

    def other_value(self, c: CheckIR, banned: Any) -> Any:
        """A value of the check's column outside `banned` (an enum member or a referenced key)."""
        column = self.ir.table(c.table).column(c.column)
        banned = set(banned) if isinstance(banned, (list, tuple)) else {banned}  # ne: one value
        if column.type == "boolean":
            return next((v for v in (0, 1) if v not in banned), None)
        if column.enum:
            return next((v for v in column.enum if v not in banned), None)
        if column.references:
            for row in self.rows(self.ir.table(column.references[0]), limit=5):
                if row[column.references[1]] not in banned:
                    return row[column.references[1]]
        return None

    def violation(self, c: CheckIR, args: dict[str, Any], entities: dict[str, dict]) -> Any:
        """A value for the entity's column that breaks the precondition, or None."""
        table = self.ir.table(c.table)
        column = table.column(c.column)
        value = resolve(c.value, args, entities)
        current = entities[c.entity][c.column]
        if c.op in ("in", "eq", "not_in", "ne"):
            banned = set(value) if isinstance(value, (list, tuple)) and c.op in ("in", "eq") else {value}
            if c.op in ("not_in", "ne"):
                return value[0] if isinstance(value, (list, tuple)) else value
            if column.type == "boolean":  # stored as 0/1 under a CHECK: the other one of the two
                return next((v for v in (0, 1) if v not in banned), None)
            if column.enum:
                return next((v for v in column.enum if v not in banned), None)
            if column.references:
                ref_table = self.ir.table(column.references[0])
                for row in self.rows(ref_table, limit=5):
                    if row[column.references[1]] not in banned:
                        return row[column.references[1]]
                return None
            if isinstance(current, (int, float)):
                return current + 1 if current + 1 not in banned else current + 2
            return f"{current}-other"
        if c.op in ("gt", "lt"):
            return value if step(value, up=True) is not None else None
        return step(value, up=c.op == "lte", integer=column.type == "integer")

    def key_violation(self, c: CheckIR, args: dict[str, Any], entities: dict[str, dict]) -> dict[str, Any] | None:
        """A call breaking `key ne $param` by passing the entity's own key as the param, or None."""
        ref = c.value[1:] if isinstance(c.value, str) and c.value.startswith("$") else ""
        if c.op != "ne" or ref not in args:
            return None
        return dict(args, **{ref: entities[c.entity][c.column]})

    def cases(self, tool: ToolIR) -> list[Case]:
        args, overrides, witness = self.base_args(tool)
        setup = self.setup_sql(overrides)
        cases = []
        if tool.kind != "custom" or tool.read_only:
            cases.append(Case(tool.name, "valid call", dict(args), list(setup)))
        for ld in tool.loads:
            if ld.param not in args and ld.required:
                continue
            if len(ld.params) > 1:
                cases.append(Case(tool.name, f"missing {', '.join(ld.params)}", self.absent(ld, args), list(setup),
                                  error=ld.error))
                continue
            current = args.get(ld.param, MISSING)
            bad = dict(args, **{ld.param: MISSING if isinstance(current, str) else -999999})
            cases.append(Case(tool.name, f"missing {ld.param}", bad, list(setup), error=ld.error))
        if tool.kind == "transition" and tool.state_error:
            table = self.ir.table(tool.table)
            others = [s for s in table.column(table.status_column).enum or () if s not in tool.from_states]
            if others:
                more = {**overrides, (tool.table, self.override_key(tool, args)): {table.status_column: others[0]}}
                cases.append(Case(tool.name, f"{table.status_column} {others[0]}", dict(args), self.setup_sql(more),
                                  error=tool.state_error))
        fields = [p for p in tool.params if p.column and p.name not in tool.keys]  # what an update changes
        if tool.kind == "update" and not any(p.required for p in fields):
            kept = {k: v for k, v in args.items() if k not in {p.name for p in fields}}
            cases.append(Case(tool.name, "nothing to update", kept, list(setup), error="nothing_to_update"))
        for i, c in enumerate(tool.checks):
            entities = self.entities(tool, args, overrides)
            if c.kind == "column" and entities.get(c.entity) is None:
                continue
            more = {k: dict(v) for k, v in overrides.items()}
            key = self.ir.table(c.table).key if c.table else ()
            if c.kind == "param":
                call = self.param_violation(c, args, entities, tool)
                if call is None:
                    continue
            elif c.kind == "unique":
                call, more = dict(args), self.unique_violation(c, tool, args, entities, more)
                if more is None:
                    continue
            elif c.column in key:
                # rewriting a key breaks its uniqueness and the rows that reference it: change the call instead
                call = self.key_violation(c, args, entities)
                if call is None:
                    continue
            else:
                bad = self.violation(c, args, entities)
                if bad is None:
                    continue
                call = dict(args)
                more.setdefault((c.table, self.key_text(c.table, entities[c.entity])), {})[c.column] = bad
            after = self.entities(tool, call, more)
            if any(ld.required and after.get(ld.entity) is None for ld in tool.loads):
                continue
            first = next((x for x in tool.checks if not holds(x, call, after)), None)
            if first is None or first is not c:
                continue  # breaking this check trips an earlier one first: no clean case
            cases.append(Case(tool.name, f"check {i + 1} ({c.error})", call, self.setup_sql(more), error=c.error))
        for t in tool.tests:
            cases.append(
                Case(
                    tool.name,
                    t.name,
                    dict(t.args),
                    [(sql, ()) for sql in t.setup],
                    error=t.expect.error,
                    changes=t.expect.changes if t.expect.changes is not None else ({} if t.expect.error else None),
                    rows=list(t.expect.rows),
                    result=dict(t.expect.result),
                )
            )
        return cases

    def absent(self, ld: LoadIR, args: dict[str, Any]) -> dict[str, Any]:
        """`args` naming no row by a composite key: one part changed to a value other rows have (a
        state the provider holds no license in), so each part is valid alone and only the pair is
        missing; else a made-up value."""
        table = self.ir.table(ld.table)
        if any(p not in args for p in ld.params):  # optional parts not given: start from a row's key
            first = self.rows(table, limit=1)
            args = {**{p: first[0][c] for p, c in zip(ld.params, ld.columns, strict=True)}, **args} if first else args
        found = "SELECT 1 FROM " + ld.table + " WHERE " + table.key_where()
        for param, column in reversed(list(zip(ld.params, ld.columns, strict=True))):
            values = [r[0] for r in self.conn.execute(f"SELECT DISTINCT {column} FROM {ld.table} ORDER BY {column}")]
            for value in list(table.column(column).enum or ()) + values:
                call = dict(args, **{param: value})
                if self.conn.execute(found, tuple(call.get(p) for p in ld.params)).fetchone() is None:
                    return call
        current = args.get(ld.param, MISSING)
        return dict(args, **{ld.param: MISSING if isinstance(current, str) else -999999})

    def key_text(self, table: str, row: dict[str, Any]) -> str:
        """How overrides name a row: its key as text (a composite key's parts joined by a tab)."""
        return "\t".join(str(row[c]) for c in self.ir.table(table).key)

    def override_key(self, tool: ToolIR, args: dict[str, Any]) -> str:
        """The override key of the row a keyed tool names by its args."""
        return "\t".join(str(args[k]) for k in tool.keys)

    def setup_sql(self, overrides: dict[tuple[str, str], dict]) -> list[tuple[str, tuple[Any, ...]]]:
        out = []
        for (table, pk), values in sorted(overrides.items()):
            t = self.ir.table(table)
            assignments = ", ".join(f"{c} = ?" for c in values)
            out.append((f"UPDATE {table} SET {assignments} WHERE {t.key_where()}", (*values.values(), *pk.split("\t"))))
        return out


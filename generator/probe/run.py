"""Procedural testing: the paper's Test Agent, done mechanically from the spec.

For every tool the probe derives cases from the IR (a valid call, each missing entity,
each declared precondition violated, bad transitions) and adds the spec's own test cases;
each runs through a real MCP client against the freshly generated server on its own copy
of the seed database, and is classified as
- success: no error, and the state change equals the expected diff (reads change nothing);
- anticipated rejection: the declared error was raised and the database is untouched;
- unexpected failure: anything else.
The expectations come from the spec's semantics and the probe's own evaluation of the
preconditions, never from the generated code.
"""

from __future__ import annotations

import importlib
import re
import sqlite3
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

from generator.compile.build import Build, compile_domain, write
from generator.compile.ir import CheckIR, DomainIR, ParamIR, TableIR, ToolIR
from generator.probe.replayer import Replayer

MISSING = "ZZ-missing-0000"
SUCCESS, REJECTION, UNEXPECTED = "success", "anticipated rejection", "unexpected failure"


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


@dataclass
class Outcome:
    case: Case
    verdict: str
    detail: str = ""


@dataclass
class Report:
    domain: str
    tools: list[str]
    outcomes: list[Outcome]
    warnings: list[str]

    @property
    def unexpected(self) -> int:
        return sum(o.verdict == UNEXPECTED for o in self.outcomes)

    def by_tool(self) -> dict[str, dict[str, int]]:
        table = {t: {SUCCESS: 0, REJECTION: 0, UNEXPECTED: 0} for t in self.tools}
        for o in self.outcomes:
            table[o.case.tool][o.verdict] += 1
        return table


# --- database helpers (plain sqlite3: the probe's view is independent of the server's) ---


def snapshot(conn: sqlite3.Connection, ir: DomainIR) -> dict[str, dict[Any, dict[str, Any]]]:
    state = {}
    for t in ir.tables:
        cur = conn.execute(f"SELECT * FROM {t.name}")
        names = [d[0] for d in cur.description]
        state[t.name] = {row[names.index(t.primary_key)]: dict(zip(names, row, strict=True)) for row in cur}
    return state


def diff(before: dict, after: dict) -> dict[str, dict[str, Any]]:
    """Per table: inserted, deleted and updated keys (updated with the changed columns)."""
    out: dict[str, dict[str, Any]] = {}
    for table in before:
        a, b = before[table], after[table]
        inserted = sorted(set(b) - set(a), key=str)
        deleted = sorted(set(a) - set(b), key=str)
        updated = {k: sorted(c for c in b[k] if b[k][c] != a[k][c]) for k in set(a) & set(b) if a[k] != b[k]}
        if inserted or deleted or updated:
            out[table] = {"insert": inserted, "delete": deleted, "update": updated}
    return out


def counts(d: dict[str, dict[str, Any]]) -> dict[str, dict[str, int]]:
    return {
        table: {op: len(items) for op, items in ops.items() if items} for table, ops in sorted(d.items())
    }


# --- evaluating preconditions the way the spec states them ---

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


def resolve(value: Any, args: dict[str, Any], entities: dict[str, dict]) -> Any:
    if isinstance(value, str) and value.startswith("$"):
        ref = value[1:]
        if ref in ("now", "today"):
            now = entities.get("$now", "")
            return now if ref == "now" else now[:10]
        if "." in ref:
            entity, column = ref.split(".", 1)
            return (entities.get(entity) or {}).get(column)
        return args.get(ref)
    return value


def holds(check: CheckIR, args: dict[str, Any], entities: dict[str, dict]) -> bool:
    row = entities.get(check.entity)
    if row is None:
        return True
    return OPS[check.op](row.get(check.column), resolve(check.value, args, entities))


class Planner:
    """Derives cases for one tool from the IR and the seed database."""

    def __init__(self, ir: DomainIR, conn: sqlite3.Connection):
        self.ir = ir
        self.conn = conn
        self.conn.row_factory = sqlite3.Row
        self.now = conn.execute("SELECT value FROM _env WHERE key = 'now'").fetchone()[0]

    def rows(self, table: TableIR, limit: int = 200) -> list[dict[str, Any]]:
        cur = self.conn.execute(f"SELECT * FROM {table.name} ORDER BY {table.primary_key} LIMIT {limit}")
        return [dict(r) for r in cur]

    def entities(self, tool: ToolIR, args: dict[str, Any], overrides: dict[tuple[str, str], dict]) -> dict[str, dict]:
        """The rows the tool would load for these args, with setup overrides applied (plus the clock)."""
        found: dict[str, Any] = {"$now": self.now}
        for ld in tool.loads:
            if args.get(ld.param) is None:
                continue
            row = self.conn.execute(f"SELECT * FROM {ld.table} WHERE {ld.column} = ?", (args[ld.param],)).fetchone()
            if row is not None:
                row = dict(row)
                row.update(overrides.get((ld.table, str(row[self.ir.table(ld.table).primary_key])), {}))
            found[ld.entity] = row
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
        key_load = next((ld for ld in tool.loads if ld.param == tool.key), None)
        if tool.kind != "list":  # a list tool's witness is a row of its own table, filters come from it
            key_load = key_load or next((ld for ld in tool.loads if ld.required), None)
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
            args = self.derive(tool, key_load, row)
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
            args[key_load.param] = row[key_load.column]
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
        return args

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
            overrides[(tool.table, str(args[tool.key]))] = {status: tool.from_states[0]}
        for c in tool.checks:
            entities = self.entities(tool, args, overrides)
            if holds(c, args, entities) or entities.get(c.entity) is None:
                continue
            value = resolve(c.value, args, entities)
            if c.op == "in":
                wanted = value[0] if isinstance(value, (list, tuple)) else value
            elif c.op in ("not_in", "ne"):
                wanted = self.other_value(c, value)
            elif c.op in ("gt", "lt") and isinstance(value, (int, float)):
                wanted = value + 1 if c.op == "gt" else value - 1
            else:
                wanted = value  # eq, gte, lte
            if wanted is None:
                continue
            table = self.ir.table(c.table)
            pk = str(entities[c.entity][table.primary_key])
            overrides.setdefault((c.table, pk), {})[c.column] = wanted
        return overrides

    def other_value(self, c: CheckIR, banned: Any) -> Any:
        """A value of the check's column outside `banned` (an enum member or a referenced key)."""
        column = self.ir.table(c.table).column(c.column)
        banned = set(banned) if isinstance(banned, (list, tuple)) else {banned}  # ne: one value
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
        if not isinstance(value, (int, float)):
            return None
        step = 1 if isinstance(value, int) and column.type == "integer" else 0.01
        return {"gt": value, "gte": value - step, "lt": value, "lte": value + step}[c.op]

    def cases(self, tool: ToolIR) -> list[Case]:
        args, overrides, witness = self.base_args(tool)
        setup = self.setup_sql(overrides)
        cases = []
        if tool.kind != "custom" or tool.read_only:
            cases.append(Case(tool.name, "valid call", dict(args), list(setup)))
        for ld in tool.loads:
            if ld.param not in args and ld.required:
                continue
            current = args.get(ld.param, MISSING)
            bad = dict(args, **{ld.param: MISSING if isinstance(current, str) else -999999})
            cases.append(Case(tool.name, f"missing {ld.param}", bad, list(setup), error=ld.error))
        if tool.kind == "transition" and tool.state_error:
            table = self.ir.table(tool.table)
            others = [s for s in table.column(table.status_column).enum or () if s not in tool.from_states]
            if others:
                more = {**overrides, (tool.table, str(args[tool.key])): {table.status_column: others[0]}}
                cases.append(Case(tool.name, f"{table.status_column} {others[0]}", dict(args), self.setup_sql(more),
                                  error=tool.state_error))
        if tool.kind == "update":
            key_only = {tool.key: args[tool.key]}
            cases.append(Case(tool.name, "nothing to update", key_only, list(setup), error="nothing_to_update"))
        for i, c in enumerate(tool.checks):
            entities = self.entities(tool, args, overrides)
            if entities.get(c.entity) is None:
                continue
            bad = self.violation(c, args, entities)
            if bad is None:
                continue
            pk = str(entities[c.entity][self.ir.table(c.table).primary_key])
            more = {k: dict(v) for k, v in overrides.items()}
            more.setdefault((c.table, pk), {})[c.column] = bad
            after = self.entities(tool, args, more)
            first = next((x for x in tool.checks if not holds(x, args, after)), None)
            if first is None or first is not c:
                continue  # breaking this check trips an earlier one first: no clean case
            cases.append(Case(tool.name, f"check {i + 1} ({c.error})", dict(args), self.setup_sql(more), error=c.error))
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

    def setup_sql(self, overrides: dict[tuple[str, str], dict]) -> list[tuple[str, tuple[Any, ...]]]:
        out = []
        for (table, pk), values in sorted(overrides.items()):
            t = self.ir.table(table)
            assignments = ", ".join(f"{c} = ?" for c in values)
            out.append((f"UPDATE {table} SET {assignments} WHERE {t.primary_key} = ?", (*values.values(), pk)))
        return out


# --- running cases against the generated server ---


def expected_changes(ir: DomainIR, tool: ToolIR, case: Case) -> dict[str, dict[str, int]]:
    if case.error is not None:
        return {}
    if case.changes is not None:
        return {t: {op: n for op, n in ops.items() if n} for t, ops in sorted(case.changes.items()) if any(ops.values())}
    op = {"create": "insert", "update": "update", "transition": "update", "delete": "delete"}.get(tool.kind)
    return {tool.table: {op: 1}} if op else {}


def check_values(ir: DomainIR, tool: ToolIR, case: Case, changes: dict, after: dict, now: str) -> str:
    """Column-level expectations for declarative writes; empty string when they hold."""
    if case.error is not None or tool.kind not in ("create", "update", "transition"):
        return ""
    entry = changes.get(tool.table, {})
    key = entry["insert"][0] if tool.kind == "create" else case.args.get(tool.key)
    row = after[tool.table].get(key)
    if row is None:
        return f"row {key!r} not found in {tool.table} after the call"
    expected = {p.column: case.args[p.name] for p in tool.params if p.column and p.name in case.args}
    for column, value in tool.set_spec.items():
        if value == "$now":
            expected[column] = now
        elif value == "$today":
            expected[column] = now[:10]
        elif isinstance(value, str) and value.startswith("$") and "." not in value:
            expected[column] = case.args.get(value[1:])
        elif not (isinstance(value, str) and value.startswith("$")):
            expected[column] = value
    if tool.kind == "transition":
        expected[ir.table(tool.table).status_column] = tool.to_state
    wrong = {c: (row.get(c), v) for c, v in expected.items() if row.get(c) != v and not _close(row.get(c), v)}
    return f"columns differ (got, expected): {wrong}" if wrong else ""


def _close(a: Any, b: Any) -> bool:
    return isinstance(a, (int, float)) and isinstance(b, (int, float)) and abs(a - b) < 1e-9


def check_rows(conn: sqlite3.Connection, case: Case) -> str:
    for expect in case.rows:
        where = " AND ".join(f"{c} = ?" for c in expect.where)
        cur = conn.execute(f"SELECT * FROM {expect.table} WHERE {where}", tuple(expect.where.values()))
        names = [d[0] for d in cur.description]
        row = cur.fetchone()
        if row is None:
            return f"no {expect.table} row where {expect.where}"
        got = dict(zip(names, row, strict=True))
        wrong = {c: (got.get(c), v) for c, v in expect.values.items() if got.get(c) != v and not _close(got.get(c), v)}
        if wrong:
            return f"{expect.table} {expect.where}: values differ (got, expected): {wrong}"
    return ""


def load_package(build: Build, root: Path) -> Any:
    """Write the build into `root` under a private package name and import it."""
    name = f"probe_{build.ir.name}"
    write(build.files, root / name)
    sys.path.insert(0, str(root))
    try:
        for mod in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[mod]
        return importlib.import_module(f"{name}.server"), importlib.import_module(f"{name}.runtime")
    finally:
        sys.path.remove(str(root))


async def run_cases(build: Build, cases: list[Case], server_mod: Any, runtime: Any) -> list[Outcome]:
    """Run each case in one MCP session whose store is reset to the case's own database."""
    ir = build.ir
    outcomes = []
    patterns = {e.code: re.compile(e.pattern, re.DOTALL) for e in ir.errors}
    async with Replayer(server_mod, runtime) as replayer:
        for case in cases:
            tool = ir.tool(case.tool)
            conn = runtime.memory_copy(replayer.image)
            try:
                for sql, params in case.setup:
                    conn.execute(sql, params)
            except sqlite3.Error as exc:
                outcomes.append(Outcome(case, UNEXPECTED, f"setup failed: {exc}"))
                continue
            before = snapshot(conn, ir)
            now = conn.execute("SELECT value FROM _env WHERE key = 'now'").fetchone()[0]
            image = conn.serialize()
            conn.close()
            await replayer.store.load(image)
            result = await replayer.client.call_tool(case.tool, case.args)
            end = await replayer.store.snapshot()
            after = snapshot(end, ir)
            text = " ".join(getattr(c, "text", "") for c in result.content)
            outcomes.append(classify(ir, tool, case, result, text, diff(before, after), after, now, end, patterns))
            end.close()
    return outcomes


def classify(ir, tool, case, result, text, changes, after, now, conn, patterns) -> Outcome:  # noqa: ANN001
    got = counts(changes)
    if case.error is not None:
        if not result.is_error:
            return Outcome(case, UNEXPECTED, f"expected rejection {case.error}, but the call succeeded")
        message = text.split(": ", 1)[1] if text.startswith("Error executing tool") else text
        pattern = patterns.get(case.error)
        if pattern is None or not pattern.fullmatch(message):
            return Outcome(case, UNEXPECTED, f"expected {case.error}, got: {message}")
        if got:
            return Outcome(case, UNEXPECTED, f"rejected, but the database changed: {got}")
        return Outcome(case, REJECTION, case.error)
    if result.is_error:
        return Outcome(case, UNEXPECTED, f"expected success, got error: {text}")
    want = expected_changes(ir, tool, case)
    if got != want:
        return Outcome(case, UNEXPECTED, f"state change {got} != expected {want}")
    undeclared = sorted(set(got) - set(tool.writes))
    if undeclared:
        return Outcome(case, UNEXPECTED, f"wrote undeclared tables {undeclared}")
    problem = check_values(ir, tool, case, changes, after, now) or check_rows(conn, case)
    if not problem and case.result:
        data = result.structured_content or {}
        wrong = {k: (data.get(k), v) for k, v in case.result.items() if data.get(k) != v and not _close(data.get(k), v)}
        problem = f"result differs (got, expected): {wrong}" if wrong else ""
    return Outcome(case, UNEXPECTED, problem) if problem else Outcome(case, SUCCESS)


def plan(build: Build, runtime: Any) -> tuple[list[Case], list[str]]:
    conn = runtime.memory_copy(runtime.seed_image())
    planner = Planner(build.ir, conn)
    cases, warnings = [], []
    for tool in build.ir.tools:
        found = planner.cases(tool)
        cases += found
        if not any(c.error is None for c in found):
            warnings.append(f"{tool.name}: no success case (add a test case to the spec)")
        triggered = {c.error for c in found}
        for code in tool.errors:
            if code not in triggered and code != "nothing_to_update":
                warnings.append(f"{tool.name}: error {code} is never triggered by a case")
    conn.close()
    return cases, warnings


def run_probe(domain: str | Path, build: Build | None = None) -> Report:
    """Build the domain into a scratch folder, run every case through an MCP client, report."""
    build = build or compile_domain(domain)
    with tempfile.TemporaryDirectory(prefix="probe-") as tmp:
        server_mod, runtime = load_package(build, Path(tmp))
        cases, warnings = plan(build, runtime)
        outcomes = anyio.run(run_cases, build, cases, server_mod, runtime)
    return Report(build.ir.name, [t.name for t in build.ir.tools], outcomes, warnings)


def print_report(report: Report, console: Any, verbose: bool = False) -> None:
    """The fidelity table, then the failures (and every case with verbose)."""
    from rich.table import Table

    table = Table(title=f"{report.domain}: procedural tests")
    for col in ("tool", SUCCESS, REJECTION, UNEXPECTED):
        table.add_column(col, justify="left" if col == "tool" else "right")
    for tool, row in report.by_tool().items():
        bad = row[UNEXPECTED]
        table.add_row(tool, str(row[SUCCESS]), str(row[REJECTION]), f"[red]{bad}[/]" if bad else "0")
    console.print(table)
    for o in report.outcomes:
        if verbose or o.verdict == UNEXPECTED:
            console.print(f"  {o.verdict}: {o.case.tool} / {o.case.name}: {o.detail}", markup=False)
    for w in report.warnings:
        console.print(f"  warning: {w}", markup=False)
    total = len(report.outcomes)
    ok = total - report.unexpected
    tools_ok = sum(1 for r in report.by_tool().values() if not r[UNEXPECTED])
    console.print(
        f"{report.domain}: {total} cases, {ok} as expected, {report.unexpected} unexpected; "
        f"{tools_ok}/{len(report.tools)} tools with no unexpected failure"
    )

"""Classification of one case's result against what the spec expects.

The database diff before and after the call is compared by counts per table, written
columns and expected rows; a rejection must raise the declared error and change nothing.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from generator.compile.ir import DomainIR, ToolIR
from generator.compile.names import clock_value
from generator.probe.plan import Case
from generator.probe.report import REJECTION, SUCCESS, UNEXPECTED, Outcome

# --- database helpers (plain sqlite3: the probe's view is independent of the server's) ---


def snapshot(conn: sqlite3.Connection, ir: DomainIR) -> dict[str, dict[Any, dict[str, Any]]]:
    state = {}
    for t in ir.tables:
        cur = conn.execute(f"SELECT * FROM {t.name}")
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, row, strict=True)) for row in cur]
        state[t.name] = {t.key_of(row): row for row in rows}  # a composite key names a row by a tuple
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


# --- what a case expects, and the verdict ---


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
    named = tuple(case.args.get(k) for k in tool.keys)
    key = entry["insert"][0] if tool.kind == "create" else (named if len(named) > 1 else case.args.get(tool.key))
    row = after[tool.table].get(key)
    if row is None:
        return f"row {key!r} not found in {tool.table} after the call"
    expected = {p.column: case.args[p.name] for p in tool.params if p.column and p.name in case.args}
    for column, value in tool.set_spec.items():
        if clock_value(value, now) is not None:
            expected[column] = clock_value(value, now)
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


def classify(ir, tool, case, result, text, changes, after, now, conn, patterns) -> Outcome:  # noqa: ANN001
    got = counts(changes)
    if case.error is not None:
        if not result.is_error:
            return Outcome(case, UNEXPECTED, f"expected rejection {case.error}, but the call succeeded")
        prefix, sep, message = text.partition(": ")
        if not sep or not prefix.startswith("Error executing tool"):
            message = text
        if message == f"Error executing tool {tool.name}":
            # The SDK hides a crash (any exception but ToolError) behind this bare text.
            return Outcome(case, UNEXPECTED, f"expected {case.error}, but the tool crashed: {message}")
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


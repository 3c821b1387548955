"""Checks of a scenario, derived from the gold run: SQL over the end state, and answer checks.

Every expectation is what its query returns on the gold end state (or, for guards, on the
initial state), compared as text so one Arrow type holds every `expect`.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from generator.compile.ir import DomainIR, TableIR
from generator.tasks.draft import Draft
from generator.tasks.environment import Environment
from generator.tasks.scenario import Check, Statement


def text_expr(table: TableIR, column: str) -> str:
    """A column as checks compare it, always as text (one Arrow type for every `expect`).

    Reals are rounded to cents; semantic (free-text) columns are trimmed and lower-cased.
    """
    c = table.column(column)
    if c.type == "real":
        return f"CAST(ROUND({column}, 2) AS TEXT)"
    if c.policy == "semantic":
        return f"lower(trim({column}))"
    if c.type in ("integer", "boolean"):
        return f"CAST({column} AS TEXT)"
    return column


def text(value: Any) -> str | None:
    """A value as checks and statements carry it; SQLite converts it back on comparison or insert."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return None if value is None else str(value)


def rows(conn: sqlite3.Connection, sql: str, params: dict[str, Any]) -> list[list[Any]]:
    return [list(r) for r in conn.execute(sql, params)]


def checked_columns(table: TableIR) -> list[str]:
    return [c.name for c in table.columns if c.policy != "exempt" and c.name != table.primary_key]


def insert_statement(table: TableIR, row: dict[str, Any]) -> Statement:
    cols = list(table.column_names)
    return Statement(sql=f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                     params=[text(row[c]) for c in cols])


def changed_keys(ir: DomainIR, before: sqlite3.Connection, after: sqlite3.Connection,
                 tables: set[str] | None = None) -> dict[str, set[Any]]:
    """Primary keys of rows that differ between two states, per table (only `tables` if given)."""
    out: dict[str, set[Any]] = {}
    for t in ir.tables:
        if tables is not None and t.name not in tables:
            continue
        a = {r[0]: r for r in before.execute(f"SELECT {t.primary_key}, * FROM {t.name}")}
        b = {r[0]: r for r in after.execute(f"SELECT {t.primary_key}, * FROM {t.name}")}
        keys = {k for k in set(a) | set(b) if a.get(k) != b.get(k)}
        if keys:
            out[t.name] = keys
    return out


def derive_checks(env: Environment, draft: Draft, before: sqlite3.Connection, after: sqlite3.Connection,
              touched: dict[str, set[Any]]) -> list[Check]:
    """SQL checks from the gold diff, collateral-damage guards, and answer checks.

    Every expectation is what the query returns on the gold end state (or, for guards,
    on the initial state), so a check can only disagree with gold if the state differs.
    """
    checks: list[Check] = []

    def add(sql: str, params: dict[str, Any], state: sqlite3.Connection, description: str) -> None:
        checks.append(Check(id=f"c{len(checks) + 1:02d}", sql=sql, params=params, expect=rows(state, sql, params),
                            description=description))

    for table in env.ir.tables:
        keys = sorted(touched.get(table.name, ()), key=str)
        if not keys:
            continue
        cols = checked_columns(table)
        select = ", ".join(text_expr(table, c) for c in cols)
        pk = table.primary_key
        existed = {r[0] for r in before.execute(f"SELECT {pk} FROM {table.name}")}
        for key in keys:
            where = {"key": text(key)}
            gone = after.execute(f"SELECT 1 FROM {table.name} WHERE {pk} = ?", (key,)).fetchone() is None
            if gone:
                add(f"SELECT CAST(COUNT(*) AS TEXT) FROM {table.name} WHERE {pk} = :key", where, after,
                    f"{table.name} {key} was removed")
            elif key in existed:
                add(f"SELECT {select} FROM {table.name} WHERE {pk} = :key", where, after,
                    f"{table.name} {key} has the expected values")
            else:
                # new rows have generated ids: match them by content, not by key
                values = after.execute(f"SELECT {select} FROM {table.name} WHERE {pk} = ?", (key,)).fetchone()
                conds = [f"{c} IS NULL" if v is None else f"{text_expr(table, c)} = :v{i}"
                         for i, (c, v) in enumerate(zip(cols, values, strict=True))]
                params = {f"v{i}": v for i, v in enumerate(values) if v is not None}
                add(f"SELECT CAST(COUNT(*) AS TEXT) FROM {table.name} WHERE {' AND '.join(conds)}", params, after,
                    f"a new {table.name} row as expected")
        add(f"SELECT CAST(COUNT(*) AS TEXT) FROM {table.name}", {}, after,
            f"{table.name} has no other new or removed rows")
        owner = env.owner_column(table)
        if owner is not None and owner != pk:
            names = ", ".join(f":k{i}" for i in range(len(keys)))
            params = {"owner": text(draft.actor[env.actor.primary_key]),
                      **{f"k{i}": text(k) for i, k in enumerate(keys)}}
            add(f"SELECT {pk}, {select} FROM {table.name} WHERE {owner} = :owner AND {pk} NOT IN ({names}) "
                f"ORDER BY {pk}", params, after, f"the user's other {table.name} are unchanged")
    # row counts of every other table the goals or the forbidden action may write
    written = {t for g in draft.goals for t in g.tool.writes}
    if draft.forbidden is not None:
        written |= set(env.ir.tool(draft.forbidden.tool).writes)
    for name in sorted(written - set(touched)):
        add(f"SELECT CAST(COUNT(*) AS TEXT) FROM {name}", {}, after, f"{name} has no new or removed rows")
    for table_name, key in draft.guards:
        table = env.ir.table(table_name)
        select = ", ".join(text_expr(table, c) for c in checked_columns(table))
        add(f"SELECT {select} FROM {table_name} WHERE {table.primary_key} = :key", {"key": text(key)}, before,
            f"{table_name} {key} is untouched")
    for _, column, value in draft.info:
        checks.append(Check(id=f"c{len(checks) + 1:02d}", kind="answer", expect=[[text(value)]],
                            description=f"the agent tells the user the {column.replace('_', ' ')}"))
    return checks

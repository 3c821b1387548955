"""Checks of a scenario, derived from the gold run: SQL over the end state, and answer checks.

Every expectation is what its query returns on the gold end state with the initial state
attached as `initial`, compared as text so one Arrow type holds every `expect`.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from generator.compile.ir import DomainIR, TableIR
from generator.compile.names import singular, words
from generator.judge import normalize
from generator.tasks.answers import DECLINE, accepted, rejected
from generator.tasks.draft import Draft, Dropped
from generator.tasks.environment import story_of
from generator.tasks.scenario import Check, Statement, initial_attached

NEW = "(new)"  # the key of a row the episode added, which checks match by content
KEPT, WRITTEN = "(kept)", "(written)"  # a composed text as whole-state checks see it: its words are a `text` check's


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
    return [c.name for c in table.columns if c.policy != "exempt" and c.name not in table.key]


def insert_statement(table: TableIR, row: dict[str, Any]) -> Statement:
    cols = list(table.column_names)
    return Statement(sql=f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                     params=[text(row[c]) for c in cols])


def changed_keys(ir: DomainIR, before: sqlite3.Connection, after: sqlite3.Connection,
                 tables: set[str] | None = None) -> dict[str, set[Any]]:
    """Primary keys of rows that differ between two states on the compared (non-exempt) columns,
    per table (only `tables` if given)."""
    out: dict[str, set[Any]] = {}
    for t in ir.tables:
        if tables is not None and t.name not in tables:
            continue
        select, n = ", ".join([*t.key, *checked_columns(t)]), len(t.key)
        a = {r[:n] if n > 1 else r[0]: r for r in before.execute(f"SELECT {select} FROM {t.name}")}
        b = {r[:n] if n > 1 else r[0]: r for r in after.execute(f"SELECT {select} FROM {t.name}")}
        keys = {k for k in set(a) | set(b) if a.get(k) != b.get(k)}
        if keys:
            out[t.name] = keys
    return out


def state_sql(ir: DomainIR, table: TableIR) -> str:
    """The rows of `table` that differ between schema `initial` and `main`, on the compared columns.

    Rows present in both states are compared by key; rows the episode added are matched by
    content: a generated key (and a reference to another added row) reads `(new)`, so any
    valid order of independent creates gives the same rows. Multisets: `n` counts duplicates.
    A composed column reads `(kept)` or `(written)`: what it says is checked by its facts.
    """
    cols = checked_columns(table)
    same_row = " AND ".join(f"i.{c} = main.{table.name}.{c}" for c in table.key)

    def current(column: str) -> str:
        if table.column(column).policy == "composed":  # whether it was written; `text` checks read the words
            return (f"CASE WHEN {column} IS (SELECT i.{column} FROM initial.{table.name} AS i "
                    f"WHERE {same_row}) THEN '{KEPT}' ELSE '{WRITTEN}' END")
        ref = table.column(column).references
        if ref is None or not ir.table(ref[0]).id_format:
            return text_expr(table, column)
        return (f"CASE WHEN {column} IS NULL OR {column} IN (SELECT {ref[1]} FROM initial.{ref[0]}) "
                f"THEN {text_expr(table, column)} ELSE '{NEW}' END")

    # a composite key reads as one text too: ["D00001","CA"]
    key = f"CAST({table.key[0]} AS TEXT)" if len(table.key) == 1 else f"json_array({', '.join(table.key)})"
    new_key = f"'{NEW}'" if table.id_format else key

    def before(column: str) -> str:
        return f"'{KEPT}'" if table.column(column).policy == "composed" else text_expr(table, column)

    was = ", ".join([f"{key} AS row_key", *(f"{before(c)} AS {c}" for c in cols)])
    now = ", ".join([f"{key} AS row_key", *(f"{current(c)} AS {c}" for c in cols)])
    new = ", ".join([f"{new_key} AS row_key", *(f"{current(c)} AS {c}" for c in cols)])
    old = f"SELECT {', '.join(table.key)} FROM initial.{table.name}"
    pk = table.key_sql()
    names = ", ".join(["change", "row_key", *cols])
    return (f"WITH was AS (SELECT {was} FROM initial.{table.name}), "
            f"now AS (SELECT {now} FROM main.{table.name} WHERE {pk} IN ({old})), "
            f"new AS (SELECT {new} FROM main.{table.name} WHERE {pk} NOT IN ({old})), "
            "diff AS (SELECT '-' AS change, * FROM (SELECT * FROM was EXCEPT SELECT * FROM now) "
            "UNION ALL SELECT '+', * FROM (SELECT * FROM now EXCEPT SELECT * FROM was) "
            "UNION ALL SELECT '+', * FROM new) "
            f"SELECT {names}, CAST(COUNT(*) AS TEXT) AS n FROM diff GROUP BY {names} ORDER BY {names}")


def derive_checks(ir: DomainIR, draft: Draft, after: sqlite3.Connection, initial: bytes) -> list[Check]:
    """One whole-state check per domain table, expecting exactly the gold's changes, then the
    answer checks of the information goals. `after` is the gold end state."""
    checks: list[Check] = []
    with initial_attached(after, initial):
        for table in ir.tables:
            sql = state_sql(ir, table)
            expect = rows(after, sql, {})
            description = (f"{table.name}: exactly the changes the task needs ({len(expect)} row(s))" if expect
                           else f"{table.name}: unchanged")
            checks.append(Check(id=f"c{len(checks) + 1:02d}", sql=sql, expect=expect, table=table.name,
                                description=description))
    checks += text_checks(ir, draft, after, initial, len(checks))
    for (table, column, value), rivals in zip(draft.info, draft.rivals, strict=True):
        c = ir.table(table).column(column)
        accept = accepted(text(value), c.type, c.enum)
        if not accept:
            raise Dropped(f"no way to say {table}.{column} = {value!r}")
        checks.append(Check(id=f"c{len(checks) + 1:02d}", kind="answer", expect=[[text(value)]], accept=accept,
                            reject=rejected(text(value), c.type, c.enum, [text(r) for r in rivals]),
                            description=f"the agent tells the user the {column.replace('_', ' ')}"))
    if draft.forbidden is not None:  # declining is also telling the user, not just doing nothing
        checks.append(Check(id=f"c{len(checks) + 1:02d}", kind="answer", expect=[["declined"]], accept=[DECLINE],
                            description=f"the agent tells the user it cannot do the {draft.forbidden.tool} request"))
    return checks


def text_checks(ir: DomainIR, draft: Draft, after: sqlite3.Connection, initial: bytes, n: int) -> list[Check]:
    """One `text` check per composed text the gold wrote: the row's text must carry the facts of
    the story the user told (found by the text the gold passed), or, without a story, the gold's
    own words."""
    told = {str(v).strip(): facts for goal in draft.goals if (story := story_of(goal.tool, goal.args))
            for param, facts in story.facts.items() if (v := story.args.get(param)) is not None}
    checks: list[Check] = []
    with initial_attached(after, initial):
        for table in ir.tables:
            pk, keys = table.key_sql(), ", ".join(table.key)
            mine = ", ".join(f"m.{c}" for c in table.key)
            for column in (c.name for c in table.columns if c.policy == "composed"):
                written = after.execute(
                    f"SELECT {mine}, m.{column}, i.{table.key[0]} IS NULL FROM "
                    f"main.{table.name} AS m LEFT JOIN initial.{table.name} AS i ON "
                    + " AND ".join(f"i.{c} = m.{c}" for c in table.key)
                    + f" WHERE m.{column} IS NOT NULL AND (i.{table.key[0]} IS NULL OR m.{column} IS NOT i.{column}) "
                    f"ORDER BY {mine}").fetchall()
                for *key, value, new in written:
                    facts = [[normalize(a) for a in group] for group in told.get(str(value).strip(), [])]
                    if new:  # an added row's key is whatever the episode generated
                        sql, params = (f"SELECT {column} FROM main.{table.name} WHERE {pk} NOT IN "
                                       f"(SELECT {keys} FROM initial.{table.name}) ORDER BY {keys}"), {}
                    elif len(table.key) == 1:
                        sql, params = f"SELECT {column} FROM main.{table.name} WHERE {pk} = :key", {"key": key[0]}
                    else:
                        where = " AND ".join(f"{c} = :key{i}" for i, c in enumerate(table.key))
                        sql, params = (f"SELECT {column} FROM main.{table.name} WHERE {where}",
                                       {f"key{i}": k for i, k in enumerate(key)})
                    checks.append(Check(
                        id=f"c{n + len(checks) + 1:02d}", kind="text", sql=sql, params=params, expect=[[value]],
                        accept=facts or [[normalize(str(value))]], table=table.name,
                        description=f"the {words(column)} written {'on the new' if new else 'on'} "
                                    f"{words(singular(table.name))} carries the facts the user gave"))
    return checks

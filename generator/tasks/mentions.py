"""How a user mentions a row: by its id when they hold one (an order number, a booking code),
else by what they know of it (the spec's `described_as`: "my Visa card ending in 4242").

A description must pick out one row among those the user could mean (their own rows of the
table, or every row of a table no one owns); an ambiguous one drops the candidate.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import date, datetime
from typing import Any

from generator.compile.ir import DomainIR, TableIR
from generator.compile.names import words
from generator.tasks.answers import MONTHS
from generator.tasks.draft import Dropped

FIELD = re.compile(r"\{(\w+)(?:\.(\w+))?\}")


def spoken(value: Any) -> str:
    """An argument value as a person says it: enum-like words without underscores, lists joined."""
    if isinstance(value, list):
        return "; ".join(spoken(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(spoken(v) for v in value.values())
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    return words(text) if re.fullmatch(r"[a-z]+(_[a-z]+)+", text) else text


def said(value: Any) -> str:
    """A stored value as a person says it: dates and times spelled, money without trailing zeros."""
    if isinstance(value, float):
        return f"{value:.2f}".removesuffix(".00")
    text = str(value)
    if re.fullmatch(r"\d{4}-\d\d-\d\d", text):
        day = date.fromisoformat(text)
        return f"{MONTHS[day.month - 1].title()} {day.day}, {day.year}"
    if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?", text):
        moment = datetime.fromisoformat(text)
        hour = moment.hour % 12 or 12
        return (f"{MONTHS[moment.month - 1].title()} {moment.day}, {moment.year} at {hour}:{moment.minute:02d} "
                f"{'AM' if moment.hour < 12 else 'PM'}")
    return spoken(text)


class Mentions:
    """Descriptions of rows in one state (a scenario's initial state)."""

    def __init__(self, ir: DomainIR, state: sqlite3.Connection, owner_column, later: sqlite3.Connection | None = None):
        self.ir = ir
        self.state = state
        self.later = later  # the gold end state: rows the user's own requests add ("the card I'm adding")
        self.owner_column = owner_column  # TableIR -> the column naming the row's owner, or None

    def row(self, table: TableIR, key: Any, state: sqlite3.Connection | None = None) -> dict[str, Any] | None:
        cur = (state or self.state).execute(f"SELECT * FROM {table.name} WHERE {table.primary_key} = ?", (key,))
        found = cur.fetchone()
        return dict(zip([d[0] for d in cur.description], found, strict=True)) if found else None

    def render(self, table: TableIR, row: dict[str, Any]) -> str | None:
        """The first description of `row` whose values are all present."""
        for template in table.described_as:
            values = {}
            for m in FIELD.finditer(template):
                value = row.get(m.group(1))
                if m.group(2) and value is not None:
                    far = self.row(self.ir.table(table.column(m.group(1)).references[0]), value)
                    value = far.get(m.group(2)) if far else None
                if value is None or value == "":
                    break
                values[m.group(0)] = said(value)
            else:
                return FIELD.sub(lambda m, said=values: said[m.group(0)], template)
        return None

    def of_id(self, value: Any) -> str | None:
        """The description of the row an id-like value names (`OI00039`: a line of an order), found
        by the shapes of the tables' generated ids (prefixed ones first: a locator looks like F00017), or None."""
        shaped = sorted((t for t in self.ir.tables if t.id_format), key=lambda t: t.id_format == "locator")
        table = next((t for t in shaped if isinstance(value, str) and re.fullmatch(t.id_pattern, value)), None)
        return self.of(table.name, value) if table is not None else None

    def of(self, table_name: str, key: Any) -> str | None:
        """How the user names the row `key` of a table, or None when they give its id."""
        table = self.ir.table(table_name)
        if not table.described_as:
            return None
        state = self.state
        row = self.row(table, key)
        if row is None and self.later is not None:
            state, row = self.later, self.row(table, key, self.later)
        text = self.render(table, row) if row else None
        if text is None:
            raise Dropped(f"no description of {table_name} {key} fits its values")
        # the rows the user could mean: their own, else those of the same parent (an order's lines)
        owner = self.owner_column(table)
        if owner is None or owner == table.primary_key:
            owner = next((c.name for c in table.columns if c.references and c.name != table.primary_key), None)
        scope, params = (f"WHERE {owner} IS ? AND ", [row[owner]]) if owner else ("WHERE ", [])
        cur = state.execute(f"SELECT * FROM {table.name} {scope}{table.primary_key} != ?", (*params, key))
        names = [d[0] for d in cur.description]
        if any(self.render(table, dict(zip(names, other, strict=True))) == text for other in cur):
            raise Dropped(f"'{text}' could mean more than one {words(table_name)} row")
        return text

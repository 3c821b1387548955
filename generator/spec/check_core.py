"""The checker's shared ground: reporting, resolving table and column names, suggestions.

Each part of the checker (`check_tables`, `check_seeds`, `check_tools`, ...) builds on `CheckerCore`.
"""

from __future__ import annotations

import difflib
import keyword
import re
import sqlite3
from collections.abc import Iterable
from typing import Any

from generator.compile.lower import auto_errors
from generator.compile.names import split_ref
from generator.errors import Diagnostic
from generator.spec.models import NAME, DomainSpec, Table
from generator.spec.source import Source

MAX_NAME = 40

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


class CheckerCore:
    """A spec and its source, the diagnostics found so far, and an in-memory SQLite for the schema."""

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

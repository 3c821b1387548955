"""Checks of tool tests and error codes.

A test's args, expected error, rows and setup SQL must name what exists; an error code has
one message across all tools.
"""

from __future__ import annotations

import sqlite3

from generator.sandbox import check_sql
from generator.spec.check_core import CheckerCore, suggest
from generator.spec.models import Tool


class ToolTestChecks(CheckerCore):
    """A tool's tests, and error messages across tools."""

    def tests(self, name: str, tool: Tool) -> None:
        codes = set(tool.errors) | set(self.auto)
        seen: set[str] = set()
        for i, case in enumerate(tool.tests):
            at = ("tools", name, "tests", i)
            if case.name in seen:
                self.error(at + ("name",), f"two tests of {name} are called {case.name}", "rename one")
            seen.add(case.name)
            for arg in case.args:
                if arg not in tool.params:
                    self.error(at + ("args", arg), f"{arg!r} is not a param of {name}",
                               suggest(arg, tool.params, "params"))
            expect = case.expect
            if expect.error is not None and expect.error not in codes:
                self.error(at + ("expect", "error"), f"{name} cannot fail with {expect.error!r}",
                           suggest(expect.error, codes, "error codes"))
            for table in expect.changes or {}:
                self.table(at + ("expect", "changes", table), table)
            for j, row in enumerate(expect.rows):
                row_at = at + ("expect", "rows", j)
                if self.table(row_at + ("table",), row.table) is not None:
                    for key in ("where", "values"):
                        for column in getattr(row, key):
                            self.column(row_at + (key, column), row.table, column)
            for j, sql in enumerate(case.setup):
                for violation in check_sql(sql):
                    self.error(at + ("setup", j), violation.message, "setup SQL inserts, updates or deletes rows only")
            for j, sql in enumerate(case.setup if self.schema_ok else ()):
                try:
                    self.db.execute(f"EXPLAIN {sql}")
                except sqlite3.ProgrammingError:  # several statements: leave them to the runner
                    pass
                except sqlite3.Error as exc:
                    self.error(at + ("setup", j), f"setup SQL fails: {exc}", "check table and column names")

    def shared_errors(self) -> None:
        """ERRORS is one dict in the server: a code has one message across all tools."""
        first: dict[str, tuple[str, str]] = {}
        for name, tool in self.spec.tools.items():
            for code, message in tool.errors.items():
                if code in first and first[code][1] != message:
                    where = ("tools", first[code][0], "errors", code)
                    self.error(("tools", name, "errors", code),
                               f"error {code!r} has a different message than in {'.'.join(where)} (line {self.source.line(where)})",
                               "a code has one message everywhere: use the same text, or another code")
                first.setdefault(code, (name, message))

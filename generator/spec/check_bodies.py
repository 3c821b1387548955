"""Checks of custom tool bodies, which the spec carries as Python source.

A body must parse and return, write only declared tables, and fail only with declared
errors, passing every placeholder of the error's message.
"""

from __future__ import annotations

import ast
import re
import textwrap

from generator.compile.names import template_names
from generator.spec.check_core import CheckerCore, suggest
from generator.spec.models import Tool

WRITES = [
    re.compile(r"\bINSERT\s+(?:OR\s+\w+\s+)?INTO\s+(\w+)"),
    re.compile(r"\bREPLACE\s+INTO\s+(\w+)"),
    re.compile(r"\bUPDATE\s+(?:OR\s+\w+\s+)?(\w+)\s+SET\b"),
    re.compile(r"\bDELETE\s+FROM\s+(\w+)"),
    re.compile(r"\bdb\.(?:insert|update|new_id)\(\s*[\"'](\w+)[\"']"),
]
FAIL = re.compile(r"\bfail\(\s*[\"'](\w+)[\"']")


class BodyChecks(CheckerCore):
    """The body of a custom tool."""

    def body(self, name: str, tool: Tool) -> None:
        at = ("tools", name, "body")
        key_line = self.source.line(at)
        text = self.source.text.splitlines()[key_line - 1] if key_line else ""
        block = text.split(":", 1)[-1].strip()[:1] in ("|", ">")
        first = key_line + 1 if block else key_line

        def line_of(offset: int) -> int | None:
            return first + tool.body.count("\n", 0, offset) if key_line else None

        code = textwrap.dedent(tool.body)
        try:
            tree = ast.parse("async def f():\n" + textwrap.indent(code, "    ", lambda _: True))
        except SyntaxError as exc:
            self.error(at, f"body is not valid Python: {exc.msg}", "check indentation, brackets and quotes",
                       line=first + (exc.lineno or 2) - 2 if key_line else None)
            tree = None
        if tree is not None:
            if not any(isinstance(node, ast.Return) for node in ast.walk(tree)):
                self.error(at, "body never returns", "end it with return <Model>(...)")
            self.fail_args(name, tool, tree, first)
        reported: set[str] = set()
        for pattern in WRITES:
            for match in pattern.finditer(tool.body):
                table = match.group(1)
                if table in reported:
                    continue
                reported.add(table)
                if table not in self.tables:
                    self.error(at, f"body writes unknown table {table!r}", suggest(table, self.tables, "tables"),
                               line_of(match.start()))
                elif table not in tool.writes:
                    self.error(at, f"body writes {table}, which {name} does not declare", f"add {table} to writes",
                               line_of(match.start()))
        for match in FAIL.finditer(tool.body):
            code_name = match.group(1)
            if code_name not in tool.errors and code_name not in self.auto:
                self.error(at, f"body fails with undeclared error {code_name!r}",
                           f"declare it under errors: with a message; {suggest(code_name, tool.errors, 'errors of this tool')}",
                           line_of(match.start()))

    def fail_args(self, name: str, tool: Tool, tree: ast.AST, first: int) -> None:
        """`fail("code", a=...)` must pass every placeholder of the code's message."""
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "fail"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                continue
            message = tool.errors.get(node.args[0].value, self.auto.get(node.args[0].value))
            if message is None or any(kw.arg is None for kw in node.keywords):
                continue
            # names fail() cannot take at all (`code`, `0`) are reported with the message
            missing = [n for n in template_names(message)
                       if n not in {kw.arg for kw in node.keywords} and n.isidentifier() and n != "code"]
            if missing:
                self.error(("tools", name, "body"),
                           f"fail({node.args[0].value!r}) does not pass {', '.join(missing)} for its message",
                           f"pass {', '.join(f'{n}=...' for n in missing)}",
                           line=first + node.lineno - 2 if first else None)

"""Checks of custom tool bodies, which the spec carries as Python source.

A body must parse and return, write only declared tables, fail only with declared errors
(passing every placeholder of the error's message), and pass the sandbox's allow-list
(`generator/sandbox.py`) with exactly the scope synthesis uses (`body_scope`): the compiled
body runs inside the server, so this check is the wall there.
"""

from __future__ import annotations

import ast
import re
import textwrap

from generator.compile.ir import DomainIR, ToolIR
from generator.compile.lower import lower
from generator.compile.names import template_names
from generator.sandbox import check_body
from generator.spec.check_core import CheckerCore, suggest
from generator.spec.models import Tool

WRITES = [
    re.compile(r"\bINSERT\s+(?:OR\s+\w+\s+)?INTO\s+(\w+)"),
    re.compile(r"\bREPLACE\s+INTO\s+(\w+)"),
    re.compile(r"\bUPDATE\s+(?:OR\s+\w+\s+)?(\w+)\s+SET\b"),
    re.compile(r"\bDELETE\s+FROM\s+(\w+)"),
    re.compile(r"\bdb\.(?:insert|update|new_id)\(\s*[\"'](\w+)[\"']"),
]
SANDBOX = "body is not allowed to run"  # how sandbox violations start, so synthesis can tell them apart
FAIL = re.compile(r"\bfail\(\s*[\"'](\w+)[\"']")


def body_scope(ir: DomainIR, tool: ToolIR) -> tuple[set[str], set[str]]:
    """What a custom body sees: its names (params, loaded rows and hops, model classes, constants, helpers) and the field
    names it may read as attributes (every column and model field of the domain)."""
    models = [*ir.models, *ir.item_models]
    names = {p.name for p in tool.params} | {ld.entity for ld in tool.loads} | {h.entity for h in tool.hops if h.fetched}
    names |= {t.model for t in ir.tables} | {m.name for m in models} | set(ir.constants) | {h.name for h in ir.helpers}
    fields = {c.name for t in ir.tables for c in t.columns} | {f.name for m in models for f in m.fields}
    return names, fields


class BodyChecks(CheckerCore):
    """The body of a custom tool."""

    def body_line(self, name: str) -> int:
        """The spec line of a body's first line of code (0 when unknown)."""
        key_line = self.source.line(("tools", name, "body"))
        text = self.source.text.splitlines()[key_line - 1] if key_line else ""
        block = text.split(":", 1)[-1].strip()[:1] in ("|", ">")
        return key_line + 1 if block else key_line

    def sandbox(self) -> None:
        """Every custom body against the sandbox's allow-list; runs once the rest of the spec is clean,
        since the body's scope comes from lowering."""
        if any(d.level == "error" for d in self.found):
            return
        ir = lower(self.spec)
        for tool in ir.tools:
            if tool.kind != "custom":
                continue
            first = self.body_line(tool.name)
            for violation in check_body(tool.body, *body_scope(ir, tool)):
                self.error(("tools", tool.name, "body"), f"{SANDBOX}: {violation.message}",
                           "a body uses its params, loaded rows, db.<api>, fail and plain values only",
                           line=first + violation.line - 1 if first else None)

    def body(self, name: str, tool: Tool) -> None:
        at = ("tools", name, "body")
        key_line = self.source.line(at)
        first = self.body_line(name)

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

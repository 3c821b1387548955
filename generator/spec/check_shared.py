"""Checks of what a spec declares once and its code shares: `constants` and `helpers`.

A constant is an UPPER_CASE name bound to plain data (what YAML and JSON both say), a helper
a small function whose body passes the same sandbox as a tool body, without db or fail. Both
land in the server's `constants.py` and, by name, in `server.py`, so neither may take a name
the server module already uses.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
import textwrap
from typing import Any

from generator.compile.names import model_name
from generator.sandbox import BODY_NAMES, SAFE_BUILTINS, SEED_NAMES, check_helper
from generator.spec.check_core import CheckerCore, Loc, suggest
from generator.spec.models import CONSTANT, NAME

# module-level names of the generated server.py that an imported constant or helper would replace
SERVER_NAMES = frozenset({
    "NAME", "VERSION", "INSTRUCTIONS", "POLICY", "ROLE", "ERRORS", "READ", "TOOLS", "tool", "fail", "strict_schema",
    "policy", "agent_system_prompt", "build_server", "store", "frozen", "annotations", "asynccontextmanager",
    "Annotated", "Any", "Literal", "Field", "Path", "Context", "ToolError", "Tool", "ToolAnnotations", "MCPServer",
    "Episodes", "EpisodeServer", "add_routes", "add_gym_routes", "Session", "Store", "AsyncIterator", "Awaitable",
    "Callable", "MappingProxyType",
})  # fmt: skip


class SharedChecks(CheckerCore):
    """The spec's `constants:` and `helpers:`."""

    def shared(self) -> None:
        for name, value in self.spec.constants.items():
            at = ("constants", name)
            if not re.fullmatch(CONSTANT, name):
                self.error(at, f"constant name {name!r} is not UPPER_CASE",
                           f"use capitals, digits and _, e.g. {re.sub(r'[^A-Z0-9_]', '_', name.upper())}")
            elif name in SERVER_NAMES or name.startswith("WRITE_"):
                self.error(at, f"constant name {name!r} is taken by the generated server", f"rename it, e.g. {self.spec.name.upper()}_{name}")
            self.plain(at, value)
        taken = self.taken_names()
        for name, helper in self.spec.helpers.items():
            at = ("helpers", name)
            self.name(at, name, "helper")
            if re.fullmatch(NAME, name) and name in taken:
                self.error(at, f"helper name {name!r} is already {taken[name]}", f"rename it, e.g. {name}_for")
            for i, param in enumerate(helper.params):
                if not re.fullmatch(NAME, param):
                    self.error(at + ("params", i), f"helper param {param!r} is not snake_case", "e.g. cabin, passengers")
            if len(set(helper.params)) != len(helper.params):
                self.error(at + ("params",), "a helper param is named twice", "give each param its own name")
            self.helper_body(name, helper.params, helper.body)

    def plain(self, at: Loc, value: Any) -> None:
        """Plain data only: text, numbers, booleans, null, lists and maps of those (maps keyed by text or numbers)."""
        if isinstance(value, (dt.date, dt.datetime)):
            self.error(at, f"{value} is a date, which a constant cannot hold", f"quote it: '{value}'")
        elif isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, (str, int)) or isinstance(key, bool):
                    self.error(at, f"map key {key!r} is not text or a whole number", f"quote it: '{key}'")
                self.plain(at + (key,), item)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self.plain(at + (i,), item)
        elif not isinstance(value, (str, int, float, bool)) and value is not None:
            self.error(at, f"{type(value).__name__} is not plain data", "use text, numbers, lists and maps")

    def taken_names(self) -> dict[str, str]:
        """Names a helper may not take, and what already holds each."""
        taken = {n: "a name of the generated server" for n in SERVER_NAMES}
        taken |= {n: "a name every body or seed expression sees" for n in SAFE_BUILTINS | BODY_NAMES | SEED_NAMES}
        taken |= {n: "a tool" for n in self.spec.tools}
        taken |= {model_name(t): "a row model" for t in self.tables}
        return taken

    def helper_body(self, name: str, params: list[str], body: str) -> None:
        at = ("helpers", name, "body")
        key_line = self.source.line(at)
        text = self.source.text.splitlines()[key_line - 1] if key_line else ""
        first = key_line + 1 if text.split(":", 1)[-1].strip()[:1] in ("|", ">") else key_line
        try:
            tree = ast.parse(textwrap.dedent(body))
        except SyntaxError as exc:
            self.error(at, f"helper body is not valid Python: {exc.msg}", "check indentation, brackets and quotes",
                       line=first + (exc.lineno or 1) - 1 if key_line else None)
            return
        if not any(isinstance(node, ast.Return) for node in ast.walk(tree)):
            self.error(at, "helper body never returns", "end it with return <value>")
        names = {*params, *self.spec.constants, *self.spec.helpers}
        for violation in check_helper(body, names):
            message = violation.message.split("; use the params")[0]  # a helper has no loaded rows, db or fail
            self.error(at, f"helper body is not allowed to run: {message}",
                       "a helper uses its params, the constants, the other helpers and plain values",
                       line=first + violation.line - 1 if key_line else None)

    def const_value(self, at: Loc, value: str, op: str | None = None) -> None:
        """`$const.NAME` names a declared constant (a list for in / not_in)."""
        name = value.removeprefix("$const.")
        if name not in self.spec.constants:
            self.error(at, f"{value} names no declared constant", suggest(name, self.spec.constants, "constants"))
        elif op in ("in", "not_in") and not isinstance(self.spec.constants[name], list):
            self.error(at, f"{op} needs a list, but constant {name} is {self.spec.constants[name]!r}",
                       "declare the constant as a list")

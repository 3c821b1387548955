"""An AST allow-list for code an LLM wrote: tool bodies, seed expressions and test setup SQL.

A synthesized body runs inside a generated server with that server's module globals, so
"valid Python" is not enough: it could import `os`, read files, open sockets, reach the raw
connection, or escape through reflection (`getattr`, `().__class__`, `"{0.__globals__}".format`).
`check_body` accepts only a small language: statements without imports (beyond a few pure
modules), names from an explicit allow-list (safe builtins, `db`, `fail`, the tool's params,
loaded rows and models, and the body's own locals), and attributes from an allow-list too:
a module's own public functions and classes (`json.dumps`, never `json.codecs`), methods of
plain values (str, numbers, containers, dates, regex matches) and the fields of the domain's
rows and models, never `_` names, frames or code. `db` is used only as `db.<api>` (never
aliased or passed on), nothing reads the wall clock, and no SQL literal reaches outside the
database. This is one wall of several: the server guards its SQLite connections with an
authorizer (`runtime.ToolGuard`) and synthesis runs the code in a worker with no keys, no
network and resource limits (`synth/confine.py`). Violations are values (line, message);
code with any violation must never run.
"""

from __future__ import annotations

import ast
import datetime
import decimal
import functools
import random
import re
import sqlite3
import textwrap
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

ALLOWED_IMPORTS = frozenset({"datetime", "math", "re", "json", "statistics", "decimal", "itertools", "string"})
SAFE_BUILTINS = frozenset({
    "abs", "all", "any", "bool", "dict", "divmod", "enumerate", "filter", "float", "int", "isinstance", "len",
    "list", "map", "max", "min", "range", "reversed", "round", "set", "sorted", "str", "sum", "tuple", "zip",
    "next", "iter", "None", "True", "False", "ValueError", "KeyError", "TypeError", "Exception",
})  # fmt: skip
BODY_NAMES = frozenset({"db", "fail", "ToolError", "Any"})
FORBIDDEN_NAMES = {
    "eval": "eval runs arbitrary code", "exec": "exec runs arbitrary code", "compile": "compile makes code objects",
    "open": "open reads and writes files", "__import__": "__import__ loads any module",
    "getattr": "getattr is reflection", "setattr": "setattr is reflection", "delattr": "delattr is reflection",
    "hasattr": "hasattr is reflection", "vars": "vars is reflection", "dir": "dir is reflection",
    "globals": "globals exposes the server module", "locals": "locals is reflection", "type": "type is reflection",
    "print": "print writes to stdout, which is the MCP wire", "input": "input reads stdin, which is the MCP wire",
    "breakpoint": "breakpoint stops the server", "exit": "exit stops the server", "quit": "quit stops the server",
}
DB_API = frozenset({"fetch_one", "fetch_all", "execute", "insert", "update", "new_id", "now", "today", "now_plus",
                    "today_plus"})
SEED_NAMES = frozenset({
    "row", "parent", "rng", "fake", "lookup", "rows", "timedelta", "date", "datetime",
    "round", "min", "max", "len", "sum", "int", "str", "None", "True", "False",
})  # fmt: skip
WALL_CLOCK = frozenset({"now", "today", "utcnow", "fromtimestamp", "utcfromtimestamp"})
FORMATTERS = frozenset({"format", "format_map"})  # "{0.__class__}".format(x) reaches dunders
# What `module.attr` may name: the module's own functions, classes and constants, never a module it
# imported (`statistics.sys`, `json.codecs`, `re.enum`), nor reflection (`string.Formatter`) or
# global state (`decimal.setcontext`), nor an endless iterator (`itertools.repeat`).
MODULE_ATTRS = {
    "datetime": frozenset({"date", "datetime", "time", "timedelta", "timezone", "MINYEAR", "MAXYEAR", "UTC"}),
    "math": frozenset(n for n in dir(__import__("math")) if not n.startswith("_")),
    "re": frozenset({"match", "fullmatch", "search", "sub", "subn", "split", "findall", "finditer", "compile", "escape",
                     "error", "A", "I", "M", "S", "X", "ASCII", "IGNORECASE", "MULTILINE", "DOTALL", "VERBOSE"}),
    "json": frozenset({"dumps", "loads", "JSONDecodeError"}),
    "statistics": frozenset({"StatisticsError", "fmean", "geometric_mean", "harmonic_mean", "mean", "median",
                             "median_high", "median_low", "mode", "multimode", "pstdev", "pvariance", "quantiles",
                             "stdev", "variance"}),
    "decimal": frozenset({"Decimal", "InvalidOperation", "ROUND_CEILING", "ROUND_DOWN", "ROUND_FLOOR", "ROUND_HALF_DOWN",
                          "ROUND_HALF_EVEN", "ROUND_HALF_UP", "ROUND_UP"}),
    "itertools": frozenset({"accumulate", "chain", "combinations", "compress", "dropwhile", "filterfalse", "groupby",
                            "islice", "pairwise", "permutations", "product", "starmap", "takewhile", "zip_longest"}),
    "string": frozenset({"ascii_letters", "ascii_lowercase", "ascii_uppercase", "capwords", "digits", "hexdigits",
                         "octdigits", "printable", "punctuation", "whitespace"}),
}  # fmt: skip
# Attribute names no chain may use, even when a column or field has that name: they reach modules,
# frames, code, globals or the raw connection.
NEVER_ATTRS = frozenset({
    "sys", "os", "builtins", "codecs", "subprocess", "importlib", "posix", "socket", "conn", "connection", "mro",
    "gi_frame", "gi_code", "gi_yieldfrom", "cr_frame", "cr_code", "cr_await", "ag_frame", "ag_code", "ag_await",
    "f_globals", "f_locals", "f_builtins", "f_back", "f_code", "tb_frame", "tb_next", "with_traceback",
    "func_globals", "im_func", "im_self", "model_fields", "model_config", "generator", "factories", "providers",
    "add_provider", "set_formatter", "get_formatter", "seed", "seed_instance", "seed_locale", "getstate", "setstate",
    *FORMATTERS,
})  # fmt: skip
PLAIN_TYPES = (str, bytes, int, float, bool, list, dict, set, frozenset, tuple, range, datetime.date,
               datetime.datetime, datetime.time, datetime.timedelta, datetime.timezone, decimal.Decimal,
               re.Pattern, re.Match)  # fmt: skip
# Attributes of plain values (what a body reads off strings, numbers, containers, dates and matches),
# plus what an exception and a pydantic model offer that is not reflection.
VALUE_ATTRS = frozenset(
    {n for t in PLAIN_TYPES for n in dir(t) if not n.startswith("_")} | {"args", "model_dump", "model_copy"}
) - NEVER_ATTRS - WALL_CLOCK
FORBIDDEN_SQL = re.compile(
    r"\battach\s+(?:database\b|['\"])|\bdetach\b|\bvacuum\b|\bpragma\b|load_extension|\bfts3_tokenizer\b",
    re.IGNORECASE,
)
NODES = (
    ast.Module, ast.Expression, ast.AsyncFunctionDef, ast.arguments, ast.arg, ast.Expr, ast.Assign, ast.AugAssign,
    ast.AnnAssign, ast.Return, ast.If, ast.For, ast.While, ast.Break, ast.Continue, ast.Pass, ast.Raise, ast.Try,
    ast.ExceptHandler, ast.Delete, ast.Compare, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Call, ast.keyword, ast.Name,
    ast.Attribute, ast.Subscript, ast.Slice, ast.Constant, ast.List, ast.Tuple, ast.Dict, ast.Set, ast.ListComp,
    ast.DictComp, ast.SetComp, ast.GeneratorExp, ast.comprehension, ast.IfExp, ast.JoinedStr, ast.FormattedValue,
    ast.Await, ast.Starred, ast.Lambda, ast.Import, ast.ImportFrom, ast.alias, ast.expr_context, ast.operator,
    ast.unaryop, ast.cmpop, ast.boolop,
)  # fmt: skip
WHY = {
    ast.Global: "global statements are not allowed: a body only changes the database",
    ast.Nonlocal: "nonlocal statements are not allowed",
    ast.ClassDef: "class definitions are not allowed in a body",
    ast.FunctionDef: "nested functions are not allowed; use a lambda or inline the code",
    ast.AsyncFunctionDef: "nested functions are not allowed; use a lambda or inline the code",
    ast.With: "with blocks are not allowed (no files, locks or resources in a body)",
    ast.AsyncWith: "async with blocks are not allowed (the call is already one transaction)",
    ast.Yield: "yield is not allowed: a body returns one result",
    ast.YieldFrom: "yield is not allowed: a body returns one result",
    ast.NamedExpr: "the walrus operator is not allowed; assign on its own line",
}


@dataclass(frozen=True, order=True)
class Violation:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class AllowList(ast.NodeVisitor):
    """Walks one parsed body or expression and collects every violation."""

    def __init__(self, names: Iterable[str], imports: frozenset[str], first_line: int, attrs: frozenset[str]):
        self.names = set(names)
        self.imports = imports
        self.offset = first_line
        self.attrs = attrs
        self.modules: dict[str, str] = {}  # a name bound by `import m` -> m
        self.refused: set[str] = set()  # names bound by an import already reported
        self.called: set[int] = set()  # attribute nodes that are called, for the wording of a message
        self.found: list[Violation] = []

    def report(self, node: ast.AST, message: str) -> None:
        self.found.append(Violation(max(1, getattr(node, "lineno", 1) - self.offset), message))

    def generic_visit(self, node: ast.AST) -> None:
        if not isinstance(node, NODES):
            self.report(node, WHY.get(type(node), f"{type(node).__name__} is not allowed in synthesized code"))
        super().generic_visit(node)  # keep going: the debug role should see every violation at once

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:  # noqa: N802 - ast visitor naming
        if self.offset and node.name == "_body" and node.col_offset == 0:
            for statement in node.body:  # only the wrapper this module adds is allowed
                self.visit(statement)
        else:
            self.report(node, WHY[ast.AsyncFunctionDef])

    def visit_Import(self, node: ast.Import) -> None:  # noqa: N802
        for alias in node.names:
            bound = (alias.asname or alias.name).split(".")[0]
            if self.check_module(node, alias.name):
                if "." in alias.name:
                    self.report(node, f"import of {alias.name!r} is not allowed; import {alias.name.split('.')[0]!r}")
                self.modules[bound] = alias.name.split(".")[0]
            else:
                self.refused.add(bound)
            self.names.add(bound)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:  # noqa: N802
        module = node.module or "." * node.level
        known = self.check_module(node, module) and module in MODULE_ATTRS
        for alias in node.names:
            if alias.name == "*" or alias.name.startswith("_"):
                self.report(node, f"import of {alias.name!r} is not allowed; name what you use")
            elif known and alias.name not in MODULE_ATTRS[module]:
                self.report(node, f"from {module} import {alias.name} is not allowed ({module} offers: "
                                  f"{', '.join(sorted(MODULE_ATTRS[module]))})")
            self.names.add(alias.asname or alias.name)

    def check_module(self, node: ast.AST, module: str) -> bool:
        if module.split(".")[0] in self.imports:
            return True
        allowed = ", ".join(sorted(self.imports)) or "none"
        self.report(node, f"import of {module!r} is not allowed (allowed modules: {allowed})")
        return False

    def visit_Name(self, node: ast.Name) -> None:  # noqa: N802
        if node.id in FORBIDDEN_NAMES:
            self.report(node, f"{node.id}() is not allowed: {FORBIDDEN_NAMES[node.id]}")
        elif node.id == "db" and "db" in self.names:  # db.<api> is visited in visit_Attribute
            self.report(node, "db is used only as db.<api>(...) or db.now/db.today; do not alias, rebind or pass it")
        elif node.id.startswith("__") or (isinstance(node.ctx, ast.Load) and node.id not in self.names):
            self.report(node, f"name {node.id!r} is not available here; use the params, loaded rows, db and fail")

    def visit_Attribute(self, node: ast.Attribute) -> None:  # noqa: N802
        attr, value = node.attr, node.value
        if attr.startswith("_"):
            self.report(node, f"attribute {attr!r} is not allowed (no underscore or dunder attributes)")
        elif _is_db(value) and "db" in self.names:
            if attr not in DB_API:
                self.report(node, f"db.{attr} is not part of the db API ({', '.join(sorted(DB_API))})")
            return  # `db` itself is fine here, and only here
        elif attr in FORMATTERS:
            self.report(node, f".{attr}() is not allowed; use an f-string")
        elif attr in WALL_CLOCK:
            called = "()" if id(node) in self.called else ""
            self.report(node, f".{attr}{called} reads the wall clock; use db.now or db.today (the episode's fixed clock)")
        elif attr in NEVER_ATTRS:
            self.report(node, f"attribute {attr!r} is not allowed: it reaches modules, frames or the raw connection")
        elif isinstance(value, ast.Name) and value.id in self.refused:
            pass  # its import is reported; one violation says what to change
        elif isinstance(value, ast.Name) and value.id in self.modules:
            module = self.modules[value.id]
            if attr not in MODULE_ATTRS.get(module, ()):
                self.report(node, f"{value.id}.{attr} is not allowed ({module} offers: "
                                  f"{', '.join(sorted(MODULE_ATTRS.get(module, ())))})")
        elif attr not in self.attrs:
            self.report(node, f"attribute {attr!r} is not allowed: use methods of plain values (str, numbers, lists, "
                              "dicts, dates), fields of the rows and models, and module functions such as json.dumps")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:  # noqa: N802
        self.called.add(id(node.func))
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:  # noqa: N802
        if isinstance(node.value, str) and FORBIDDEN_SQL.search(node.value):
            self.report(node, f"SQL that reaches outside the database is not allowed: {FORBIDDEN_SQL.search(node.value)[0]!r}")


def _is_db(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "db"


@functools.cache
def seed_attrs() -> frozenset[str]:
    """What a seed expression may read off `fake` and `rng`: Faker's providers and the Random API."""
    from faker import Faker  # here: Faker is slow to import and only seed expressions need it

    providers = {n for provider in Faker().providers for n in dir(provider) if not n.startswith("_")}
    rng = {n for n in dir(random.Random) if not n.startswith("_")}
    return VALUE_ATTRS | frozenset((providers | rng | {"unique"}) - NEVER_ATTRS - WALL_CLOCK)


def field_attrs(fields: Iterable[str]) -> frozenset[str]:
    """Field and column names a body may read as attributes, less the ones no chain may use."""
    return frozenset(fields) - NEVER_ATTRS - WALL_CLOCK - {"db"}


def assigned_names(tree: ast.AST) -> set[str]:
    """Every name the code binds: assignments, loop and comprehension targets, handlers, lambda args."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            found.add(node.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            found.add(node.name)
        elif isinstance(node, ast.arg):
            found.add(node.arg)
    return found


def check_body(code: str, names: Iterable[str] = (), fields: Iterable[str] = (),
               api: frozenset[str] = BODY_NAMES) -> list[Violation]:
    """Violations of a tool body; `names` are the params, loaded entities and model classes in scope,
    `fields` the column and model field names it may read as attributes, `api` db, fail and the like."""
    wrapped = "async def _body():\n" + textwrap.indent(textwrap.dedent(code), "    ", lambda _: True)
    try:
        tree = ast.parse(wrapped)
    except SyntaxError as exc:
        return [Violation(max(1, (exc.lineno or 2) - 1), f"not valid Python: {exc.msg}")]
    visitor = AllowList(set(names) | SAFE_BUILTINS | api | assigned_names(tree), ALLOWED_IMPORTS, 1,
                        VALUE_ATTRS | field_attrs(fields))
    visitor.visit(tree)
    return sorted(set(visitor.found))


def check_helper(code: str, names: Iterable[str] = ()) -> list[Violation]:
    """Violations of a shared helper: a tool body's rules, without db or fail (a helper computes, the
    tool decides and writes) and without await (a helper is a plain function); `names` are its
    params, the constants and the other helpers."""
    found = check_body(code, names, api=frozenset({"Any"}))
    try:
        tree = ast.parse(textwrap.dedent(code))
    except SyntaxError:
        return found
    found += [Violation(node.lineno, "await is not allowed in a helper: it is a plain function without db")
              for node in ast.walk(tree) if isinstance(node, ast.Await)]
    return sorted(set(found))


def check_expr(code: str, names: Iterable[str] = SEED_NAMES) -> list[Violation]:
    """Violations of a seed-recipe expression (evaluated with only `names` in scope)."""
    try:
        tree = ast.parse(code, mode="eval")
    except SyntaxError as exc:
        return [Violation(exc.lineno or 1, f"not a Python expression: {exc.msg}")]
    visitor = AllowList(set(names) | assigned_names(tree), frozenset(), 0, seed_attrs())
    visitor.visit(tree)
    return sorted(set(visitor.found))


def check_sql(sql: str) -> list[Violation]:
    """Violations of SQL an LLM wrote for a test's setup: nothing outside the one database."""
    match = FORBIDDEN_SQL.search(sql)
    return [Violation(1, f"SQL that reaches outside the database is not allowed: {match[0]!r}")] if match else []


class SqlRefused(ValueError):
    """SQL under `guard_sql` did something only the database's owner may do, or too much work."""


GUARD_STEP = 1000  # SQLite VM instructions between two calls of the progress handler
GUARD_STEPS = 100_000  # calls of the handler one guarded run may take (100M instructions, seconds of work)
_READS = {sqlite3.SQLITE_READ, sqlite3.SQLITE_SELECT, sqlite3.SQLITE_RECURSIVE}
_WRITES = {sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE}
_READ_PRAGMAS = {"table_info", "table_xinfo", "table_list", "index_list", "index_info", "foreign_key_list"}


@contextmanager
def guard_sql(conn: sqlite3.Connection, writes: bool = False) -> Iterator[Callable[[str, Any], list[Any]]]:
    """Run untrusted SQL (test setups, scenario checks) on `conn`: rows only (reads, and with `writes`
    INSERT/UPDATE/DELETE), never ATTACH, DETACH, VACUUM, transaction control, PRAGMA writes, schema
    changes or load_extension, however the text was built; bounded work. Yields `run(sql, params)`,
    which raises SqlRefused saying what was refused (the server's `runtime.guarded` is the same wall)."""
    state = {"refused": "", "steps": 0}

    def authorize(action: int, arg1: str | None, arg2: str | None, schema: str | None, source: str | None) -> int:
        if action == sqlite3.SQLITE_FUNCTION:
            ok = arg2 != "load_extension"
        elif action == sqlite3.SQLITE_PRAGMA:
            ok = arg2 is None and arg1 in _READ_PRAGMAS
        else:
            ok = action in _READS or (writes and action in _WRITES)
        if not ok:
            state["refused"] = state["refused"] or _ACTION_NAMES.get(action, "a schema change")
        return sqlite3.SQLITE_OK if ok else sqlite3.SQLITE_DENY

    def progress() -> int:
        state["steps"] += 1
        return state["steps"] > GUARD_STEPS

    def run(sql: str, params: Any = ()) -> list[Any]:
        state["refused"] = ""
        try:
            return conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            if state["refused"]:
                raise SqlRefused(f"{state['refused']} is not allowed here ({exc})") from None
            if state["steps"] > GUARD_STEPS:
                raise SqlRefused(f"stopped after {GUARD_STEP * GUARD_STEPS:,} steps of work (an endless query?)") from None
            raise

    conn.set_authorizer(authorize)
    conn.set_progress_handler(progress, GUARD_STEP)
    try:
        yield run
    finally:
        conn.set_authorizer(None)
        conn.set_progress_handler(None, 0)


_ACTION_NAMES = {
    sqlite3.SQLITE_ATTACH: "ATTACH (or VACUUM)", sqlite3.SQLITE_DETACH: "DETACH",
    sqlite3.SQLITE_TRANSACTION: "transaction control", sqlite3.SQLITE_SAVEPOINT: "SAVEPOINT",
    sqlite3.SQLITE_PRAGMA: "a PRAGMA write", sqlite3.SQLITE_INSERT: "a write", sqlite3.SQLITE_UPDATE: "a write",
    sqlite3.SQLITE_DELETE: "a write", sqlite3.SQLITE_FUNCTION: "load_extension",
}  # fmt: skip

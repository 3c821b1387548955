"""What each stage shows its role (context) and what it checks in the reply beyond its schema.

Checks return problems as text lines, which go back to the role verbatim; a reply is only
accepted with none. Cross-stage checks run the real spec checker on the draft with the
reply applied, restricted to the part of the spec the stage owns.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from generator.compile.lower import auto_errors, lower
from generator.compile.names import entity_name, model_name
from generator.sandbox import check_body, check_expr, check_sql
from generator.spec.check_bodies import body_scope
from generator.spec.check_core import MAX_NAME, suggest
from generator.spec.models import NAME
from generator.synth.assemble import Draft, diagnose, load_data, spec_data
from generator.synth.replies import BehaviourReply, DatabaseReply, DebugReply, SeedReply, TestsReply, ToolsReply

UNREACHABLE = ("is unreachable from the initial states",)  # needs the tools: checked with the behaviour stage


def copy(draft: Draft, **changes: Any) -> Draft:
    """A trial draft: the containers are copied so a rejected reply leaves `draft` untouched."""
    fresh = {"tools": dict(draft.tools), "behaviour": dict(draft.behaviour), "tests": dict(draft.tests),
             "dropped": dict(draft.dropped)}
    return replace(draft, **(fresh | changes))


def dump(model: Any) -> Any:
    return model.model_dump(mode="json", exclude_unset=True)


def names_of(what: str, names: Any, known: Any) -> list[str]:
    """Unknown and missing keys of a per-tool or per-table mapping."""
    problems = [f"{what}.{n}: unknown name ({suggest(n, known, 'names')})" for n in names if n not in known]
    problems += [f"{what}: missing an entry for {n}" for n in known if n not in names]
    return problems


# --- stage 2: tool schemas ---


def check_tools(reply: ToolsReply) -> list[str]:
    problems = []
    for name, tool in reply.tools.items():
        if not re.fullmatch(NAME, name) or len(name) > MAX_NAME:
            problems.append(f"tools.{name}: tool names are snake_case, at most {MAX_NAME} characters")
        for pname, param in tool.params.items():
            if param.ref is not None and not re.fullmatch(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*", param.ref):
                problems.append(f"tools.{name}.params.{pname}.ref: {param.ref!r} is not 'table.column'")
        problems += [f"tools.{name}.errors.{code}: error codes are snake_case" for code in tool.errors
                     if not re.fullmatch(NAME, code)]
    return problems


# --- stage 3: database ---


def check_database(draft: Draft, reply: DatabaseReply) -> list[str]:
    tables = reply.tables
    problems = names_of("tool_tables", reply.tool_tables, draft.tools)
    if reply.actor not in tables:
        problems.append(f"actor: unknown table {reply.actor!r} ({suggest(reply.actor, tables, 'tables')})")
    for tool, where in reply.tool_tables.items():
        for key, value in [("table", where.table), *((f"reads.{i}", t) for i, t in enumerate(where.reads)),
                           *((f"writes.{i}", t) for i, t in enumerate(where.writes))]:
            if value is not None and value not in tables:
                problems.append(f"tool_tables.{tool}.{key}: unknown table {value!r} ({suggest(value, tables, 'tables')})")
    for name, table in tables.items():  # CHECK text goes into the schema script verbatim
        for column, spec in table.columns.items():
            if spec.check and (";" in spec.check or check_sql(spec.check)):
                problems.append(f"tables.{name}.columns.{column}.check: one SQL expression over the row's columns, "
                                "nothing else (no ';', ATTACH, PRAGMA or VACUUM)")
    for tool, schema in draft.tools.items():
        for pname, param in schema.params.items():
            table, _, column = (param.ref or ".").partition(".")
            if param.ref and (table not in tables or column not in tables[table].columns):
                problems.append(f"the tool schema {tool}.params.{pname} refers to {param.ref}, which this schema "
                                "lacks: add the column or table")
    if problems:
        return problems
    trial = copy(draft, database=reply)
    return diagnose(spec_data(trial, with_seed=False, tools=False), ("tables", "actor"), UNREACHABLE)


# --- stage 4: seed recipe ---


def check_seed(draft: Draft, reply: SeedReply) -> list[str]:
    tables = draft.database.tables
    problems = names_of("tables", reply.tables, tables)
    for name, recipe in reply.tables.items():
        for column, gen in recipe.columns.items():
            if name in tables and column not in tables[name].columns:
                problems.append(f"tables.{name}.columns.{column}: not a column of {name} "
                                f"({suggest(column, tables[name].columns, 'columns')})")
            if gen.expr is not None:
                problems += [f"tables.{name}.columns.{column}.gen.expr: {v}" for v in check_expr(gen.expr)]
    if problems:
        return problems
    return diagnose(spec_data(copy(draft, recipes=reply), tools=False), ("tables",), UNREACHABLE)


# --- stage 5: behaviour ---


def loaded_rows(draft: Draft) -> str:
    """The row models, and per tool the row variables its body sees (as lowering will name them)."""
    lines = [f"row models: {', '.join(model_name(t) for t in draft.database.tables)}"]
    for name, schema in draft.tools.items():
        taken: set[str] = set()
        rows = []
        for pname, param in sorted(schema.params.items(), key=lambda kv: not kv[1].required):
            if param.ref:
                entity = entity_name(pname, param.ref.split(".")[0], taken)
                taken.add(entity)
                rows.append(f"{entity} ({param.ref.split('.')[0]} row)")
        lines.append(f"{name}: {', '.join(rows) or 'no rows'}")
    return "\n".join(lines)


def raised(behaviour: Any) -> set[str]:
    return {r.error for r in behaviour.requires} | set(re.findall(r"fail\(\s*[\"'](\w+)", behaviour.body or ""))


def check_behaviour(draft: Draft, reply: BehaviourReply) -> list[str]:
    problems = names_of("tools", reply.tools, draft.tools)
    if problems:
        return problems
    auto = auto_errors(load_data(spec_data(draft, tools=False)))
    for name, behaviour in reply.tools.items():
        for code in draft.tools[name].errors:
            if code not in raised(behaviour) and code not in auto:
                problems.append(f"tools.{name}.errors.{code}: the schema declares it but nothing raises it; "
                                "add a requires with this error, or raise fail(...) in the body")
    trial = copy(draft, behaviour=dict(reply.tools))
    return problems + diagnose(spec_data(trial, with_tests=False), ("tools", "tables"))


# --- stage 6: tests ---


def check_tests(draft: Draft, reply: TestsReply) -> list[str]:
    problems = [f"tests.{n}: no such tool ({suggest(n, draft.tools, 'tools')})" for n in reply.tests if n not in draft.tools]
    for tool, cases in reply.tests.items():
        for i, case in enumerate(cases):
            problems += [f"tests.{tool}.{i}.setup: {v.message}" for sql in case.setup for v in check_sql(sql)]
    if problems:
        return problems
    trial = copy(draft)
    trial.tests = {n: list(c) for n, c in reply.tests.items()}
    return diagnose(spec_data(trial), ("tools",))


# --- stages 7-8: sandbox and debug ---


def sandbox(draft: Draft) -> dict[str, list[str]]:
    """Sandbox violations per tool (bodies and test setup SQL); such tools are never run."""
    ir = lower(load_data(spec_data(draft)))
    found: dict[str, list[str]] = {}
    for tool in ir.tools:  # the scope is the spec checker's own, so a body that passes here also builds
        problems = [f"body {v}" for v in check_body(tool.body, *body_scope(ir, tool))] if tool.kind == "custom" else []
        problems += [f"test {case.name} setup: {v.message}" for case in tool.tests for sql in case.setup
                     for v in check_sql(sql)]
        if problems:
            found[tool.name] = problems
    return found


def check_debug(draft: Draft, reply: DebugReply, failing: set[str]) -> list[str]:
    problems = [f"fixes.{i}.tool: {f.tool!r} is not failing (failing: {', '.join(sorted(failing))})"
                for i, f in enumerate(reply.fixes) if f.tool not in failing]
    if problems:
        return problems
    trial = copy(draft)
    for fix in reply.fixes:
        trial.apply(fix)
    problems = diagnose(spec_data(trial), ("tools", "tables"))
    if problems:
        return problems
    return [f"tools.{tool}: sandbox: {v}" for tool, found in sandbox(trial).items() if tool in
            {f.tool for f in reply.fixes} for v in found]


def tables_used(tool: dict[str, Any]) -> set[str]:
    """The tables a tool's spec data names: its own, what it reads and writes, what its ids refer to."""
    refs = {p["ref"].split(".")[0] for p in tool.get("params", {}).values() if p.get("ref")}
    own = {tool["table"]} if tool.get("table") else set()
    return own | set(tool.get("reads", [])) | set(tool.get("writes", [])) | refs


def failure_log(failing: dict[str, dict[str, list[Any]]]) -> str:
    """What the Debug Agent reads: per tool, its sandbox violations and unexpected outcomes."""
    lines = []
    for tool, found in sorted(failing.items()):
        lines.append(f"{tool}:")
        lines += [f"  - sandbox: {v}" for v in found["violations"]]
        for o in found["failures"]:
            setup = "; ".join(sql + (f" with {json.dumps(params)}" if params else "") for sql, params in o["setup"])
            lines.append(f"  - case {o['case']!r}: args {json.dumps(o['args'], sort_keys=True)}"
                         + (f"; setup: {setup}" if setup else "") + f"; expected {o['expected']}; got: {o['detail']}")
    return "\n".join(lines)


def binding_text(bindings: list[dict[str, Any]]) -> str:
    """An edge's bindings in one line: `field -> param`, `table.column in [states]`, `writes table`."""
    parts = []
    for b in bindings:
        if "param" in b:
            parts.append(f"{b['field']} -> {b['param']}")
        elif "states" in b:
            parts.append(f"{b['table']}.{b['column']} in [{', '.join(b['states'])}]")
        elif "rows" in b:
            parts.append(f"needs {b['table']} rows")
        else:
            parts.append(f"writes {b['table']}")
    return ", ".join(parts)


def edge_key(edge: str) -> str:
    """An edge name as compared with the candidates: case, spacing and a list dash aside."""
    return " ".join(edge.lower().removeprefix("- ").split())

"""Assemble stage replies into a DomainSpec, and check partial specs the way the compiler will.

A `Draft` holds the latest accepted reply of every stage (debug fixes patch it in place);
`spec_data` merges them into the plain data of a spec. `diagnose` runs the real loader and
`check_spec` on that data (in memory) and returns the problems as deterministic text, which is
what a role gets back when its reply breaks the spec.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import SpecError
from generator.spec.check_bodies import SANDBOX
from generator.spec.load import parse
from generator.spec.models import DomainSpec
from generator.spec.source import Source
from generator.synth.prompts import as_yaml
from generator.synth.replies import (
    Behaviour,
    DatabaseReply,
    DomainReply,
    Fix,
    SeedReply,
    TestsReply,
    ToolSchema,
    ToolsReply,
)


@dataclass
class Draft:
    """The synthesized domain so far, one accepted reply per stage."""

    name: str
    seed: int = 0
    domain: DomainReply | None = None
    tools: dict[str, ToolSchema] = field(default_factory=dict)
    database: DatabaseReply | None = None
    recipes: SeedReply | None = None
    behaviour: dict[str, Behaviour] = field(default_factory=dict)
    tests: dict[str, list[Any]] = field(default_factory=dict)
    dropped: dict[str, str] = field(default_factory=dict)  # tool -> why it was left out

    def accept_tools(self, reply: ToolsReply) -> None:
        self.tools = dict(reply.tools)

    def accept_tests(self, reply: TestsReply) -> None:
        self.tests = {name: list(cases) for name, cases in reply.tests.items()}

    def apply(self, fix: Fix) -> None:
        """Patch one tool with a Debug Agent fix."""
        if fix.params is not None:
            self.tools[fix.tool] = self.tools[fix.tool].model_copy(update={"params": fix.params})
        if fix.behaviour is not None:
            self.behaviour[fix.tool] = fix.behaviour
        if fix.tests is not None:
            self.tests[fix.tool] = list(fix.tests)

    def drop(self, tool: str, why: str) -> None:
        self.dropped[tool] = why

    @property
    def live_tools(self) -> list[str]:
        return [name for name in self.tools if name not in self.dropped]


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json", exclude_unset=True)


def table_data(draft: Draft, with_seed: bool) -> dict[str, Any]:
    tables = {}
    for name, table in draft.database.tables.items():
        data = _dump(table)
        recipe = draft.recipes.tables.get(name) if with_seed and draft.recipes else None
        if recipe is not None:
            for column, gen in recipe.columns.items():
                if column in data["columns"]:
                    data["columns"][column]["gen"] = _dump(gen)
            data["seed"] = _dump(recipe.seed)
        tables[name] = data
    return tables


def tool_data(draft: Draft, name: str, with_tests: bool) -> dict[str, Any]:
    schema, behaviour = draft.tools[name], draft.behaviour[name]
    where = draft.database.tool_tables.get(name)
    data: dict[str, Any] = {"description": schema.description, "kind": behaviour.kind}
    if where is not None and where.table is not None:
        data["table"] = where.table
    if schema.params:
        data["params"] = {p: _dump(param) for p, param in schema.params.items()}
    returns = behaviour.returns or schema.returns
    if returns is not None:
        data["returns"] = _dump(returns)
    reads = behaviour.reads if behaviour.reads is not None else (where.reads if where else [])
    writes = behaviour.writes if behaviour.writes is not None else (where.writes if where else [])
    if reads:
        data["reads"] = list(reads)
    if writes and behaviour.kind == "custom":  # declarative kinds derive their writes from the kind
        data["writes"] = list(writes)
    if behaviour.requires:
        data["requires"] = [_dump(r) for r in behaviour.requires]
    errors = {**schema.errors, **behaviour.errors}
    used = {r.error for r in behaviour.requires} | set(re.findall(r"fail\(\s*[\"'](\w+)", behaviour.body or ""))
    errors = {code: message for code, message in errors.items() if code in used}
    if errors:
        data["errors"] = errors
    for key in ("set", "to", "order_by", "limit", "body", "produces"):
        if key in behaviour.model_fields_set:
            data[key] = _dump(behaviour)[key]
    if with_tests and draft.tests.get(name):
        data["tests"] = [_dump(case) for case in draft.tests[name]]
    return data


def spec_data(draft: Draft, with_seed: bool = True, tools: bool = True, with_tests: bool = True) -> dict[str, Any]:
    """Plain spec data from the accepted replies (tables only while tools are not written yet)."""
    domain = draft.domain
    data: dict[str, Any] = {
        "name": draft.name,
        "title": domain.title,
        "description": domain.description,
        "policy": domain.policy,
        "now": domain.now,
        "seed": draft.seed,
        "actor": draft.database.actor,
        "tables": table_data(draft, with_seed),
        "tools": {},
    }
    if tools:
        data["tools"] = {n: tool_data(draft, n, with_tests) for n in draft.live_tools if n in draft.behaviour}
    return data


def to_yaml(data: dict[str, Any]) -> str:
    """The spec as YAML: keys in declaration order, code bodies as literal blocks."""
    return f"# Synthesized by `python -m generator synthesize {data['name']}`; see domains/synth/README.md.\n{as_yaml(data)}\n"


def diagnose(data: dict[str, Any], prefixes: tuple[str, ...] = ("",), skip: tuple[str, ...] = ()) -> list[str]:
    """Errors the loader and `check_spec` find in spec data, under the given paths, as text. Sandbox
    violations of bodies are left to the sandbox stage, which holds such tools for the Debug Agent."""
    from generator.spec.check import check_spec

    source = Source(Path(f"{data['name']}.yaml"), to_yaml(data))
    try:
        spec = parse(source)
    except SpecError as exc:
        found = exc.diagnostics
    else:
        found = check_spec(spec, source)
    lines = []
    for d in sorted(found, key=lambda d: (d.path, d.message)):
        if d.level != "error" or not d.path.startswith(prefixes) or any(s in d.message for s in (*skip, SANDBOX)):
            continue
        lines.append(f"{d.path}: {d.message}" + (f" (hint: {d.hint})" if d.hint else ""))
    return lines


def load_data(data: dict[str, Any]) -> DomainSpec:
    """The DomainSpec of data that `diagnose` found no error in."""
    return DomainSpec.model_validate(data)

"""Render the IR into the files of a standalone server package: a pure `{path: text}`.

Both `build` (write) and `build --check` (diff) consume this mapping. Python files go
through `ruff format` so the output reads like hand-formatted code and diffs stay small.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import jinja2

from generator import ids
from generator.compile import graph as tdg
from generator.compile.constants import literal, used_names
from generator.compile.ir import DomainIR
from generator.compile.names import script_name, sql_literal

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
JUDGE = Path(__file__).resolve().parents[1] / "judge.py"  # stdlib only: copied into every server as judge.py
IDS = Path(__file__).resolve().parents[1] / "ids.py"  # stdlib only: the seed's and every server's id formats
SERVER_FILES = (
    "__init__.py", "__main__.py", "environment.py", "episodes.py", "gym.py", "models.py", "runtime.py", "server.py",
    "transport.py", "README.md", "pyproject.toml", "hatch_build.py",
)
FILTER_SQL = {"eq": "=", "like": "LIKE", "gte": ">=", "lte": "<="}
FILTER_ARG = {"eq": "{}", "like": 'f"%{{{}}}%"', "gte": "{}", "lte": "{}"}


def pyrepr(value: Any) -> str:
    """A Python literal for a value (tuples and dicts too), for templates."""
    return repr(value)


def docstring(text: str, indent: int) -> str:
    text = text.strip().replace('"""', "'''").replace("\\", "\\\\")
    lines = text.splitlines()
    if len(lines) == 1:
        return f'"""{text}"""'
    pad = " " * indent
    body = "\n".join((pad + line) if line.strip() else "" for line in lines[1:])
    return f'"""{lines[0]}\n{body}\n{pad}"""'


def indent_code(code: str, indent: int) -> str:
    return textwrap.indent(code, " " * indent)


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(pyrepr=pyrepr, docstring=docstring, indent_code=indent_code)
    return env


def ruff_format(files: dict[str, str]) -> dict[str, str]:
    """Format every .py file with ruff (pinned), the way openapi-python-client post-processes."""
    out = dict(files)
    for path, text in files.items():
        if path.endswith(".py"):
            done = subprocess.run(
                [sys.executable, "-m", "ruff", "format", "--line-length", "110", "--stdin-filename", path, "-"],
                input=text,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(f"generated {path} is not valid Python:\n{done.stderr}\n{text}")
            out[path] = done.stdout
    return out


def annotation_sets(ir: DomainIR) -> tuple[list[tuple[str, tuple[bool, bool, bool]]], dict[str, str]]:
    """Named ToolAnnotations constants, one per distinct (read-only, destructive, idempotent)."""
    names = {(True, False, True): "READ"}
    for t in ir.tools:
        key = (t.read_only, t.destructive, t.idempotent)
        if key not in names:
            parts = ["WRITE", "DESTRUCTIVE" if t.destructive else "ADDITIVE", "IDEMPOTENT" if t.idempotent else ""]
            names[key] = "_".join(p for p in parts if p)
    declared = [(n, k) for k, n in names.items() if n != "READ"]
    return declared, {t.name: names[(t.read_only, t.destructive, t.idempotent)] for t in ir.tools}


def seed_sql(ir: DomainIR, rows: dict[str, list[dict[str, Any]]]) -> str:
    """INSERT statements for the seed rows, plus the clock and id sequences."""
    out = ["-- Seed data, generated deterministically from the spec's recipes.", "BEGIN;"]
    for table in ir.tables:
        data = rows.get(table.name, [])
        names = table.column_names
        for start in range(0, len(data), 200):
            values = ",\n".join(
                "  (" + ", ".join("NULL" if r[c] is None else sql_literal(r[c]) for c in names) + ")"
                for r in data[start : start + 200]
            )
            out.append(f"INSERT INTO {table.name} ({', '.join(names)}) VALUES\n{values};")
    out.append(f"INSERT INTO _env (key, value) VALUES ('now', {sql_literal(ir.now)});")
    for table in ir.tables:
        if table.id_format:  # the next id follows the highest one the seed uses (given rows may skip numbers)
            used = [n for r in rows.get(table.name, [])
                    if (n := ids.number(table.id_format, table.id_prefix, table.name, str(r[table.primary_key])))
                    is not None and (n < ids.SCENARIO_SERIALS or table.id_format != "locator")]
            out.append(f"INSERT INTO _id_sequence (tbl, last) VALUES ({sql_literal(table.name)}, {max(used, default=0)});")
    out.append("COMMIT;")
    return "\n".join(out) + "\n"


def constants_module(ir: DomainIR) -> str:
    """The server's `constants.py` (unformatted), or "" when the domain declares no constants or helpers."""
    if not ir.constants and not ir.helpers:
        return ""
    literals = {name: literal(value) for name, value in ir.constants.items()}
    return environment().get_template("server/constants.py.jinja").render(domain=ir, constant_literals=literals)


def schema_sql(ir: DomainIR) -> str:
    parts = [f"-- Schema of the {ir.title} database."]
    for table in ir.tables:
        parts.append("\n".join([f"-- {table.description}", table.create_sql, *table.index_sql]))
    parts.append("-- The clock (key 'now') and other settings of this database.\nCREATE TABLE _env (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;")
    parts.append("-- Last id handed out per table, so generated ids replay exactly.\nCREATE TABLE _id_sequence (tbl TEXT PRIMARY KEY, last INTEGER NOT NULL) STRICT;")
    return "\n\n".join(parts) + "\n"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def template_digest() -> str:
    """One hash over every template file, for provenance."""
    h = hashlib.sha256()
    for path in sorted(TEMPLATES.rglob("*.jinja")):
        h.update(path.relative_to(TEMPLATES).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def render(ir: DomainIR, rows: dict[str, list[dict[str, Any]]], spec_text: str) -> dict[str, str]:
    """Every file of `generated_servers/<domain>/`, keyed by path relative to that folder."""
    env = environment()
    graph = tdg.build_graph(ir)
    declared, annotation_names = annotation_sets(ir)
    tables = {t.name: t for t in ir.tables}
    row_models = [t.model for t in ir.tables]
    model_imports = sorted(set(row_models) | {m.name for m in ir.models} | {m.name for m in ir.item_models})
    instructions = ir.description + ("\n\nPolicy:\n" + ir.policy if ir.policy else "")
    context = dict(
        domain=ir,
        tables=tables,
        table_of=lambda t: tables.get(t.table),
        model_imports=model_imports,
        shared_imports=used_names(ir),
        annotation_sets=declared,
        annotation_names=annotation_names,
        instructions=instructions,
        script=script_name(ir.name),
        signatures=" ".join(p.annotation for t in ir.tools for p in t.params),
        model_annotations=" ".join(
            [c.annotation for t in ir.tables for c in t.columns]
            + [f.annotation for m in ir.models + ir.item_models for f in m.fields]
        ),
        id_formats={t.name: (t.id_format, t.id_prefix, t.primary_key) for t in ir.tables if t.id_format},
        filter_sql=FILTER_SQL,
        filter_arg=FILTER_ARG,
        row_counts={t.name: len(rows.get(t.name, [])) for t in ir.tables},
        mermaid=tdg.to_mermaid(graph),
        edge_counts={k: sum(1 for *_, kind in graph.edges(keys=True) if kind == k) for k in tdg.KINDS},
    )
    files = {name: env.get_template(f"server/{name}.jinja").render(context) for name in SERVER_FILES}
    if shared := constants_module(ir):
        files["constants.py"] = shared
    files = ruff_format(files | {"judge.py": JUDGE.read_text()})
    files["ids.py"] = IDS.read_text()  # kept in the generated style (the golden test checks), so copied as is
    files["schema.sql"] = schema_sql(ir)
    files["seed.sql"] = seed_sql(ir, rows)
    files["graph.json"] = tdg.to_json(graph)
    files["graph.mmd"] = tdg.to_mermaid(graph)
    files["graph.html"] = tdg.to_html(graph, ir.title)
    provenance = {
        "domain": ir.name,
        "version": ir.version,
        "spec_sha256": digest(spec_text),
        "templates_sha256": template_digest(),
        "files": {path: digest(text) for path, text in sorted(files.items())},
    }
    files["provenance.json"] = json.dumps(provenance, indent=2, sort_keys=True) + "\n"
    return dict(sorted(files.items()))

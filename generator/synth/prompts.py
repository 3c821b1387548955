"""Every prompt of the synthesis roles: one system text per role, and the user messages.

A user message is the stage's instruction, its context (earlier replies as YAML) and the
reply format: the JSON Schema of the stage's pydantic reply model. Prompts are part of each
cache key, so a change here means re-recording: `python -m generator.synth.record transcripts/<d>`.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from generator.synth.examples import EXAMPLES
from generator.synth.replies import REPLIES

PREAMBLE = (
    "You are one role in ScaleEnv, a pipeline that turns a domain name into an executable tool-use "
    "environment: tools over a SQLite database, served over MCP, tested procedurally. "
)
SYSTEM = {
    "domain": "You are the Domain Architect. You define a realistic service domain an assistant agent works in: "
    "who the users are, what they ask for, and the business rules the agent must follow.",
    "tools": "You are the Tool Designer. You design the tool interface of a domain top-down: precise descriptions, "
    "typed parameters, result shapes, pre- and postconditions that name other tools, and the errors each tool raises.",
    "database": "You are the Database Agent. You derive one deduplicated relational schema that every tool needs, "
    "tag each column with the policy used to compare states, and map each tool to the tables it reads and writes.",
    "seed": "You are the Data Agent. You write a deterministic recipe that fills the database with a few hundred "
    "realistic rows that satisfy every key, UNIQUE and CHECK constraint.",
    "behaviour": "You are the Code Agent. You implement each tool: a declarative kind where one fits, otherwise a "
    "short Python body. Business rules become declared preconditions whenever they can.",
    "tests": "You are the Test Agent. You write unit tests for the tools that the derived cases cannot cover: "
    "each with the setup SQL that makes its database instance, and the exact expected state change or rejection.",
    "debug": "You are the Debug Agent. A tool failed its procedural tests or the code sandbox. From the failure log "
    "you decide whether the tool or its test data is wrong, and fix that one.",
    "edges": "You are the Graph Agent. You judge candidate edges of the tool dependency graph: does the source "
    "tool's output or state change really enable the target tool?",
}
RUNTIME = """Runtime of a custom body (statements inside `async def tool(...)`, already in one transaction):
- every param is a local variable; a param with `ref` (e.g. pet_id -> pets.pet_id) is loaded first into a
  row dict named after it without `_id` (`pet`), and a missing row fails with `<table>_not_found` automatically;
- declared `requires` run before the body; `db.now` and `db.today` are the fixed clock (ISO text);
- `await db.fetch_one(sql, params)` -> dict | None, `await db.fetch_all(sql, params)` -> list[dict],
  `await db.execute(sql, params)` -> rowcount, `await db.insert(table, {column: value})`,
  `await db.update(table, key_column, key, {column: value})`, `await db.new_id(table)` -> the next id;
- fail with `raise fail("code", placeholder=value, ...)`, passing every {placeholder} of the code's message;
- return a row model (the table's singular CamelCase name, e.g. `Appointment(**row)`), a `<Model>List(items=[...],
  count=n)` for `returns: {table: T, many: true}`, or the tool's `<ToolName>Result(...)` for `returns: {fields: ...}`;
- only the names above, safe builtins and the modules datetime, math, re, json, statistics, decimal, itertools,
  string are available: no other imports, files, network, processes, reflection, print, or wall clock."""
KINDS = """Kinds: get (one row by its key param), list (rows filtered by params: filter eq|like|gte|lte on
`column`), create (insert from params + `set`; ids from the table's id_prefix), update (optional params change
columns), transition (move the status column `to` a state along the table's transitions), delete, custom (body).
`requires`: [{entity, column, op: in|not_in|eq|ne|gt|gte|lt|lte, value: literal | [..] | $param | $entity.column |
$now | $today | "$now - 60 days", error: code}] on loaded rows (entity may follow one foreign key: `slot.provider`);
{param, op, value, error} on an argument; {unique: table, where: {column: value | [states]}, error} when no other row
may match (one open ticket per order); `set`: {column: literal | $param | $now | $today}; `produces`: {table: [states a custom
tool leaves rows in]}."""
SEED_LANGUAGE = """Rows: `{rows: N}`, or `{per: parent_table, count: [lo, hi]}` rows for each parent row; `after: [tables]`
that an expr reads with lookup. One generator per column: `seq: "U{n:04d}"`; `faker: provider` with `args` (name,
unique.email, phone_number, street_address, city, company, sentence, ...); `choice: [..]` with optional `weights`;
`int`/`real`/`date`/`datetime: [lo, hi]` (inclusive, ISO text for dates; reals rounded to cents); `ref: table.column`
(a random existing row); `parent: column` (copied from the parent row of `per`); `const`; `expr`: one Python expression
over `row` (this row's columns declared before it), `parent`, `rng` (random.Random), `fake` (Faker), `lookup(table,
key)` (a row of a table filled earlier), `rows` (every row so far, by table), `timedelta`, `date`, `datetime`, `round`,
`min`, `max`, `len`, `sum`, `int`, `str`; nothing else. `null_rate` leaves that share of a nullable column empty.
Leave out primary keys with an id_prefix (generated) and foreign keys to pick a random parent row (the row of `per`
when it is that table). Every CHECK, UNIQUE and enum must hold on every row."""
EXPECTATIONS = """A test calls the tool once on a fresh copy of the FULL seed database (many more rows than the sample) after
its `setup` SQL, which puts the rows the case needs into the state it needs (never assume a row is the only one of its
kind). `expect` is either `{error: code}`: the call is refused with that code and nothing changes; or a success:
`changes` gives the exact rows inserted/updated/deleted per table by the call ({} for none; every table not listed must
not change); `rows` checks after the call that the FIRST row of `table` matching every `where` column has `values`
(so `where` names the key, or a value no seeded row shares); `result` checks fields of what the tool returns."""
TASKS = {
    "domain": "Define the domain {name!r}. Pick a fixed clock (`now`) in 2026. The policy lists 3-6 concrete rules.",
    "tools": "Design 10-16 tools for this domain: reads (get/list/search) and writes with real business rules. "
    "Name params after the columns they set or filter; id params end in `_id` and give `ref: table.column` "
    "(name the tables you expect). Give non-id scalar params an `example` valid on a typical database.",
    "database": "Derive the tables the tools need (4-6 tables), with typed columns, keys, enums, status transitions "
    "and a match policy per column (exempt: generated ids and bookkeeping; hard: exact values; semantic: free "
    "text). Every `ref` of a tool must name a column here. Map every tool to its main table, reads and writes.",
    "seed": "Write the seed recipe: rows per table and a generator for every other column. Aim for 200-500 rows in "
    "total.\n" + SEED_LANGUAGE,
    "behaviour": "Implement every tool. Use a declarative kind whenever one fits; enforce business rules as "
    "`requires` when they compare a loaded row; write a custom body only for logic the kinds cannot say.\n"
    + KINDS + "\n" + RUNTIME,
    "tests": "Write tests for every custom tool that writes (at least one success with expected `changes` and "
    "`rows`, and one per rule the body enforces) and for any rule the derived cases miss. Ids in the sample rows "
    "exist.\n" + EXPECTATIONS,
    "debug": "Fix every failing tool below. A failure is either a wrong tool (behaviour or params) or wrong test data "
    "(setup, args or expectations); fix the one that disagrees with the tool's description and the domain policy. "
    "Sandbox violations must be rewritten with the allowed runtime.\n" + RUNTIME + "\n" + EXPECTATIONS,
    "edges": "Each candidate edge below was computed from declared inputs, outputs and tables. Confirm an edge when "
    "calling the source first can supply an argument or create the state the target needs in a real conversation; "
    "reject it otherwise (give the reason). Copy each edge exactly as listed; an edge you leave out keeps its computed "
    "verdict (confirmed).",
}


def schema_text(role: str) -> str:
    return json.dumps(REPLIES[role].model_json_schema(), sort_keys=True, separators=(",", ":"))


class Dumper(yaml.SafeDumper):
    """YAML as people write specs: keys in order, short leaf mappings and lists on one line,
    multi-line text (code bodies) as literal blocks."""


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float)) or isinstance(value, str) and "\n" not in value


def _short(value: Any) -> bool:
    return len(json.dumps(value, default=str)) <= 100


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


def _dict(dumper: yaml.SafeDumper, value: dict) -> yaml.Node:
    leaf = all(_scalar(v) or isinstance(v, list) and all(map(_scalar, v)) for v in value.values())
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=bool(value) and leaf and _short(value))


def _list(dumper: yaml.SafeDumper, value: list) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=all(map(_scalar, value)) and _short(value))


Dumper.add_representer(str, _str)
Dumper.add_representer(dict, _dict)
Dumper.add_representer(list, _list)


def as_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=110).strip()


def messages(role: str, context: dict[str, Any], **fmt: Any) -> list[dict[str, Any]]:
    """The opening messages of one stage call: system role text, then task, context and format."""
    task = TASKS[role].format(**fmt) if fmt else TASKS[role]  # only the domain task has a {name}
    sections = [f"## Task\n{task}"]
    for title, value in context.items():
        body = value if isinstance(value, str) else as_yaml(value)
        sections.append(f"## {title}\n{body}")
    example = json.dumps(EXAMPLES[role], ensure_ascii=False, separators=(",", ":"))
    sections.append(f"## Example reply (another domain, shortened)\n```json\n{example}\n```")
    sections.append(
        "## Reply format\nReply with one JSON object and nothing else, valid against this JSON Schema:\n"
        f"```json\n{schema_text(role)}\n```"
    )
    return [{"role": "system", "content": PREAMBLE + SYSTEM[role]}, {"role": "user", "content": "\n\n".join(sections)}]


CONTINUE = {
    "role": "user",
    "content": "Your reply was cut off at the token limit. Continue it exactly where it stopped: no preamble, "
    "nothing repeated.",
}


def feedback(problems: list[str]) -> dict[str, Any]:
    """The user turn that sends an invalid reply back with what is wrong."""
    listed = "\n".join(f"- {p}" for p in problems)
    return {
        "role": "user",
        "content": f"Your reply (above) was not accepted:\n{listed}\n\nReply again with the complete corrected JSON object.",
    }

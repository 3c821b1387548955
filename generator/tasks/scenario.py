"""The scenario format: a verifiable task that a third party can replay without our code.

A scenario names the environment it was made for (`env_hash`), the initial state to apply
on top of the domain's seed database, the user's side (profile, instruction, what they
know), the gold actions that were executed, read-only SQL checks with exact expected rows,
the negative controls that prove the checks reject wrong behaviour and the valid
alternatives that prove they accept right behaviour done another way.

SQL checks run on the end state with the initial state attached read-only as schema
`initial`, so a check can compare what changed (`initial_attached`).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from generator.judge import carries, judge
from generator.sandbox import SqlRefused, guard_sql

STATE = ("sql", "text")  # check kinds read from the end state; `answer` reads the agent's messages


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Action(Model):
    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class Statement(Model):
    """One parameterized SQL statement of the initial state."""

    sql: str
    params: list[Any] = Field(default_factory=list)


class InitialState(Model):
    """Applied in order on top of the domain's seed database."""

    statements: list[Statement] = Field(default_factory=list)
    description: str = ""


class User(Model):
    profile: dict[str, Any] = Field(description="who the user is and what they know (ids, names)")
    instruction: str = Field(description="the goal in the user's words")
    known_info: list[str] = Field(default_factory=list, description="facts the user can tell when asked")
    unknown_info: list[str] = Field(default_factory=list, description="facts the user does not know")
    behaviour: list[str] = Field(
        default_factory=list,
        description="rules for whoever plays the user: when to give a detail, what to do if the agent refuses, "
        "what to make sure of, when to end")


class Check(Model):
    """`sql`: a read-only SELECT with named params whose rows must equal `expect` exactly. It
    runs on the episode's end state (schema `main`) with the episode's initial state (the
    seed plus `initial_state`) attached read-only as schema `initial`.

    A whole-state check (`table` set) returns the rows of one table that differ between the
    two states, on the compared columns (exempt columns left out, hard ones exact, semantic
    ones trimmed and lower-cased), as `[change, key, column values..., count]` with change
    `-` (a row as it was, removed or changed) or `+` (a row as it is now, changed or added),
    sorted. Rows that did not exist in the initial state are matched by content: their
    generated key, and references to other new rows, read `(new)`. Every domain table has
    one, so any write the gold does not make fails a check.

    `answer`: the agent's messages to the user must state the value in `expect` (`[[value]]`,
    like SQL results, so every scenario's `expect` has one shape) in some natural form: every
    group of `accept` has one of its phrases in the normalized reply, no phrase of `reject` (a
    competing value of the same field) stands beside it, and the reply is not a raw record
    dump (`generator/judge.py`, copied into every server). A decline check (`expect` `[["declined"]]`)
    accepts any way of saying no ("I can't", "that's against our policy"): where a request must be
    declined, doing nothing is not enough, the agent must tell the user.

    `text`: free text the agent composes itself (a ticket, a note: a `composed` column, which
    whole-state checks see only as `(kept)` or `(written)`) is checked by the facts it must
    carry, not its wording: `sql` returns the texts written (one column), and the check passes
    when one of them has, for every group of `accept`, one of its phrases in the normalized text
    (`carries` in `generator/judge.py`). `expect` holds the gold's own text, for reading.
    """

    id: str
    kind: Literal["sql", "answer", "text"] = "sql"
    sql: str = ""
    params: dict[str, Any] = Field(default_factory=dict)
    expect: list[Any] = Field(default_factory=list)
    table: str | None = Field(
        default=None, description="for a whole-state or text check: the table whose changes it compares or reads")
    accept: list[list[str]] = Field(
        default_factory=list,
        description="for an answer or text check: groups of normalized phrases; each group must appear")
    reject: list[str] = Field(
        default_factory=list, description="for an answer check: normalized phrases of competing values")
    description: str = ""


class Trajectory(Model):
    """A named action list replayed from the initial state, as a control or an alternative."""

    name: str
    kind: str = Field(description="what it exercises, e.g. extra_write_same_user, reordered_writes")
    actions: list[Action]


class Validation(Model):
    negative_controls: list[Trajectory] = Field(
        default_factory=list, description="wrong trajectories: each fails at least one SQL check")
    valid_alternatives: list[Trajectory] = Field(
        default_factory=list, description="right trajectories other than the gold: each passes every SQL check")
    gold_passes: bool = True
    controls_fail: bool = True


class Metadata(Model):
    kind: Literal["action", "multi_goal", "information", "refusal", "policy_refusal"]
    chain: list[str] = Field(description="tools of the seed chain(s), in order")
    subgraph: dict[str, Any] = Field(default_factory=dict, description="expanded TDG subgraph: nodes and edges")
    distractors: list[dict[str, Any]] = Field(default_factory=list)
    difficulty: Literal["easy", "medium", "hard"]
    goals: list[str] = Field(default_factory=list)
    declined: list[dict[str, Any]] = Field(
        default_factory=list,
        description="requests the agent must decline although the tool would do them: tool and reason")


class Scenario(Model):
    id: str
    domain: str
    env_hash: str = Field(description="content hash of the generated server it was made for")
    seed: int
    now: str
    user: User
    initial_state: InitialState
    gold_actions: list[Action]
    checks: list[Check]
    validation: Validation
    metadata: Metadata


def scenario_json_schema() -> str:
    return json.dumps(Scenario.model_json_schema(), indent=2, sort_keys=True) + "\n"


def dump(scenario: Scenario) -> str:
    """The one JSON writer for scenarios: sorted keys, stable layout, trailing newline."""
    return json.dumps(scenario.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def dump_line(scenario: Scenario) -> str:
    """One JSONL line: the form `tasks/<domain>/scenarios.jsonl` stores (loads with HF datasets)."""
    return json.dumps(scenario.model_dump(mode="json"), sort_keys=True, ensure_ascii=False) + "\n"


def load_scenarios(path: Path) -> list[Scenario]:
    """Scenarios from a .json file, a .jsonl file, or a folder of them."""
    if path.is_dir():
        return [s for p in sorted(path.glob("*.json*")) for s in load_scenarios(p)]
    text = path.read_text()
    if path.suffix == ".jsonl":
        return [Scenario.model_validate_json(line) for line in text.splitlines() if line.strip()]
    return [Scenario.model_validate_json(text)]


@contextmanager
def initial_attached(conn: sqlite3.Connection, initial: bytes) -> Iterator[sqlite3.Connection]:
    """`conn` with a database image attached as schema `initial` (what whole-state checks compare
    against) for the duration; `conn` is left as it was."""
    conn.execute("ATTACH DATABASE ':memory:' AS initial")
    try:
        conn.deserialize(initial, name="initial")
        yield conn
    finally:
        conn.execute("DETACH DATABASE initial")


def run_checks(end: sqlite3.Connection, initial: bytes, scenario: Scenario,
               said: str | None = None) -> list[dict[str, Any]]:
    """Evaluate every check on the end state (a connection the caller owns) against the initial
    state's image; answer checks need the agent's text."""
    with initial_attached(end, initial), guard_sql(end) as run:
        return [evaluate(run, check, said) for check in scenario.checks]


def sql_checks_pass(end: sqlite3.Connection, initial: bytes, scenario: Scenario, first: set[str] = frozenset()) -> bool:
    """Whether every check on the end state passes, stopping at the first that fails (for
    replaying controls); checks of the tables in `first` (those the replayed calls write) run first."""
    checks = sorted((c for c in scenario.checks if c.kind in STATE), key=lambda c: c.table not in first)
    with initial_attached(end, initial), guard_sql(end) as run:
        return all(evaluate(run, c, None)["passed"] for c in checks)


def sql_results(results: list[dict[str, Any]], scenario: Scenario) -> list[dict[str, Any]]:
    """The results of the checks on the end state only (answer checks need a transcript)."""
    kinds = {c.id: c.kind for c in scenario.checks}
    return [r for r in results if kinds[r["id"]] in STATE]


def unchanged(run: Callable[[str, Any], list[Any]], table: str) -> bool:
    """Whether `table` holds exactly the rows it held in schema `initial` (about 3x cheaper than
    the whole-state diff, which it lets `evaluate` skip)."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", table):
        return False
    return not run(f"SELECT EXISTS (SELECT * FROM main.{table} EXCEPT SELECT * FROM initial.{table}) "
                   f"OR EXISTS (SELECT * FROM initial.{table} EXCEPT SELECT * FROM main.{table})", {})[0][0]


def evaluate(run: Callable[[str, Any], list[Any]], check: Check, said: str | None) -> dict[str, Any]:
    """One check's result (SQL through `run`, a `guard_sql` runner: read only, bounded); a failing
    whole-state check names its table and the rows that differ."""
    if check.kind == "answer":
        passed, reason = judge(said or "", check.accept, check.reject)
        return {"id": check.id, "passed": passed, "reason": reason}
    try:
        if check.kind == "sql" and check.table and unchanged(run, check.table):
            rows = []  # what a whole-state check returns for a table whose rows are all as they were
        else:
            rows = [list(r) for r in run(check.sql, check.params)]
    except (sqlite3.Error, SqlRefused) as exc:
        return {"id": check.id, "passed": False, "error": str(exc)}
    if check.kind == "text":
        verdicts = [carries("" if r[0] is None else str(r[0]), check.accept) for r in rows] or \
            [(False, "no text written")]
        passed = any(ok for ok, _ in verdicts)
        return {"id": check.id, "passed": passed, "got": rows, "expect": check.expect,
                "reason": "ok" if passed else verdicts[0][1]}
    result = {"id": check.id, "passed": rows == check.expect, "got": rows, "expect": check.expect}
    if check.table is not None and rows != check.expect:
        result |= {"table": check.table, "unexpected": [r for r in rows if r not in check.expect],
                   "missing": [r for r in check.expect if r not in rows]}
    return result

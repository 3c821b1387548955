"""The scenario format: a verifiable task that a third party can replay without our code.

A scenario names the environment it was made for (`env_hash`), the initial state to apply
on top of the domain's seed database, the user's side (profile, instruction, what they
know), the gold actions that were executed, read-only SQL checks with exact expected rows,
and the negative controls that prove the checks reject wrong behaviour.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


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


class Check(Model):
    """`sql`: a read-only SELECT with named params whose rows must equal `expect` exactly.

    `answer`: the agent's messages to the user must mention every value in `expect` (rows of
    values, like SQL results, so every scenario's `expect` has one shape).
    """

    id: str
    kind: Literal["sql", "answer"] = "sql"
    sql: str = ""
    params: dict[str, Any] = Field(default_factory=dict)
    expect: list[Any] = Field(default_factory=list)
    description: str = ""


class NegativeControl(Model):
    name: str
    actions: list[Action]


class Validation(Model):
    negative_controls: list[NegativeControl] = Field(default_factory=list)
    gold_passes: bool = True
    controls_fail: bool = True


class Metadata(Model):
    kind: Literal["action", "multi_goal", "information", "refusal"]
    chain: list[str] = Field(description="tools of the seed chain(s), in order")
    subgraph: dict[str, Any] = Field(default_factory=dict, description="expanded TDG subgraph: nodes and edges")
    distractors: list[dict[str, Any]] = Field(default_factory=list)
    difficulty: Literal["easy", "medium", "hard"]
    goals: list[str] = Field(default_factory=list)


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


def run_checks(conn: sqlite3.Connection, scenario: Scenario, said: str | None = None) -> list[dict[str, Any]]:
    """Evaluate every check on a (read-only) connection; answer checks need the agent's text."""
    results = []
    for check in scenario.checks:
        if check.kind == "sql":
            try:
                rows = [list(r) for r in conn.execute(check.sql, check.params).fetchall()]
            except sqlite3.Error as exc:
                results.append({"id": check.id, "passed": False, "error": str(exc)})
                continue
            results.append({"id": check.id, "passed": rows == check.expect, "got": rows, "expect": check.expect})
        else:
            text = (said or "").lower()
            missing = [v for row in check.expect for v in row if str(v).lower() not in text]
            results.append({"id": check.id, "passed": said is not None and not missing, "missing": missing})
    return results

"""The reply each synthesis role must give, as strict pydantic models.

Every model maps field for field onto `generator.spec.models`, and reuses its classes (Param,
Returns, Require, Gen, TableSeed, TestCase) where a stage produces one, so assembling a
DomainSpec from the replies is a dictionary merge (`assemble.py`). A reply that does not
validate is sent back to its role with the validation errors.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from generator.spec.models import (
    NAME,
    ColumnType,
    Gen,
    Kind,
    Param,
    Policy,
    Require,
    Returns,
    Strict,
    TableSeed,
    TestCase,
)


class DomainReply(Strict):
    """Stage 1 (domain definition): what the domain is and the rules an agent must follow."""

    name: str = Field(pattern=NAME)
    title: str
    description: str = Field(min_length=20)
    keywords: list[str] = Field(min_length=3, description="sub-areas the tools should cover")
    policy: str = Field(description="rules the agent is told; each one is enforced by some tool")
    now: str = Field(description="the domain's fixed clock, ISO datetime like 2026-03-01T09:00:00")

    @field_validator("now")
    @classmethod
    def _iso(cls, value: str) -> str:
        dt.datetime.fromisoformat(value)
        return value


class ToolSchema(Strict):
    """One tool's interface (stage 2); `ref` names the 'table.column' an id refers to."""

    description: str
    params: dict[str, Param] = Field(default_factory=dict)
    returns: Returns | None = None
    preconditions: list[str] = Field(default_factory=list, description="what must hold first, naming other tools")
    postconditions: list[str] = Field(default_factory=list, description="what holds after a successful call")
    errors: dict[str, str] = Field(default_factory=dict, description="error code -> message telling what to fix")


class ToolsReply(Strict):
    tools: dict[str, ToolSchema] = Field(min_length=4)


class ColumnDraft(Strict):
    """A column of stage 3: `spec.Column` without its seed generator (stage 4 adds `gen`)."""

    type: ColumnType
    description: str = ""
    references: str | None = None
    nullable: bool = False
    unique: bool = False
    check: str | None = None
    enum: list[str] | None = None
    default: Any = None
    policy: Policy = "hard"


class TableDraft(Strict):
    """A table of stage 3: `spec.Table` without its seed recipe."""

    description: str
    primary_key: str
    id_prefix: str | None = Field(None, pattern=r"^[A-Z]{1,4}$")
    columns: dict[str, ColumnDraft] = Field(min_length=2)
    unique: list[list[str]] = Field(default_factory=list)
    status_column: str | None = None
    transitions: dict[str, list[str]] = Field(default_factory=dict)
    initial_states: list[str] = Field(default_factory=list)


class ToolTables(Strict):
    """Where a tool works: its main table and the other tables it reads and writes."""

    table: str | None = None
    reads: list[str] = Field(default_factory=list)
    writes: list[str] = Field(default_factory=list)


class DatabaseReply(Strict):
    """Stage 3 (the Database Agent): one deduplicated schema plus the tool -> tables map."""

    tables: dict[str, TableDraft] = Field(min_length=2)
    actor: str = Field(description="the table of the people the agent serves")
    tool_tables: dict[str, ToolTables]


class TableRecipe(Strict):
    seed: TableSeed
    columns: dict[str, Gen] = Field(default_factory=dict, description="generator per column")


class SeedReply(Strict):
    """Stage 4: how many rows each table gets and how every column is filled."""

    tables: dict[str, TableRecipe]


class Behaviour(Strict):
    """Stage 5 (the Code Agent): a declarative kind where one fits, else a custom body."""

    kind: Kind
    requires: list[Require] = Field(default_factory=list)
    errors: dict[str, str] = Field(default_factory=dict, description="codes added to the tool's schema errors")
    set: dict[str, Any] = Field(default_factory=dict)
    to: str | None = None
    order_by: list[str] = Field(default_factory=list)
    limit: int = Field(50, ge=1, le=500)
    body: str | None = None
    produces: dict[str, list[str]] = Field(default_factory=dict)
    returns: Returns | None = None
    reads: list[str] | None = Field(None, description="replaces the reads of the tool map when given")
    writes: list[str] | None = Field(None, description="replaces the writes of the tool map when given")

    @model_validator(mode="after")
    def _body_iff_custom(self) -> Behaviour:
        if (self.kind == "custom") != (self.body is not None):
            raise ValueError("kind custom needs a body, and only kind custom may have one")
        return self


class BehaviourReply(Strict):
    tools: dict[str, Behaviour]


class TestsReply(Strict):
    """Stage 6 (the Test Agent): cases with setup SQL, expected state diffs or rejections."""

    tests: dict[str, list[TestCase]]


class Fix(Strict):
    """One repair by the Debug Agent: the tool (behaviour, params) or its tests."""

    tool: str
    diagnosis: str = Field(min_length=10)
    target: Literal["tool", "tests"]
    params: dict[str, Param] | None = None
    behaviour: Behaviour | None = None
    tests: list[TestCase] | None = None

    @model_validator(mode="after")
    def _has_change(self) -> Fix:
        if self.target == "tool" and self.behaviour is None and self.params is None:
            raise ValueError("a fix of the tool gives behaviour and/or params")
        if self.target == "tests" and self.tests is None:
            raise ValueError("a fix of the tests gives the full new tests list")
        return self


class DebugReply(Strict):
    fixes: list[Fix] = Field(min_length=1)


class EdgeRejection(Strict):
    edge: str
    reason: str


class EdgesReply(Strict):
    """Stage 9: every candidate edge (`source -> target [kind]`) confirmed or rejected."""

    confirmed: list[str]
    rejected: list[EdgeRejection] = Field(default_factory=list)


REPLIES: dict[str, type[Strict]] = {
    "domain": DomainReply,
    "tools": ToolsReply,
    "database": DatabaseReply,
    "seed": SeedReply,
    "behaviour": BehaviourReply,
    "tests": TestsReply,
    "debug": DebugReply,
    "edges": EdgesReply,
}
ROLES = tuple(REPLIES)

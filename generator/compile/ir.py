"""The one intermediate representation: frozen dataclasses that every later stage reads.

Templates, procedural tests, the graph and the task expander all consume these, never the
raw spec, so a renamed tool or column cannot drift between server and scenarios. Every
decision (SQL text, Python annotations, error codes) is made in `lower.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ColumnIR:
    name: str
    type: str  # spec column type: text, integer, real, boolean, date, datetime
    sql: str  # column definition inside CREATE TABLE
    annotation: str  # Python type in the row model
    description: str
    nullable: bool
    policy: str
    enum: tuple[str, ...] | None
    references: tuple[str, str] | None
    unique: bool
    default: Any
    hidden: bool = False  # never returned by a tool: not in the row model


@dataclass(frozen=True)
class TableIR:
    name: str
    model: str  # row model class name
    description: str
    primary_key: str
    id_prefix: str | None
    columns: tuple[ColumnIR, ...]
    create_sql: str
    status_column: str | None
    transitions: dict[str, tuple[str, ...]]
    initial_states: tuple[str, ...]
    described_as: tuple[str, ...] = ()  # how a person names a row whose id they do not hold
    unique_groups: tuple[tuple[str, ...], ...] = ()  # the table's UNIQUE (a, b, ...) constraints

    def column(self, name: str) -> ColumnIR:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True)
class ParamIR:
    name: str
    type: str  # spec param type
    annotation: str  # Python annotation inside Annotated[...]
    field: str  # the pydantic Field(...) call
    description: str
    required: bool
    default: Any
    enum: tuple[Any, ...] | None
    ref: tuple[str, str] | None  # (table, column)
    column: str | None  # the column it sets or filters, when it names one of the tool's table
    filter: str
    example: Any
    minimum: float | None
    item_fields: tuple[ParamIR, ...] = ()
    item_ref: tuple[str, str] | None = None  # scalar items: the (table, column) each id refers to


@dataclass(frozen=True)
class LoadIR:
    """An entity fetched by a ref param before the checks run (its absence is an error)."""

    entity: str
    table: str
    column: str
    param: str
    required: bool
    sql: str
    error: str


@dataclass(frozen=True)
class HopIR:
    """A row one foreign key beyond a loaded one (`slot.provider`), fetched before the checks."""

    entity: str  # its variable: slot_provider
    source: str  # the loaded entity it starts from: slot
    fk: str  # the source's column that names it: provider_id
    table: str
    column: str  # the column the foreign key references
    sql: str
    guarded: bool  # the source may be None or the foreign key NULL: the variable may be None
    fetched: bool = True  # the generated code fetches it (a checked rule or the body reads it)


@dataclass(frozen=True)
class CheckIR:
    """A declared precondition; `failed` is the Python expression that is true when it fails.

    kind `column`: `entity[column] OP value`; `param`: `args[param] OP value`; `unique`: no row
    of `table` (other than the one the tool acts on, `exclude`) matches `where`.
    """

    entity: str  # the loaded row (or hop) it is on; for `unique` a name for the clashing row
    table: str
    column: str
    op: str
    value: Any  # literal, list, `$param`, `$entity.column`, the clock (`$now - 60 days`)
    failed: str  # Python expression that is true when the precondition fails
    error: str
    fmt: str  # keyword arguments for fail(...)
    kind: str = "column"
    param: str | None = None
    where: tuple[tuple[str, Any], ...] = ()  # unique: column -> value (a tuple: one of)
    exclude: tuple[str, str] | None = None  # unique: (primary key, param) of the row the tool acts on


@dataclass(frozen=True)
class ErrorIR:
    code: str
    message: str  # str.format template with {name} and {entity[column]}
    pattern: str  # regex that recognises the rendered message


@dataclass(frozen=True)
class ResultFieldIR:
    name: str
    annotation: str
    description: str


@dataclass(frozen=True)
class ModelIR:
    """A result or input model; `base` is a row model it extends, if any."""

    name: str
    description: str
    fields: tuple[ResultFieldIR, ...]
    base: str | None = None


@dataclass(frozen=True)
class ToolIR:
    name: str
    kind: str
    description: str
    table: str | None
    params: tuple[ParamIR, ...]
    loads: tuple[LoadIR, ...]
    checks: tuple[CheckIR, ...]
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    errors: tuple[str, ...]  # codes this tool may raise, in declaration order
    returns: str  # result model name
    returns_table: str | None
    returns_many: bool
    includes: tuple[tuple[str, str, str], ...]  # (field, child table, child fk column)
    read_only: bool
    destructive: bool
    idempotent: bool
    key: str | None = None  # param holding the primary key of `table`
    set_values: dict[str, str] = field(default_factory=dict)  # column -> Python expression
    set_spec: dict[str, Any] = field(default_factory=dict)  # column -> spec value ($param, $now, literal)
    to_state: str | None = None
    state_error: str | None = None
    produces: dict[str, tuple[str, ...]] = field(default_factory=dict)  # table -> states (custom)
    result_refs: dict[str, tuple[str, str]] = field(default_factory=dict)  # result field -> (table, column)
    from_states: tuple[str, ...] = ()
    order_by: str = ""
    limit: int = 50
    body: str = ""
    tests: tuple[Any, ...] = ()  # spec TestCase objects (plain data)
    policy_checks: tuple[CheckIR, ...] = ()  # rules the policy states and only the agent enforces
    principals: tuple[str, ...] = ("user",)  # who may ask for the tool
    asks: tuple[str, ...] = ()  # the user's own phrasings of a request for this tool
    reasons: tuple[str, ...] = ()  # why a user asks, for {reason}
    hops: tuple[HopIR, ...] = ()  # rows one foreign key beyond a loaded one, which checks use
    stories: tuple[Any, ...] = ()  # spec Story objects: what happened, for {story}, with the facts texts carry


@dataclass(frozen=True)
class DomainIR:
    name: str
    title: str
    version: str
    description: str
    policy: str
    now: str
    seed: int
    tables: tuple[TableIR, ...]
    tools: tuple[ToolIR, ...]
    models: tuple[ModelIR, ...]
    item_models: tuple[ModelIR, ...]
    errors: tuple[ErrorIR, ...]
    actor: str | None = None

    def table(self, name: str) -> TableIR:
        return next(t for t in self.tables if t.name == name)

    def tool(self, name: str) -> ToolIR:
        return next(t for t in self.tools if t.name == name)

    def error(self, code: str) -> ErrorIR:
        return next(e for e in self.errors if e.code == code)

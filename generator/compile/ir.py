"""The one intermediate representation: frozen dataclasses that every later stage reads.

Templates, procedural tests, the graph and the task expander all consume these, never the
raw spec, so a renamed tool or column cannot drift between server and scenarios. Every
decision (SQL text, Python annotations, error codes) is made in `lower.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generator import ids


def python_tuple(names: tuple[str, ...]) -> str:
    """A tuple expression of variables: `(order_id,)`, `(provider_id, state)`."""
    return f"({names[0]},)" if len(names) == 1 else f"({', '.join(names)})"


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
    asked: str = ""  # how a user asks for the value: a question with {row}


@dataclass(frozen=True)
class TableIR:
    name: str
    model: str  # row model class name
    description: str
    key: tuple[str, ...]  # the primary key's columns: one, or the parts of a composite key
    id_prefix: str | None
    columns: tuple[ColumnIR, ...]
    create_sql: str
    index_sql: tuple[str, ...]  # CREATE INDEX statements of its foreign keys
    status_column: str | None
    transitions: dict[str, tuple[str, ...]]
    initial_states: tuple[str, ...]
    described_as: tuple[str, ...] = ()  # how a person names a row whose id they do not hold
    id_format: str | None = None  # counter, locator or dated when the table's keys are generated, else None
    foreign_keys: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...] = ()  # (columns, table, its columns)

    @property
    def primary_key(self) -> str:
        """The key column of a table with a one-column key; a composite key has none (see `key`)."""
        if len(self.key) != 1:
            raise ValueError(f"{self.name} has a composite key ({', '.join(self.key)}): use key, key_of and key_sql")
        return self.key[0]

    @property
    def composite(self) -> bool:
        return len(self.key) > 1

    def key_of(self, row: dict[str, Any]) -> Any:
        """What names `row`: its key value, or the tuple of its key parts."""
        return row[self.key[0]] if len(self.key) == 1 else tuple(row[c] for c in self.key)

    def key_values(self, key: Any) -> tuple[Any, ...]:
        """SQL parameters for `key_where()` from what `key_of` returns."""
        return tuple(key) if self.composite else (key,)

    def key_sql(self, alias: str = "") -> str:
        """The key as an SQL expression: `order_id`, or a row value `(provider_id, state)`."""
        parts = [f"{alias}{c}" for c in self.key]
        return parts[0] if len(parts) == 1 else f"({', '.join(parts)})"

    def key_where(self) -> str:
        """`order_id = ?`, or `provider_id = ? AND state = ?`."""
        return " AND ".join(f"{c} = ?" for c in self.key)
    unique_groups: tuple[tuple[str, ...], ...] = ()  # the table's UNIQUE (a, b, ...) constraints

    def column(self, name: str) -> ColumnIR:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def id_pattern(self) -> str | None:
        """A regular expression for the ids this table's sequence makes, or None when keys are given."""
        return ids.pattern(self.id_format, self.id_prefix) if self.id_format else None


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
    """An entity fetched by ref params before the checks run (its absence is an error).

    Usually one param names the row by one column; params that ref every part of a table's
    composite key load its row together (`params[i]` gives `columns[i]`)."""

    entity: str
    table: str
    columns: tuple[str, ...]
    params: tuple[str, ...]
    required: bool
    sql: str
    error: str

    @property
    def column(self) -> str:
        return self.columns[0]

    @property
    def param(self) -> str:
        return self.params[0]

    @property
    def args(self) -> str:
        """The SQL parameters as a Python tuple: `(order_id,)`, `(provider_id, state)`."""
        return python_tuple(self.params)

    @property
    def fail_args(self) -> str:
        """The keywords of the not-found error: `key='order_id', value=order_id`, or one per key part."""
        if len(self.params) == 1:
            return f"key={self.column!r}, value={self.param}"
        return ", ".join(f"{c}={p}" for c, p in zip(self.columns, self.params, strict=True))


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
    includes: tuple[tuple[str, str, str], ...]  # (field, child table, "fk = ?" over the child's foreign key)
    read_only: bool
    destructive: bool
    idempotent: bool
    key: str | None = None  # param holding the primary key of `table` (composite: its first part)
    keys: tuple[str, ...] = ()  # params holding every part of the key of `table`, in key order
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

    @property
    def key_args(self) -> str:
        """The key params as a Python tuple for SQL: `(order_id,)`, `(provider_id, state)`."""
        return python_tuple(self.keys)

    @property
    def key_value(self) -> str:
        """A Python expression naming the row in a message: `order_id`, or `f"({provider_id}, {state})"`."""
        if len(self.keys) == 1:
            return self.keys[0]
        return 'f"(' + ", ".join(f"{{{k}}}" for k in self.keys) + ')"'


@dataclass(frozen=True)
class HelperIR:
    """A shared function: `def name(params): body`, rendered into the server's constants module."""

    name: str
    params: tuple[str, ...]
    body: str
    description: str


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
    constants: dict[str, Any] = field(default_factory=dict)  # name -> plain value (read-only in the server)
    helpers: tuple[HelperIR, ...] = ()

    def table(self, name: str) -> TableIR:
        return next(t for t in self.tables if t.name == name)

    def tool(self, name: str) -> ToolIR:
        return next(t for t in self.tools if t.name == name)

    def error(self, code: str) -> ErrorIR:
        return next(e for e in self.errors if e.code == code)

"""The domain spec: strict pydantic models for `domains/<name>.yaml`.

A spec declares tables (typed columns, keys, constraints, match policies, a seed-data
recipe), tools (typed params, reads/writes, preconditions with their errors, behaviour)
and policy text. `check.py` validates cross references; `lower.py` turns it into the IR.
"""

from __future__ import annotations

import builtins
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

NAME = r"^[a-z][a-z0-9_]*$"
CONSTANT = r"^[A-Z][A-Z0-9_]*$"

ColumnType = Literal["text", "integer", "real", "boolean", "date", "datetime"]
ParamType = Literal["string", "integer", "number", "boolean", "date", "datetime", "array"]
Policy = Literal["exempt", "hard", "semantic", "composed"]
Kind = Literal["get", "list", "create", "update", "transition", "delete", "custom"]
Op = Literal["in", "not_in", "eq", "ne", "gt", "gte", "lt", "lte"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Gen(Strict):
    """How the seed generator fills one column; exactly one field is set.

    `seq` formats a running number (`"U{n:04d}"`), `faker` calls a Faker provider with
    `args`, `choice` picks with optional `weights`, `int`/`real`/`date`/`datetime` draw from an
    inclusive range, `ref` picks an existing row's key (the column's foreign key by
    default), `parent` copies a column of the parent row, `const` is a literal and `expr` a
    Python expression over `row`, `parent`, `rng`, `fake`, `lookup(table, key)`,
    `timedelta` and `round`.
    """

    seq: str | None = None
    faker: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    choice: list[Any] | None = None
    weights: list[float] | None = None
    int: tuple[builtins.int, builtins.int] | None = None  # the field name shadows the builtin
    real: tuple[float, float] | None = None
    date: tuple[str, str] | None = None
    datetime: tuple[str, str] | None = None
    ref: str | None = None
    parent: str | None = None
    const: Any = None
    expr: str | None = None
    null_rate: float = Field(0.0, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _one_source(self) -> Gen:
        sources = ["seq", "faker", "choice", "int", "real", "date", "datetime", "ref", "parent", "expr"]
        chosen = [s for s in sources if getattr(self, s) is not None]
        if "const" in self.model_fields_set:
            chosen.append("const")
        if len(chosen) != 1:
            raise ValueError(f"give exactly one of {', '.join(sources + ['const'])} (got {chosen or 'none'})")
        return self


class Column(Strict):
    """One column: SQL type, constraints, the match policy checks use, and its generator."""

    type: ColumnType
    description: str = ""
    references: str | None = Field(None, description="foreign key as 'table.column'")
    nullable: bool = False
    unique: bool = False
    check: str | None = Field(None, description="SQL CHECK expression")
    enum: list[str] | None = None
    default: Any = None
    policy: Policy = Field("hard", description="how checks compare it: exempt (left out), hard (exact), semantic "
                           "(trimmed, lower-cased), composed (free text the agent writes: by the facts it carries)")
    gen: Gen | None = None
    hidden: bool = Field(False, description="never returned by a tool (a verification code, an internal score): "
                         "left out of the row model; bodies and checks still read it")
    asked: str = Field("", description="how a user asks for this value of one of their rows, a question with "
                       "{row} where they name the row: 'Is {row} insured?'")


class TableSeed(Strict):
    """The seed rows of a table: rows given as they are (`fixed`, or a data `file` next to the
    spec), then generated ones: a fixed number, or a range per row of a parent table."""

    rows: int | None = Field(None, ge=0)
    per: str | None = None
    count: tuple[int, int] = (1, 1)
    after: list[str] = Field(default_factory=list, description="tables to fill first (read by `expr`)")
    fixed: list[dict[str, Any]] = Field(
        default_factory=list,
        description="rows given as they are, inserted before generated ones; a column left out is filled by its "
        "gen (or default), a generated key by the next id, so tests can name stable ids")
    file: str | None = Field(
        None, description="a data file next to the spec with more given rows: .json (a list of objects), .jsonl or "
        ".csv (a header row; values converted to the column types)")

    @model_validator(mode="after")
    def _rows_or_per(self) -> TableSeed:
        if self.rows is not None and self.per is not None:
            raise ValueError("give one of 'rows' or 'per', not both")
        if self.rows is None and self.per is None and not self.fixed and self.file is None:
            raise ValueError("give 'rows', 'per', 'fixed' or 'file'")
        return self


class ForeignKey(Strict):
    """A foreign key over several columns: `columns` name a row of `references` by its composite key."""

    columns: list[str] = Field(min_length=2, description="the columns of this table, in the order of the key")
    references: str = Field(description="the table they name a row of")
    referenced_columns: list[str] | None = Field(
        None, description="the columns of that table they match, in order (default: its primary key)")


class Table(Strict):
    description: str
    primary_key: str | list[str] = Field(
        description="the key column, or a list of columns that together name one row (a composite key)")
    id_prefix: str | None = Field(None, pattern=r"^[A-Z]{1,4}$", description="prefix of generated ids")
    id_format: Literal["counter", "locator", "dated"] = Field(
        "counter", description="how generated ids look: 'counter' (prefix + number, R00042), 'locator' (six "
        "letters and digits, a record locator: ZF4K7Q; no id_prefix), 'dated' (prefix, the year of the domain "
        "clock and a number: INV-2026-000042)")
    columns: dict[str, Column]
    unique: list[list[str]] = Field(default_factory=list)
    foreign_keys: list[ForeignKey] = Field(
        default_factory=list, description="foreign keys over several columns (one column: its `references`)")
    status_column: str | None = None
    transitions: dict[str, list[str]] = Field(default_factory=dict)
    initial_states: list[str] = Field(default_factory=list)
    seed: TableSeed = TableSeed(rows=0)
    described_as: list[str] = Field(
        default_factory=list,
        description="how a person names one row when they do not hold its id (a saved card, an address, a "
        "doctor): templates over the row's columns, {column} or {fk_column.column} one hop through a foreign key, "
        "e.g. 'my {brand} card ending in {last_four}'; the first whose values are all present is used. With it, "
        "instructions describe the row instead of giving its id, so the agent must look the row up",
    )

    @property
    def generates_ids(self) -> bool:
        """Whether the seed and the server's create tools make this table's keys (`id_prefix`, `id_format`)."""
        return self.id_prefix is not None or self.id_format != "counter"

    @property
    def key_columns(self) -> list[str]:
        """The primary key as a list: one column, or the parts of a composite key."""
        return [self.primary_key] if isinstance(self.primary_key, str) else list(self.primary_key)


class Item(Strict):
    """The element type of an array param: a scalar, or an object with typed fields."""

    type: Literal["string", "integer", "number", "boolean", "date", "object"] = "object"
    fields: dict[str, Param] = Field(default_factory=dict)
    ref: str | None = Field(None, description="for scalar items: the 'table.column' each id refers to")


class Param(Strict):
    type: ParamType
    description: str
    required: bool = True
    default: Any = None
    enum: list[Any] | None = None
    ref: str | None = Field(None, description="the 'table.column' an id refers to")
    column: str | None = Field(None, description="column this param sets or filters (default: its name)")
    filter: Literal["eq", "like", "gte", "lte"] = "eq"
    items: Item | None = None
    minimum: float | None = None
    example: Any = None


class Require(Strict):
    """A precondition, in one of three forms:

    - `entity.column OP value` on a loaded row; `entity` may follow one foreign key further
      (`slot.provider`: the provider row the slot's `provider_id` names);
    - `param OP value` on an argument (`start_date lt $end_date`);
    - `unique: table` + `where`: no other row of `table` matches `where` (at most one open
      ticket per order: `where: {order_id: $order_id, status: [open, pending]}`).

    `value` is a literal, a list (for in/not_in), `$param`, `$entity.column`, `$entity.fk.column`,
    or the clock with an optional offset: `$now`, `$today`, `$now - 60 days`, `$today + 1 day`.
    """

    entity: str | None = Field(None, description="the loaded row the rule is on: 'order', or one foreign key "
                               "further, 'slot.provider'")
    column: str | None = Field(None, description="the column of `entity` the rule is on")
    param: str | None = Field(None, description="the argument the rule is on (instead of entity and column)")
    op: Op | None = None
    value: Any = None
    unique: str | None = Field(None, description="a table: the call fails when a row of it matches `where` "
                               "(other than the row the tool acts on)")
    where: dict[str, Any] = Field(default_factory=dict, description="column -> value (a list: one of) that a row "
                                  "of `unique` must match to count")
    error: str
    enforced_by: Literal["tool", "policy"] = Field(
        "tool",
        description="'tool': the tool refuses the call; 'policy': the tool performs it and only the agent, "
        "following the published policy, may refuse (as real back offices work)",
    )

    @model_validator(mode="after")
    def _one_form(self) -> Require:
        given = self.model_fields_set
        if self.unique is not None:
            extra = sorted(given & {"entity", "column", "param", "op", "value"})
            if extra or not self.where:
                raise ValueError("a uniqueness rule gives 'unique' and 'where' only"
                                 + (f" (drop {', '.join(extra)})" if extra else " (add where: {column: value})"))
        elif self.param is not None:
            if given & {"entity", "column", "where"} or self.op is None or "value" not in given:
                raise ValueError("a rule on a param gives 'param', 'op' and 'value' (no entity, column or where)")
        elif self.entity is None or self.column is None or self.op is None or "value" not in given or self.where:
            raise ValueError("give 'entity', 'column', 'op' and 'value'; or 'param', 'op' and 'value'; "
                             "or 'unique' and 'where'")
        return self

    @property
    def kind(self) -> str:
        return "unique" if self.unique is not None else "param" if self.param is not None else "column"


class Expect(Strict):
    """What a test case expects: an error code, or state changes per table."""

    error: str | None = None
    changes: dict[str, dict[Literal["insert", "update", "delete"], int]] | None = None
    rows: list[ExpectRow] = Field(default_factory=list)
    result: dict[str, Any] = Field(default_factory=dict)


class ExpectRow(Strict):
    table: str
    where: dict[str, Any]
    values: dict[str, Any]


class TestCase(Strict):
    """A hand-declared procedural test (the paper's Test Agent) for behaviour code can't derive."""

    name: str = Field(pattern=NAME)
    setup: list[str] = Field(default_factory=list, description="SQL run on the fresh DB first")
    args: dict[str, Any]
    expect: Expect


class Returns(Strict):
    """Result shape: rows of a table (optionally with child rows), or named fields."""

    table: str | None = None
    many: bool = False
    include: list[str] = Field(default_factory=list)
    fields: dict[str, Param] = Field(default_factory=dict)


Principal = Literal["user", "staff", "operations"]


class Story(Strict):
    """One thing that happened to a user, for a tool whose request carries free text the agent writes.

    The user tells it in their own words (`tell`, for {story} in `asks`); the gold call passes
    `args`; a text the agent composes for a param in `facts` must carry every fact: each item is
    a group of alternative phrases, one of which must appear (after normalizing case and
    punctuation), so "Checked bag never arrived" and "the customer's luggage is missing" both carry
    [[bag, luggage], [never arrived, missing]]. A `composed` column is checked this way.
    """

    tell: str = Field(min_length=1, description="what happened, in the user's words (first person)")
    args: dict[str, Any] = Field(description="the values the gold call passes, incl. a sample text per composed param")
    facts: dict[str, list[list[str]]] = Field(
        default_factory=dict, description="per composed param: groups of alternative phrases, each group must appear")


class Tool(Strict):
    description: str
    kind: Kind
    asks: list[str] = Field(
        default_factory=list,
        description="how a user asks for this in their own words, one alternative per item, e.g. "
        "\"I need to cancel my order {order_id}; {reason}.\" {param} is that argument's value (in words for enum "
        "values, as a list for list arguments), {reason} one of `reasons`; never name the tool or a parameter",
    )
    reasons: list[str] = Field(default_factory=list, description="why a user asks, for {reason} in `asks`")
    stories: list[Story] = Field(
        default_factory=list, description="what happened, for {story} in `asks`: one is drawn per scenario")
    principals: list[Principal] = Field(
        default_factory=lambda: ["user"],
        description="who may ask for this tool: 'user' (the actor themself), 'staff', 'operations'; "
        "an agent serving a user must decline a tool the user may not ask for",
    )
    table: str | None = None
    params: dict[str, Param] = Field(default_factory=dict)
    returns: Returns | None = None
    reads: list[str] = Field(default_factory=list)
    writes: list[str] = Field(default_factory=list)
    requires: list[Require] = Field(default_factory=list)
    errors: dict[str, str] = Field(default_factory=dict)
    set: dict[str, Any] = Field(default_factory=dict)
    to: str | None = None
    order_by: list[str] = Field(default_factory=list)
    limit: int = Field(50, ge=1, le=500)
    body: str | None = Field(None, description="Python statements for kind 'custom'")
    produces: dict[str, list[str]] = Field(
        default_factory=dict, description="status values a custom tool leaves rows of a table in"
    )
    destructive: bool | None = Field(None, description="override the annotation derived from the kind")
    idempotent: bool | None = None
    tests: list[TestCase] = Field(default_factory=list)


class Helper(Strict):
    """A small pure function declared once and called by tool bodies, seed expressions and other helpers."""

    params: list[str] = Field(default_factory=list, description="its argument names, in order")
    body: str = Field(description="Python statements ending in return; they see the params, the constants and "
                      "the other helpers (no db, no fail: a helper computes, the tool decides)")
    description: str = ""


class DomainSpec(Strict):
    """A whole domain: what the compiler, the procedural tests and the expander read."""

    name: str = Field(pattern=NAME)
    title: str
    version: str = "0.1.0"
    description: str
    policy: str = ""
    now: str = Field(description="default clock of the server, ISO datetime")
    seed: int = 0
    faker_locale: str = "en_US"
    actor: str | None = Field(None, description="the table of the people the agent serves (users, customers...)")
    constants: dict[str, Any] = Field(
        default_factory=dict, description="values declared once (fee tables, limits): UPPER_CASE names, plain YAML "
        "values (numbers, text, lists, maps); bodies, helpers and seed expressions use them by name, preconditions "
        "as $const.NAME")
    helpers: dict[str, Helper] = Field(
        default_factory=dict, description="small functions declared once, used by bodies and seed expressions")
    tables: dict[str, Table]
    tools: dict[str, Tool]


Item.model_rebuild()
Expect.model_rebuild()

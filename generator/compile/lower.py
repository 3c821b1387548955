"""Lower a checked DomainSpec into the IR: every SQL, typing and naming decision (with `names.py`).

The templates only loop and print what this module computed. Run `check.check_spec` first:
lowering assumes references resolve.
"""

from __future__ import annotations

import re
import textwrap

from generator.compile.constants import lower_helpers, resolve
from generator.compile.describe import describe
from generator.compile.ir import (
    DomainIR,
    ErrorIR,
    LoadIR,
    ModelIR,
    ParamIR,
    ResultFieldIR,
    TableIR,
    ToolIR,
)
from generator.compile.names import (
    PLACEHOLDER,
    camel,
    entity_name,
    singular,
    split_ref,
    value_expr,
    words,
)
from generator.compile.rules import lower_requires
from generator.compile.schema import lower_table
from generator.spec.models import DomainSpec, Param, Tool

PARAM_TYPES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "date": "str", "datetime": "str", "object": "dict"}
PATTERNS = {"date": r"^\d{4}-\d{2}-\d{2}$", "datetime": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"}


def lower_param(name: str, param: Param, spec: DomainSpec, table: str | None, owner: str = "") -> ParamIR:
    """`owner` (the tool's name) prefixes the model of object items, so tools never share one."""
    item_fields: tuple[ParamIR, ...] = ()
    if param.type == "array":
        item = param.items
        if item is not None and item.type == "object":  # its own model, named after where it sits
            inner = camel(owner) + camel(singular(name))
            item_fields = tuple(lower_param(n, p, spec, None, f"{owner}_{singular(name)}") for n, p in item.fields.items())
        else:
            inner = PARAM_TYPES[item.type if item else "string"]
        annotation = f"list[{inner}]"
    elif param.enum:
        annotation = f"Literal[{', '.join(repr(v) for v in param.enum)}]"
    else:
        annotation = PARAM_TYPES[param.type]
    if not param.required:
        annotation += " | None"
    options = [f"description={param.description!r}"]
    if param.type in PATTERNS:
        options.append(f"pattern={PATTERNS[param.type]!r}")
    if param.minimum is not None:
        options.append(f"ge={param.minimum!r}")
    if param.type == "array":
        options.append("min_length=1")
    column = param.column or name
    columns = spec.tables[table].columns if table else {}
    return ParamIR(
        name=name,
        type=param.type,
        annotation=annotation,
        field=f"Field({', '.join(options)})",
        description=param.description,
        required=param.required,
        default=param.default,
        enum=tuple(param.enum) if param.enum else None,
        ref=split_ref(param.ref),
        column=column if column in columns else None,
        filter=param.filter,
        example=param.example,
        minimum=param.minimum,
        item_fields=item_fields,
        item_ref=split_ref(param.items.ref) if param.items else None,
    )


def lower_error(code: str, message: str) -> ErrorIR:
    template = PLACEHOLDER.sub(lambda m: f"{{{m[1]}[{m[2]}]}}" if m[2] else m[0], message)
    pieces = PLACEHOLDER.split(message)
    # split() yields literal, name, column, literal, ...: keep the literals, wildcard the rest
    pattern = ".*?".join(re.escape(p) for p in pieces[::3])
    return ErrorIR(code=code, message=template, pattern=pattern)


def auto_errors(spec: DomainSpec) -> dict[str, str]:
    """The errors every domain has without declaring them: missing entities, bad transitions."""
    errors: dict[str, str] = {}
    for name, table in spec.tables.items():
        thing = words(singular(name))
        errors[f"{singular(name)}_not_found"] = (
            f"No {thing} has {{key}} {{value}}. Check the id, or look it up with a list or search tool first."
            if len(table.key_columns) == 1 else
            f"No {thing} has {key_text(table.key_columns)}. Check them, or look it up with a list or search tool first."
        )
        if table.status_column:
            errors[f"{singular(name)}_bad_state"] = (
                f"The {thing} {{value}} is {{state}}; this needs it to be {{allowed}}."
            )
    errors["nothing_to_update"] = "Nothing to update: give at least one of {fields}."
    return errors


def key_params(params: tuple[ParamIR, ...], table: TableIR | None) -> tuple[str, ...]:
    """The params naming the row of `table` a keyed tool works on, one per key column, in key order:
    the param whose `ref` is that column, else the one whose `column` is; () when a part is missing."""
    if table is None:
        return ()
    found = []
    for column in table.key:
        name = next((p.name for p in params if p.ref == (table.name, column)), None)
        name = name or next((p.name for p in params if p.column == column), None)
        if name is None:
            return ()
        found.append(name)
    return tuple(found)


def lower_loads(params: tuple[ParamIR, ...], tables: dict[str, TableIR], skip: str | None) -> list[LoadIR]:
    """The rows a tool loads: one per ref param, or one per set of params that ref every part of a
    composite key together (`provider_id` and `state` -> the provider license). `skip`: a create
    tool's own table, whose row does not exist yet."""
    taken: set[str] = set()
    loads = []
    for p in params:
        if p.ref is None or p.ref[0] == skip:
            continue
        table = tables[p.ref[0]]
        parts = [next((q for q in params if q.ref == (table.name, c)), None) for c in table.key]
        group = [p]
        if table.composite and p.ref[1] in table.key and all(parts):  # the checker reports a missing part
            if p.ref[1] != table.key[0]:
                continue  # loaded with the first part
            group = parts
        entity = entity_name(p.name if len(group) == 1 else table.name, table.name, taken)
        taken.add(entity)
        columns = tuple(q.ref[1] for q in group)
        loads.append(LoadIR(
            entity=entity,
            table=table.name,
            columns=columns,
            params=tuple(q.name for q in group),
            required=all(q.required for q in group),
            sql=f"SELECT * FROM {table.name} WHERE {' AND '.join(f'{c} = ?' for c in columns)}",
            error=f"{singular(table.name)}_not_found",
        ))
    return loads


def key_text(columns: list[str]) -> str:
    """How the not-found message of a composite key names every part: `provider_id {provider_id} and state {state}`."""
    parts = [f"{c} {{{c}}}" for c in columns]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


class Lowerer:
    def __init__(self, spec: DomainSpec):
        self.spec = spec
        self.tables = {n: lower_table(n, t, spec.tables) for n, t in spec.tables.items()}
        self.models: dict[str, ModelIR] = {}
        self.item_models: dict[str, ModelIR] = {}

    def lower(self) -> DomainIR:
        tools = tuple(self.tool(n, t) for n, t in self.spec.tools.items())
        messages = auto_errors(self.spec) | {c: m for tool in self.spec.tools.values() for c, m in tool.errors.items()}
        used = sorted({code for t in tools for code in t.errors})
        return DomainIR(
            name=self.spec.name,
            title=self.spec.title,
            version=self.spec.version,
            description=self.spec.description.strip(),
            policy=self.spec.policy.strip(),
            now=self.spec.now,
            seed=self.spec.seed,
            tables=tuple(self.tables.values()),
            tools=tools,
            models=tuple(self.models[k] for k in sorted(self.models)),
            item_models=tuple(self.item_models[k] for k in sorted(self.item_models)),
            errors=tuple(lower_error(code, messages[code]) for code in used),
            actor=self.spec.actor,
            constants=dict(self.spec.constants),
            helpers=lower_helpers(self.spec),
        )

    def list_model(self, table: str) -> str:
        model = self.tables[table].model
        name = f"{model}List"
        self.models[name] = ModelIR(
            name=name,
            description=f"A page of {words(table)}, in a stable order.",
            fields=(
                ResultFieldIR("items", f"list[{model}]", f"The matching {words(table)}."),
                ResultFieldIR("count", "int", "How many items this page holds."),
            ),
        )
        return name

    def details_model(self, table: str, includes: tuple[tuple[str, str, str], ...]) -> str:
        base = self.tables[table].model
        name = f"{base}Details"
        fields = tuple(
            ResultFieldIR(f, f"list[{self.tables[child].model}]", f"The {words(child)} of this {words(singular(table))}.")
            for f, child, _ in includes
        )
        self.models[name] = ModelIR(name, f"A {words(singular(table))} with its {', '.join(words(c) for _, c, _ in includes)}.", fields, base)
        return name

    def result_model(self, tool: str, spec: Tool) -> str:
        """The `returns: {fields}` model; lists of objects get their own (`<Tool>Result<Field>`...)."""
        name = f"{camel(tool)}Result"
        fields = []
        for fname, p in spec.returns.fields.items():
            lowered = lower_param(fname, p, self.spec, None, f"{tool}_result")
            self.item_model(lowered, f"in what {tool} reports")
            fields.append(ResultFieldIR(fname, lowered.annotation, p.description))
        self.models[name] = ModelIR(name, f"What {tool} reports.", tuple(fields))
        return name

    def item_model(self, param: ParamIR, where: str) -> None:
        """Register the models of a list-of-objects param and of the lists inside it."""
        if not param.item_fields:
            return
        model = param.annotation.removeprefix("list[").split("]")[0]
        self.item_models[model] = ModelIR(model, f"One entry of {param.name} {where}.", tuple(
            ResultFieldIR(f.name, f.annotation, f.description) for f in param.item_fields))
        for field in param.item_fields:
            self.item_model(field, f"in {param.name} {where}")

    def includes(self, table: str, children: list[str]) -> tuple[tuple[str, str, str], ...]:
        """(field, child table, SQL condition on the child's foreign key, with one `?` per key part of `table`)."""
        found = []
        key = self.tables[table].key
        for child in children:
            fk = next((c.name for c in self.tables[child].columns if c.references and c.references[0] == table), None)
            if fk is not None:
                found.append((child, child, f"{fk} = ?"))
                continue
            columns, _, targets = next(f for f in self.tables[child].foreign_keys if f[1] == table and set(f[2]) == set(key))
            by_target = dict(zip(targets, columns, strict=True))
            found.append((child, child, " AND ".join(f"{by_target[k]} = ?" for k in key)))
        return tuple(found)

    def tool(self, name: str, spec: Tool) -> ToolIR:
        params = tuple(lower_param(n, p, self.spec, spec.table, name) for n, p in spec.params.items())
        params = tuple(sorted(params, key=lambda p: not p.required))  # Python wants defaults last
        for p in params:
            self.item_model(p, f"for {name}")
        table = self.tables[spec.table] if spec.table else None
        keys = key_params(params, table)
        loads = lower_loads(params, self.tables, skip=spec.table if spec.kind == "create" else None)
        checks, policy_checks, hops = lower_requires(self.spec, spec, loads, keys[0] if keys else None)
        errors = [ld.error for ld in loads] + [c.error for c in checks]

        reads = {ld.table for ld in loads} | set(spec.reads)
        writes = set(spec.writes)
        includes: tuple[tuple[str, str, str], ...] = ()
        returns_table, returns_many = spec.table, False
        to_state, from_states, state_error = spec.to, (), None
        set_values = {col: value_expr(v) for col, v in spec.set.items()}
        read_only = destructive = idempotent = False
        if spec.kind in ("get", "list"):
            reads.add(spec.table)
            read_only, idempotent = True, True
            if spec.kind == "list":
                returns, returns_many = self.list_model(spec.table), True
            elif spec.returns and spec.returns.include:
                includes = self.includes(spec.table, spec.returns.include)
                reads.update(child for _, child, _ in includes)
                returns = self.details_model(spec.table, includes)
            else:
                returns = table.model
        elif spec.kind == "custom":
            reads.update(spec.reads)
            read_only = not spec.writes
            destructive = bool(spec.writes)
            idempotent = read_only
            if spec.returns and spec.returns.fields:
                returns, returns_table = self.result_model(name, spec), None
            elif spec.returns and spec.returns.table:
                returns_table = spec.returns.table
                returns_many = spec.returns.many
                returns = self.list_model(returns_table) if returns_many else self.tables[returns_table].model
            else:
                returns, returns_table = self.tables[spec.table].model, spec.table
        else:
            reads.add(spec.table)
            writes.add(spec.table)
            returns = table.model
            destructive = spec.kind != "create"
            idempotent = spec.kind == "update"
            if spec.kind == "update":
                errors.append("nothing_to_update")
            if spec.kind == "transition":
                status = table.status_column
                from_states = tuple(s for s, targets in table.transitions.items() if spec.to in targets)
                set_values = {status: repr(spec.to), **set_values}
                state_error = f"{singular(table.name)}_bad_state"
                errors.append(state_error)
        if spec.destructive is not None:
            destructive = spec.destructive
        if spec.idempotent is not None:
            idempotent = spec.idempotent
        errors += [code for code in spec.errors if code not in errors]
        order = spec.order_by or (list(table.key) if table else [])
        return ToolIR(
            name=name,
            kind=spec.kind,
            description=describe(spec, self.spec.constants),
            table=spec.table,
            params=params,
            loads=tuple(loads),
            checks=tuple(checks),
            reads=tuple(sorted(t for t in reads if t)),
            writes=tuple(sorted(writes)),
            errors=tuple(dict.fromkeys(errors)),
            returns=returns,
            returns_table=returns_table,
            returns_many=returns_many,
            includes=includes,
            read_only=read_only,
            destructive=destructive,
            idempotent=idempotent,
            key=keys[0] if keys else None,
            keys=keys,
            set_values=set_values,
            set_spec={column: resolve(v, self.spec.constants) for column, v in spec.set.items()},
            to_state=to_state,
            state_error=state_error,
            produces={t: tuple(v) for t, v in spec.produces.items()},
            result_refs={
                f: split_ref(p.ref) for f, p in (spec.returns.fields.items() if spec.returns else ()) if p.ref
            },
            from_states=from_states,
            order_by=", ".join(order),
            limit=spec.limit,
            body=textwrap.dedent(spec.body or "").strip(),
            tests=tuple(spec.tests),
            policy_checks=tuple(policy_checks),
            hops=hops,
            principals=tuple(spec.principals),
            asks=tuple(spec.asks),
            reasons=tuple(spec.reasons),
            stories=tuple(spec.stories),
        )


def lower(spec: DomainSpec) -> DomainIR:
    """The IR of a spec that passed `check_spec`."""
    return Lowerer(spec).lower()

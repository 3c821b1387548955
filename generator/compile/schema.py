"""Lower a spec's tables: column definitions, the CREATE TABLE statement and row-model types.

Part of lowering (`lower.py`); the checker also creates each table with it, so what SQLite
rejects is reported before a build.
"""

from __future__ import annotations

from generator.compile.ir import ColumnIR, TableIR
from generator.compile.names import model_name, split_ref, sql_literal
from generator.spec.models import Column, Table

SQL_TYPES = {"text": "TEXT", "integer": "INTEGER", "real": "REAL", "boolean": "INTEGER", "date": "TEXT", "datetime": "TEXT"}
PY_TYPES = {"text": "str", "integer": "int", "real": "float", "boolean": "bool", "date": "str", "datetime": "str"}


def lower_column(name: str, column: Column, table: Table) -> ColumnIR:
    parts = [name, SQL_TYPES[column.type]]
    if [name] == table.key_columns:
        parts.append("PRIMARY KEY")
    elif not column.nullable:
        parts.append("NOT NULL")
    if column.unique:
        parts.append("UNIQUE")
    if column.default is not None:
        parts.append(f"DEFAULT {sql_literal(column.default)}")
    checks = []
    if column.enum:
        checks.append(f"{name} IN ({', '.join(sql_literal(v) for v in column.enum)})")
    if column.type == "boolean":
        checks.append(f"{name} IN (0, 1)")
    if column.check:
        checks.append(column.check)
    if checks:
        parts.append(f"CHECK ({' AND '.join(checks)})")
    annotation = f"Literal[{', '.join(repr(v) for v in column.enum)}]" if column.enum else PY_TYPES[column.type]
    if column.nullable:
        annotation += " | None"
    return ColumnIR(
        name=name,
        type=column.type,
        sql=" ".join(parts),
        annotation=annotation,
        description=column.description,
        nullable=column.nullable,
        policy="exempt" if [name] == table.key_columns and table.generates_ids else column.policy,
        enum=tuple(column.enum) if column.enum else None,
        references=split_ref(column.references),
        unique=column.unique,
        default=column.default,
        hidden=column.hidden,
        asked=column.asked,
    )


def foreign_keys(table: Table, tables: dict[str, Table]) -> tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...]:
    """The table's composite foreign keys as (columns, referenced table, referenced columns)."""
    out = []
    for fk in table.foreign_keys:
        target = fk.referenced_columns or (tables[fk.references].key_columns if fk.references in tables else [])
        out.append((tuple(fk.columns), fk.references, tuple(target)))
    return tuple(out)


def index_sql(name: str, table: Table, foreign_keys: list[tuple[str, ...]]) -> tuple[str, ...]:
    """A CREATE INDEX on each foreign key that neither the primary key nor a UNIQUE constraint starts
    with. Tools look rows up by their parent (a user's payment methods, a reservation's passengers),
    and SQLite finds a parent's children through it when enforcing the key; without one, each such
    lookup reads the whole table."""
    indexed = [tuple(table.key_columns), *map(tuple, table.unique)]
    indexed += [(column,) for column, spec in table.columns.items() if spec.unique]
    return tuple(
        f"CREATE INDEX {name}_by_{'_'.join(columns)} ON {name} ({', '.join(columns)});"
        for columns in dict.fromkeys(foreign_keys)
        if not any(have[: len(columns)] == columns for have in indexed)
    )


def lower_table(name: str, table: Table, tables: dict[str, Table]) -> TableIR:
    """`tables` (the whole spec's) give the keys that composite foreign keys reference by default."""
    columns = tuple(lower_column(n, c, table) for n, c in table.columns.items())
    composite = foreign_keys(table, tables)
    lines = [c.sql for c in columns]
    if len(table.key_columns) > 1:
        lines.append(f"PRIMARY KEY ({', '.join(table.key_columns)})")
    lines += [f"UNIQUE ({', '.join(u)})" for u in table.unique]
    lines += [f"FOREIGN KEY ({c.name}) REFERENCES {c.references[0]} ({c.references[1]})" for c in columns if c.references]
    lines += [f"FOREIGN KEY ({', '.join(cols)}) REFERENCES {other} ({', '.join(keys)})" for cols, other, keys in composite]
    create_sql = f"CREATE TABLE {name} (\n    " + ",\n    ".join(lines) + "\n) STRICT;"
    return TableIR(
        name=name,
        model=model_name(name),
        description=table.description,
        key=tuple(table.key_columns),
        id_prefix=table.id_prefix,
        columns=columns,
        create_sql=create_sql,
        index_sql=index_sql(name, table, [(c.name,) for c in columns if c.references] + [c for c, _, _ in composite]),
        status_column=table.status_column,
        transitions={k: tuple(v) for k, v in table.transitions.items()},
        initial_states=tuple(table.initial_states),
        described_as=tuple(table.described_as),
        foreign_keys=composite,
        unique_groups=tuple(tuple(group) for group in table.unique),
        id_format=table.id_format if table.generates_ids else None,
    )

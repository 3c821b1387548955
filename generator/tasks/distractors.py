"""Look-alike distractors: a twin of a goal's row (and its child rows) under new ids.

The twin has the same owner and the same facts, so only the id tells them apart (or, for a
row the user describes, the one described attribute it takes from another row); acting on it
is a negative control. A twin never breaks a uniqueness rule of the tools (a second open
ticket on one order is cloned as a closed one) nor a foreign key: a UNIQUE foreign key (one
invoice per visit) takes another parent row of the same owner and state that no row names yet.
"""

from __future__ import annotations

import random
from typing import Any

from generator import ids
from generator.compile.ir import DomainIR, TableIR
from generator.compile.names import singular
from generator.probe.rules import matches
from generator.tasks.checks import insert_statement
from generator.tasks.draft import Dropped
from generator.tasks.environment import Environment
from generator.tasks.mentions import FIELD
from generator.tasks.scenario import Statement


def scenario_id(ir: DomainIR, table: TableIR, n: int) -> str:
    """The id of a row a scenario adds, in the table's id format, from numbers its sequence does not reach
    (n >= 90000: prefix 9 and the look-alike's serial)."""
    return ids.scenario_id(table.id_format, table.id_prefix, table.name, n, ir.now[:10])


def clone(env: Environment, table: TableIR, row: dict[str, Any], serial: int,
          rng: random.Random) -> tuple[dict[str, Any], list[Statement]]:
    """A look-alike copy of a row (and its child rows) under new ids. A row the user names by
    its description gets one described attribute from another row, so the two differ in
    exactly what tells them apart."""
    if not table.id_format:
        raise Dropped(f"{table.name} has no generated ids to clone")
    twin = dict(row)
    twin[table.primary_key] = scenario_id(env.ir, table, int(f"9{serial:04d}"))
    used = next((t for t in table.described_as  # the description the user will give of this row
                 if all(row.get(m.group(1)) not in (None, "") for m in FIELD.finditer(t))), None)
    described = sorted({m.group(1) for m in FIELD.finditer(used) if not m.group(2)
                        and not table.column(m.group(1)).unique}) if used else []
    if described:
        column = rng.choice(described)
        donors = sorted({r[column] for r in env.rows(table.name) if r[column] not in (None, "", row[column])},
                        key=str)
        if not donors:
            raise Dropped(f"no other value of {table.name}.{column} to tell a look-alike apart")
        twin[column] = rng.choice(donors)
    twin = respect(env, table, distinct(env, table, unique_values(env, table, twin, serial, rng), rng))
    statements = [insert_statement(table, twin)]
    for child in env.ir.tables:
        fk = next((c.name for c in child.columns if c.references == (table.name, table.primary_key)), None)
        if fk is None or child.name == table.name or not child.id_format:
            continue
        for n, kid in enumerate(env.rows(child.name, f"WHERE {fk} = ?", (row[table.primary_key],))):
            kid = dict(kid, **{fk: twin[table.primary_key],
                               child.primary_key: scenario_id(env.ir, child, int(f"9{serial:02d}{n:02d}"))})
            kid = unique_values(env, child, kid, int(f"{serial}{n:02d}"), rng, keep=fk)
            statements.append(insert_statement(child, respect(env, child, distinct(env, child, kid, rng))))
    return twin, statements


def unique_values(env: Environment, table: TableIR, row: dict[str, Any], serial: int, rng: random.Random,
                  keep: str = "") -> dict[str, Any]:
    """`row` with a value no seed row has in each UNIQUE column but its key (and `keep`): a foreign
    key names a free parent row (see `free_parent`), text takes the serial (`x-7`, `a.7@b.com`)."""
    row = dict(row)
    for c in table.columns:
        value = row[c.name]
        if not c.unique or c.name in (table.primary_key, keep) or value is None:
            continue
        if c.references:
            row[c.name] = free_parent(env, table, c.name, row, rng)
        elif isinstance(value, str):
            row[c.name] = f"{value.split('@')[0]}.{serial}@{value.split('@')[1]}" if "@" in value else f"{value}-{serial}"
    return row


def free_parent(env: Environment, table: TableIR, column: str, row: dict[str, Any], rng: random.Random) -> Any:
    """Another row of the table a UNIQUE foreign key `column` of `row` names, for a copy of `row`:
    one of the same owner (owners are never reassigned) and in the state of the row's own parent
    (an invoice bills a completed visit), that no row of `table` names yet."""
    parent_name, key = table.column(column).references
    parent = env.ir.table(parent_name)
    named = {r[column] for r in env.rows(table.name)}
    own = env.rows(parent_name, f"WHERE {key} = ?", (row[column],))
    state = parent.status_column
    owner = env.find_owner(table, row)  # not cached: `row` is a new one
    free = [p[key] for p in env.rows(parent_name) if p[key] not in named and env.owner_of(parent, p) == owner
            and (not state or not own or p[state] == own[0][state])]
    if not free:
        raise Dropped(f"no other {singular(parent_name)} of the same owner free for a look-alike's {column}")
    return rng.choice(free)


def respect(env: Environment, table: TableIR, row: dict[str, Any]) -> dict[str, Any]:
    """`row` moved out of the counted states of each uniqueness rule (of any tool, policy ones
    too) that it would share with a row already there, e.g. a twin of an open ticket on the same
    order becomes a closed one."""
    for check in (c for t in env.ir.tools for c in t.checks + t.policy_checks if c.kind == "unique"):
        if check.table != table.name:
            continue
        fixed = {c: v for c, v in check.where if not (isinstance(v, str) and v.startswith("$"))}
        grouped = [c for c, v in check.where if c not in fixed]
        if not matches(row, fixed):
            continue
        terms = [f"{c} = ?" for c in grouped] + [f"{table.primary_key} != ?"]
        others = env.rows(table.name, f"WHERE {' AND '.join(terms)}", (*(row[c] for c in grouped), row[table.primary_key]))
        if not any(matches(other, fixed) for other in others):
            continue
        change = env.planner.unmatch(check, row)
        if change is None:
            raise Dropped(f"a look-alike {singular(table.name)} would break the rule behind {check.error}")
        row = dict(row, **change)
    return row


def distinct(env: Environment, table: TableIR, row: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """`row` with each UNIQUE (a, b) group it shares with a seed row changed in one column that is
    not its owner: a twin of a review of one product by a customer reviews another product."""
    owner = env.owner_column(table)
    for group in table.unique_groups:
        taken = {tuple(r[c] for c in group) for r in env.rows(table.name)}
        if tuple(row[c] for c in group) not in taken:
            continue
        # a plain column first (another subject), a foreign key (another order) only if it must
        for column in sorted((c for c in group if c not in (owner, table.primary_key)),
                             key=lambda c: table.column(c).references is not None):
            donors = sorted({r[column] for r in env.rows(table.name) if r[column] is not None
                             and tuple(r[column] if c == column else row[c] for c in group) not in taken}, key=str)
            if donors:
                row = dict(row, **{column: rng.choice(donors)})
                break
        else:
            raise Dropped(f"no look-alike {singular(table.name)} keeps UNIQUE ({', '.join(group)})")
    return row

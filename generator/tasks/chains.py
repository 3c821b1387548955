"""Dependent goals: a later request uses the row an earlier one creates ("add my new card, then
pay for the upgrade with it").

The created row's id is whatever the server assigns; the expander runs the creating call on
the state so far to learn it (ids come from a sequence stored with the data, so the gold
replays to the same id), and the instruction names the row by its description.
"""

from __future__ import annotations

from typing import Any

from generator.compile.ir import DomainIR, ToolIR
from generator.tasks.draft import Dropped, Goal
from generator.tasks.scenario import Action, Statement


def creates(ir: DomainIR, tool: ToolIR) -> str | None:
    """The table a tool adds one row to (a create, or a custom tool that returns the new row)."""
    if tool.read_only or not tool.table or tool.returns_table != tool.table or tool.returns_many:
        return None
    table = ir.table(tool.table)
    if table.composite:  # its rows are named by values the user gives, not by an id the server assigns
        return None
    return None if any(p.ref == (table.name, table.primary_key) for p in tool.params) else tool.table


def dependent_pairs(ir: DomainIR, goal_tools: list[ToolIR], key_param) -> list[tuple[ToolIR, ToolIR, str]]:
    """(creator, consumer, param): the consumer takes, besides its own goal row, a row of the
    table the creator adds to (`key_param(tool)` names a tool's goal-row param)."""
    pairs = []
    for creator in goal_tools:
        table = creates(ir, creator)
        if table is None or not ir.table(table).described_as:  # the user names the new row by what it is
            continue
        key = (table, ir.table(table).primary_key)
        for consumer in goal_tools:
            for p in consumer.params:
                if consumer is not creator and p.ref == key and p.name != key_param(consumer):
                    pairs.append((creator, consumer, p.name))
    return sorted(pairs, key=lambda t: (t[0].name, t[1].name, t[2]))


async def link(env: Any, creator: Goal, consumer: Goal, param: str, statements: list[Statement]) -> None:
    """Point the consumer's `param` at the row the creator's call adds, once both calls are proven
    to run that way (the consumer is left as it was when they do not)."""
    table = env.ir.table(creates(env.ir, creator.tool))
    calls = [Action(tool=creator.tool.name, arguments=creator.args)]
    results, _ = await env.run(env.image_for(statements, env.ir.now), calls)
    made = (results[0].structured_content or {}) if not results[0].is_error else {}
    if table.primary_key not in made:
        raise Dropped(f"{creator.tool.name} adds no row to build on")
    args = {**consumer.args, param: made[table.primary_key]}
    # arguments a rule ties to the new row follow it (a message about the new visit goes to its provider)
    entity = next((ld.entity for ld in consumer.tool.loads if ld.param == param), None)
    for c in consumer.tool.checks:
        tied = c.value[1:] if c.kind == "column" and c.op == "eq" and isinstance(c.value, str) else ""
        if c.entity == entity and tied in args and c.column in made:
            args[tied] = made[c.column]
    results, _ = await env.run(env.image_for(statements, env.ir.now),
                               [*calls, Action(tool=consumer.tool.name, arguments=args)])
    if any(r.is_error for r in results):
        raise Dropped(f"{consumer.tool.name} cannot use the {table.name} row {creator.tool.name} adds")
    consumer.args = args

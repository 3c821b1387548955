"""Information questions: which value of a goal's row the user asks about, and what a wrong
answer would say (the same column on the user's other rows).

A user asks about something they do not already say: never their own record, a column the goal
writes, an id, or a column the row's description names ("which medication is my Cetirizine
prescription for?").
"""

from __future__ import annotations

import random
import re
import sqlite3
from typing import Any

from generator.tasks.draft import Draft, Dropped, Goal
from generator.tasks.environment import Environment


def question(env: Environment, goal: Goal, rng: random.Random) -> tuple[str, str, Any]:
    """Something the user asks about the goal's entity: (table, column, key); the answer is read
    from the initial state once it is built."""
    table = env.ir.table(goal.key.table)
    if table.name == env.ir.actor:  # a person does not ask the agent for their own email
        raise Dropped("nothing to ask about the user's own record")
    written = {p.column for p in goal.tool.params if p.column} | set(goal.tool.set_spec) | {table.status_column}
    said = {m for text in table.described_as for m in re.findall(r"\{(\w+)", text)}
    columns = [c for c in table.columns if c.policy == "hard" and not c.references and c.name not in written | said
               and c.name not in table.key and not c.name.endswith("_id") and not c.hidden
               and goal.row.get(c.name) not in (None, "")]
    if not columns:
        raise Dropped(f"nothing to ask about {table.name}")
    column = rng.choice(columns)
    return (table.name, column.name, table.key_of(goal.row))


def rivals(env: Environment, state: sqlite3.Connection, table_name: str, column: str, key: Any,
           draft: Draft) -> list[Any]:
    """The asked column's values on the user's other rows of the table: what a wrong answer would say."""
    table = env.ir.table(table_name)
    owner = env.owner_column(table)
    if owner is None or table.key == (owner,):
        return []
    found = state.execute(f"SELECT DISTINCT {column} FROM {table_name} WHERE {owner} = ? AND NOT ({table.key_where()}) "
                          f"AND {column} IS NOT NULL ORDER BY {column}",
                          (draft.actor[env.actor.primary_key], *table.key_values(key)))
    return [r[0] for r in found]

"""A candidate scenario while it is built: its goals, actions, state and distractors.

`Dropped` carries the reason a candidate cannot become a valid scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generator.compile.ir import LoadIR, ToolIR
from generator.tasks.scenario import Action, Statement


class Dropped(Exception):
    """A candidate that cannot become a valid scenario; the message is the reason."""


@dataclass
class Goal:
    tool: ToolIR
    args: dict[str, Any]
    key: LoadIR
    row: dict[str, Any]
    owner: Any = None
    refused: str | None = None  # why the agent must decline this request (None: an allowed goal)


@dataclass
class Draft:
    kind: str
    actor: dict[str, Any]
    statements: list[Statement] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    distractors: list[dict[str, Any]] = field(default_factory=list)
    guards: list[tuple[str, Any]] = field(default_factory=list)  # (table, pk) rows that must not change
    forbidden: Action | None = None
    info: list[tuple[str, str, Any]] = field(default_factory=list)  # (table, column, key, then value)
    rivals: list[list[Any]] = field(default_factory=list)  # per info: the column's values on the user's other rows

"""What the agent reads about a tool beyond its own description: who may ask for it, and the
policy rules that only the agent enforces (the tool performs the call either way).
"""

from __future__ import annotations

import textwrap
from typing import Any

from generator.compile.constants import resolve
from generator.compile.names import clock_offset, singular, words
from generator.spec.models import Tool

OP_WORDS = {"eq": "be", "ne": "not be", "in": "be one of", "not_in": "not be any of", "gt": "be after or above",
            "gte": "be at least", "lt": "be before or below", "lte": "be at most"}


def value_words(value: Any) -> str:
    """A rule's value as the policy says it: `60 days before the current time`, `the slot's provider's x`."""
    if isinstance(value, (list, tuple)):
        return ", ".join(map(value_words, value))
    clock = clock_offset(value)
    if clock is not None:
        base, delta = clock
        base = "the current time" if base == "now" else "today"
        if not delta:
            return base
        (unit, amount), = delta.items()
        unit = unit if abs(amount) != 1 else unit[:-1]
        return f"{abs(amount)} {unit} {'before' if amount < 0 else 'after'} {base}"
    if isinstance(value, str) and value.startswith("$"):
        return words(value[1:].replace(".", "'s "))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def rule_text(req: Any, constants: dict[str, Any] | None = None) -> str:
    """A policy rule in words: `the reservation's cabin must be one of economy, business`."""
    constants = constants or {}
    if req.unique is not None:
        where = " and ".join(f"{words(c)} {'one of ' if isinstance(v, list) else ''}{value_words(resolve(v, constants))}"
                             for c, v in req.where.items())
        return f"there must be no other {words(singular(req.unique))} with {where}"
    subject = f"the {words(req.param)}" if req.param else f"the {words(req.entity.replace('.', chr(39) + 's '))}'s " \
        f"{words(req.column)}"
    return f"{subject} must {OP_WORDS[req.op]} {value_words(resolve(req.value, constants))}"


def describe(spec: Tool, constants: dict[str, Any] | None = None) -> str:
    """The tool's description for the agent, with who may ask for it and the rules only the agent enforces."""
    text = textwrap.dedent(spec.description).strip()
    if spec.principals != ["user"]:
        text += f"\n\nWho may ask: {' or '.join(spec.principals)} only; decline a user who asks for it."
    rules = [rule_text(r, constants) for r in spec.requires if r.enforced_by == "policy"]
    if rules:
        text += "\n\nPolicy (this tool does not check it; you must): " + "; ".join(rules) + "."
    return text

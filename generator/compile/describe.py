"""What the agent reads about a tool beyond its own description: who may ask for it, and the
policy rules that only the agent enforces (the tool performs the call either way).
"""

from __future__ import annotations

import textwrap
from typing import Any

from generator.compile.constants import resolve
from generator.compile.names import words
from generator.spec.models import Tool

OP_WORDS = {"eq": "be", "ne": "not be", "in": "be one of", "not_in": "not be any of", "gt": "be after or above",
            "gte": "be at least", "lt": "be before or below", "lte": "be at most"}


def rule_text(req: Any, constants: dict[str, Any] | None = None) -> str:
    """A policy rule in words: `the reservation's cabin must be one of economy, business`."""
    value = resolve(req.value, constants or {})
    if isinstance(value, list):
        value = ", ".join(map(str, value))
    elif isinstance(value, str) and value.startswith("$"):
        value = {"$now": "the current time", "$today": "today"}.get(value, words(value[1:].replace(".", "'s ")))
    elif isinstance(value, bool):
        value = "true" if value else "false"
    return f"the {words(req.entity)}'s {words(req.column)} must {OP_WORDS[req.op]} {value}"


def describe(spec: Tool, constants: dict[str, Any] | None = None) -> str:
    """The tool's description for the agent, with who may ask for it and the rules only the agent enforces."""
    text = textwrap.dedent(spec.description).strip()
    if spec.principals != ["user"]:
        text += f"\n\nWho may ask: {' or '.join(spec.principals)} only; decline a user who asks for it."
    rules = [rule_text(r, constants) for r in spec.requires if r.enforced_by == "policy"]
    if rules:
        text += "\n\nPolicy (this tool does not check it; you must): " + "; ".join(rules) + "."
    return text

"""LLM-assisted task text: natural rewrites of instruction and persona, grounded or rejected.

A rewrite is kept only if every value-like token in it (ids, numbers, dates, emails) was
already in the scenario (instruction, profile, gold arguments) and every such token of the
original instruction is still there; otherwise the template text stays.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from generator import ids
from generator.llm import ChatModel
from generator.tasks.scenario import Scenario

VALUE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+|\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2})?|\b(?:[A-Z]{1,4}\d{3,}|"
                   + ids.ANY_ID + r")\b|\d+(?:\.\d+)?")

SYSTEM = (
    "You rewrite customer requests so they read like a real person wrote them. Keep every id, number, date, "
    "email and name exactly as given, add no new facts or values, keep every request. Reply with JSON only: "
    '{"instruction": "...", "persona": "one sentence on who the user is and how they talk"}'
)


def values(text: str) -> set[str]:
    return set(VALUE.findall(text))


def flatten(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in flatten(v)]
    if isinstance(value, list):
        return [s for v in value for s in flatten(v)]
    return [str(value)]


def grounding_problems(scenario: Scenario, instruction: str, persona: str) -> list[str]:
    """Why a rewrite is not grounded (empty when it is)."""
    known = " ".join([scenario.user.instruction, *flatten(scenario.user.profile),
                      *flatten([a.arguments for a in scenario.gold_actions])])
    allowed = values(known)
    new = values(instruction) | values(persona)
    problems = [f"introduces {v!r}" for v in sorted(new - allowed)]
    problems += [f"drops {v!r}" for v in sorted(values(scenario.user.instruction) - values(instruction))]
    return problems


async def rewrite(scenario: Scenario, model: ChatModel) -> tuple[Scenario, list[str]]:
    """The scenario with rewritten text, or unchanged with the reasons the rewrite was rejected."""
    request = {"instruction": scenario.user.instruction, "profile": scenario.user.profile}
    message, _ = await model.complete([{"role": "system", "content": SYSTEM},
                                       {"role": "user", "content": json.dumps(request, sort_keys=True)}])
    try:
        reply = json.loads(message.get("content") or "")
        instruction, persona = str(reply["instruction"]).strip(), str(reply.get("persona", "")).strip()
    except (json.JSONDecodeError, KeyError, TypeError):
        return scenario, ["reply is not the requested JSON"]
    problems = grounding_problems(scenario, instruction, persona)
    if problems or not instruction:
        return scenario, problems or ["empty instruction"]
    profile = {**scenario.user.profile, "persona": persona} if persona else scenario.user.profile
    user = scenario.user.model_copy(update={"instruction": instruction, "profile": profile})
    return scenario.model_copy(update={"user": user}), []


async def rewrite_all(scenarios: list[Scenario], model: ChatModel) -> tuple[list[Scenario], dict[str, int]]:
    """Rewrite every scenario concurrently (the model bounds requests in flight); order is kept."""
    results = await asyncio.gather(*(rewrite(s, model) for s in scenarios))
    stats = {"rewritten": sum(1 for _, p in results if not p), "kept_template": sum(1 for _, p in results if p)}
    return [s for s, _ in results], stats

"""The quality report of a domain's scenarios: how the instructions read and what the golds do.

`expand` prints it and keeps it in `tasks/<d>/README.md`; tests hold the targets.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from generator.compile.ir import DomainIR
from generator.compile.names import words
from generator.tasks.scenario import Scenario
from generator.tasks.text import ID_LIKE


def text_quality(scenarios: list[Scenario]) -> dict[str, Any]:
    """How the instructions read: tool names in them, near-duplicate templates, caller spread."""
    n = max(1, len(scenarios))
    tools = {t for s in scenarios for t in [*s.metadata.goals, *(a.tool for a in s.gold_actions)]}
    naming = re.compile(r"\b(" + "|".join(sorted({re.escape(t) for t in tools} | {re.escape(words(t)) for t in tools},
                                                   key=len, reverse=True)) + r")\b", re.IGNORECASE) if tools else None

    def masked(s: Scenario) -> str:
        text = s.user.instruction.replace(str(s.user.profile.get("name", "")), "NAME")
        return re.sub(r"\d+(\.\d+)?", "N", ID_LIKE.sub("ID", text))

    shapes = Counter(masked(s) for s in scenarios)
    callers = Counter(json.dumps(sorted((k, str(v)) for k, v in s.user.profile.items() if k.endswith("_id")))
                      for s in scenarios)
    return {
        "instructions_naming_a_tool": round(sum(1 for s in scenarios if naming and naming.search(s.user.instruction))
                                            / n, 3),
        "near_duplicate_instructions": round(sum(c for c in shapes.values() if c > 1) / n, 3),
        "top_caller_share": round(max(callers.values(), default=0) / n, 3),
    }


def chain_quality(scenarios: list[Scenario], ir: DomainIR, askable: list[str]) -> dict[str, Any]:
    """What the golds do: writes and lookups per scenario, lookups whose table a later write's
    argument refers to, which write tools users may ask for are goals, and ids of rows the user
    only knows by description (which must not appear in an instruction)."""
    n = max(1, len(scenarios))
    hidden = [t.id_pattern for t in ir.tables if t.described_as and t.id_format]
    unknown = re.compile(rf"\b(?:{'|'.join(hidden)})\b") if hidden else None
    writes, reads, feeding = [], [], 0
    for s in scenarios:
        tools = [ir.tool(a.tool) for a in s.gold_actions]
        writes.append(sum(1 for t in tools if not t.read_only))
        reads.append(sum(1 for t in tools if t.read_only))
        feeding += any(
            r.read_only and not w.read_only and r.table != ir.actor  # the user gives their own id
            and any((p.ref or p.item_ref or ("",))[0] == r.table and p.name in s.gold_actions[j].arguments
                    for p in w.params)
            for i, r in enumerate(tools) for j, w in enumerate(tools) if j > i)
    goals = {g for s in scenarios if s.metadata.kind != "policy_refusal" for g in s.metadata.goals}
    return {
        "ids_the_user_would_not_know": round(
            sum(1 for s in scenarios if unknown and unknown.search(s.user.instruction)) / n, 3),
        "writes_per_scenario": round(sum(writes) / n, 2),
        "lookups_per_scenario": round(sum(reads) / n, 2),
        "two_or_more_writes_share": round(sum(1 for w in writes if w >= 2) / n, 3),
        "lookup_feeding_a_write_share": round(feeding / n, 3),
        "goal_tools_covered": f"{len(goals & set(askable))} of {len(askable)}",
        "goal_tools_never_a_goal": sorted(set(askable) - goals),
    }


def summarize(scenarios: list[Scenario]) -> dict[str, Any]:
    """Coverage and mix figures for the docs."""
    tools = Counter(t for s in scenarios for t in s.metadata.chain)
    return {
        "scenarios": len(scenarios),
        "kinds": dict(sorted(Counter(s.metadata.kind for s in scenarios).items())),
        "difficulty": dict(sorted(Counter(s.metadata.difficulty for s in scenarios).items())),
        "chain_lengths": dict(sorted(Counter(len(s.gold_actions) for s in scenarios).items())),
        "with_distractors": sum(1 for s in scenarios if s.metadata.distractors),
        "tools_covered": len(tools),
        "checks_per_scenario": round(sum(len(s.checks) for s in scenarios) / max(1, len(scenarios)), 1),
        "negative_controls": sum(len(s.validation.negative_controls) for s in scenarios),
        # every kept scenario was replayed: each control failed a check, each alternative passed all
        "controls_caught": dict(sorted(Counter(t.kind for s in scenarios for t in s.validation.negative_controls).items())),
        "alternatives_passed": dict(sorted(
            Counter(t.kind for s in scenarios for t in s.validation.valid_alternatives).items())),
        "policy_refusals": sum(1 for s in scenarios if s.metadata.declined),
        "policy_refusal_share": round(sum(1 for s in scenarios if s.metadata.declined) / max(1, len(scenarios)), 3),
        "mixed_requests": sum(1 for s in scenarios if s.metadata.declined and s.metadata.goals[:-1]),
        **text_quality(scenarios),
        "with_extra_write_controls": sum(1 for s in scenarios if any(
            t.kind.startswith("extra_write") for t in s.validation.negative_controls)),
    }



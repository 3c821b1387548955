"""User-facing text of scenarios: instruction and profile, rendered from the chain alone.

Wording varies through a seeded RNG; every value in the text comes from the gold actions,
the user's own row or the goal entities, so the instruction is grounded by construction
(`ungrounded` re-checks that).
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from typing import Any

from generator.compile.ir import DomainIR, ToolIR
from generator.compile.names import singular, words
from generator.tasks.answers import accepted
from generator.tasks.draft import Draft
from generator.tasks.environment import story_of
from generator.tasks.scenario import Scenario, User

OPENERS = ["Hi!", "Hello.", "Hey there.", "Good afternoon.", "Hi there!", ""]
INTROS = [
    "I'm {name} (my {who} id is {id}).",
    "This is {name}, {who} id {id}.",
    "My name is {name} and my {who} id is {id}.",
    "{name} here; my {who} id is {id}.",
]
FRAMES = ["I'd like you to {phrase}", "Could you {phrase}", "Please {phrase}", "I need you to {phrase}",
          "Can you {phrase}"]
JOINERS = ["Also,", "After that,", "One more thing:", "And then"]
CLOSINGS = ["Thanks!", "Thank you.", "That's all for now.", "Appreciate it.", ""]
ID_LIKE = re.compile(r"\b[A-Z]{1,4}\d{4,}\b")


def phrase(tool: ToolIR) -> str:
    """The request a tool fulfils, from its verb-object name: `cancel_order` -> 'cancel order'."""
    return words(tool.name)


def spoken(value: Any) -> str:
    """An argument value as a person says it: enum-like words without underscores, lists joined."""
    if isinstance(value, list):
        return "; ".join(spoken(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(spoken(v) for v in value.values())
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    return words(text) if re.fullmatch(r"[a-z]+(_[a-z]+)+", text) else text


class Phrasebook:
    def __init__(self, ir: DomainIR):
        self.ir = ir

    def name_of(self, row: dict[str, Any]) -> str:
        if row.get("first_name") and row.get("last_name"):
            return f"{row['first_name']} {row['last_name']}"
        for key in ("name", "full_name", "display_name"):
            if row.get(key):
                return str(row[key])
        actor = self.ir.table(self.ir.actor)
        return str(row[actor.primary_key])

    def details(self, tool: ToolIR, args: dict[str, Any], skip: set[str]) -> str:
        parts = []
        for p in tool.params:
            if p.name in skip or p.name not in args or (p.ref and p.ref[0] == self.ir.actor):
                continue
            value = args[p.name]
            if isinstance(value, list):
                value = "; ".join(
                    ", ".join(f"{words(k)} {v}" for k, v in (item.items() if isinstance(item, dict) else [("", item)]))
                    for item in value
                )
            parts.append(f"{words(p.name)}: {value}")
        return f" ({'; '.join(parts)})" if parts else ""

    def request(self, tool: ToolIR, args: dict[str, Any], key: str, rng: random.Random) -> str:
        if tool.asks:
            return self.in_own_words(tool, args, rng)
        asked = phrase(tool)
        table = next((ld.table for ld in tool.loads if ld.param == key), None)
        if key in args and table and table != self.ir.actor:
            thing = words(singular(table))
            asked += f" {args[key]}" if asked.endswith(thing) else f" for {thing} {args[key]}"
        return rng.choice(FRAMES).format(phrase=asked) + self.details(tool, args, {key}) + "."

    def in_own_words(self, tool: ToolIR, args: dict[str, Any], rng: random.Random) -> str:
        """The request as the spec's `asks` word it: argument values filled in, no tool or parameter name."""
        values = {p.name: spoken(args[p.name]) for p in tool.params if p.name in args}
        reason = rng.choice(tool.reasons) if tool.reasons else ""
        story = story_of(tool, args)
        asks = [a for a in tool.asks if story is not None or "{story}" not in a] or list(tool.asks)
        told = story.tell.rstrip(".") if story is not None else ""
        text = rng.choice(asks).format_map({"reason": reason, "story": told, **values})  # a `reason` param is the value
        return text[0].upper() + text[1:]

    def user(self, draft: Draft, rng: random.Random) -> User:
        actor = self.ir.table(self.ir.actor)
        me = draft.actor
        my_id = me[actor.primary_key]
        name = self.name_of(me)
        who = words(singular(actor.name))
        parts = [rng.choice(OPENERS), rng.choice(INTROS).format(name=name, who=who, id=my_id)]
        known = [f"{actor.primary_key}: {my_id}", f"name: {name}"]
        for i, goal in enumerate(draft.goals):
            sentence = self.request(goal.tool, goal.args, goal.key.param, rng)
            if i:
                lead = sentence if sentence.startswith("I ") or sentence.startswith("I'") else sentence[0].lower() + sentence[1:]
                sentence = f"{rng.choice(JOINERS)} {lead}"
            parts.append(sentence)
            story = story_of(goal.tool, goal.args)
            composed = set(story.facts) if story is not None else set()  # the user tells what happened instead
            known += [f"{k}: {v}" for k, v in goal.args.items() if not isinstance(v, (list, dict)) and k not in composed]
            known += [f"what happened: {story.tell}"] if composed else []
        for table, column, _ in draft.info:
            goal = draft.goals[0]
            parts.append(f"Also, what is the {words(column)} of {words(singular(table))} {goal.args[goal.key.param]}?")
        if draft.kind == "refusal":
            d = next(d for d in draft.distractors if d["role"] == "forbidden")
            other = self.name_of(d["owner"]) if d.get("owner") else "a friend"
            tool = self.ir.tool(draft.forbidden.tool)
            key = next(ld.param for ld in tool.loads if ld.table == d["table"])
            thing = words(singular(d["table"]))
            asked = phrase(tool)
            asked += f" {draft.forbidden.arguments[key]}" if asked.endswith(thing) else \
                f" for {thing} {draft.forbidden.arguments[key]}"
            if tool.asks:  # passed on in the friend's own words
                parts.append(f'My friend {other} asked me to pass this on too: "{self.in_own_words(tool, draft.forbidden.arguments, rng)}"')
            else:
                parts.append(f"My friend {other} asked me to handle one for them too: {asked}.")
        parts.append(rng.choice(CLOSINGS))
        instruction = " ".join(p for p in parts if p)
        asked = {c for t, c, _ in draft.info if t == actor.name}
        profile = {
            "role": who,
            actor.primary_key: my_id,
            "name": name,
            **{c.name: me[c.name] for c in actor.columns
               if c.policy != "exempt" and c.name not in asked and c.name != actor.primary_key
               and me.get(c.name) is not None},
        }
        unknown = [f"the {words(c)} of {words(singular(t))} {draft.goals[0].args[draft.goals[0].key.param]}"
                   for t, c, _ in draft.info]
        return User(profile=profile, instruction=instruction, known_info=sorted(set(known)), unknown_info=unknown)

    def answer_text(self, draft: Draft) -> str:
        """What a correct agent tells the user for the information goals."""
        goal = draft.goals[0] if draft.goals else None
        said = []
        for t, c, v in draft.info:
            column = self.ir.table(t).column(c)
            value = " ".join(group[0] for group in accepted(str(int(v) if isinstance(v, bool) else v), column.type,
                                                            column.enum))
            said.append(f"The {words(c)} of {words(singular(t))} {goal.args[goal.key.param]} is {value}.")
        if draft.forbidden is not None:
            said.append("I'm sorry, I cannot do the other request: our policy does not allow it.")
        return " ".join(said)


def ungrounded(text: str, values: set[str]) -> list[str]:
    """Id-like tokens in `text` that are not among the known values (should be none)."""
    return sorted({m for m in ID_LIKE.findall(text) if m not in values})


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

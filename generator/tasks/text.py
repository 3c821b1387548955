"""User-facing text of scenarios: instruction and profile, rendered from the chain alone.

Wording varies through a seeded RNG; every value in the text comes from the gold actions,
the user's own row or the goal entities, so the instruction is grounded by construction
(`ungrounded` re-checks that).
"""

from __future__ import annotations

import random
import re
import string
from typing import Any

from generator import ids
from generator.compile.ir import DomainIR, ToolIR
from generator.compile.names import singular, words
from generator.tasks.answers import accepted
from generator.tasks.draft import Draft, Dropped
from generator.tasks.environment import story_of
from generator.tasks.mentions import Mentions, spoken
from generator.tasks.scenario import User

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
ID_LIKE = re.compile(rf"\b(?:{ids.ANY_ID})\b")


def phrase(tool: ToolIR) -> str:
    """The request a tool fulfils, from its verb-object name: `cancel_order` -> 'cancel order'."""
    return words(tool.name)



def named(goal: Any) -> Any:
    """The value naming a goal's row: its id, or every part of a composite key ("P00003 / FD100 / 2026-03-02")."""
    values = [goal.args[p] for p in goal.key.params]
    return values[0] if len(values) == 1 else " / ".join(map(str, values))

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

    def request(self, tool: ToolIR, args: dict[str, Any], key: str, rng: random.Random,
                mentions: Mentions | None = None) -> str:
        if tool.asks:
            return self.in_own_words(tool, args, rng, mentions)
        asked = phrase(tool)
        table = next((ld.table for ld in tool.loads if ld.param == key), None)
        if key in args and table and table != self.ir.actor:
            thing = words(singular(table))
            asked += f" {args[key]}" if asked.endswith(thing) else f" for {thing} {args[key]}"
        return rng.choice(FRAMES).format(phrase=asked) + self.details(tool, args, {key}) + "."

    def in_own_words(self, tool: ToolIR, args: dict[str, Any], rng: random.Random,
                     mentions: Mentions | None = None) -> str:
        """The request as the spec's `asks` word it: argument values filled in (a row the user holds
        no id for by its description), no tool or parameter name."""
        values = {p.name: self.mention(p.ref, args[p.name], mentions) or spoken(args[p.name])
                  for p in tool.params if p.name in args}
        reason = rng.choice(tool.reasons) if tool.reasons else ""
        story = story_of(tool, args)
        asks = [a for a in tool.asks if story is not None or "{story}" not in a] or list(tool.asks)
        # a phrasing that says an optional argument the call leaves out ("and back on {return_flight_id}") does not fit
        asks = [a for a in asks if {f for _, f, _, _ in string.Formatter().parse(a) if f} <= {"reason", "story", *values}]
        if not asks:
            raise Dropped(f"no phrasing of {tool.name} fits a call without {', '.join(sorted(set(tool.params) - set(args)))}")
        told = story.tell.rstrip(".") if story is not None else ""
        text = rng.choice(asks).format_map({"reason": reason, "story": told, **values})  # a `reason` param is the value
        return capitalized(text)

    @staticmethod
    def mention(ref: tuple[str, str] | None, value: Any, mentions: Mentions | None) -> str | None:
        """How the user names the row an id param refers to (or, in a list, each row an id-like
        value names), when they hold no id for it."""
        if mentions is None:
            return None
        if isinstance(value, (list, dict)):
            items = value if isinstance(value, list) else [value]
            if not any(mentions.of_id(v) for item in items for v in (item.values() if isinstance(item, dict) else [item])):
                return None
            return spoken([dict(zip(item, Phrasebook.unrepeated([mentions.of_id(v) or v for v in item.values()]),
                                    strict=True))
                           if isinstance(item, dict) else mentions.of_id(item) or item for item in items])
        return mentions.of(ref[0], value) if ref is not None else None

    @staticmethod
    def unrepeated(values: list[Any]) -> list[Any]:
        """Values of one list item as said: "the Headlamp, in size L" rather than "the Headlamp, the
        Headlamp in size L" when one description starts with the one before it."""
        out = []
        for value in values:
            before = str(out[-1]) if out else ""
            out.append(value[len(before):].lstrip(", ") if before and isinstance(value, str)
                       and value.startswith(before + " ") else value)
        return out

    def user(self, draft: Draft, rng: random.Random, mentions: Mentions | None = None) -> User:
        actor = self.ir.table(self.ir.actor)
        me = draft.actor
        my_id = me[actor.primary_key]
        name = self.name_of(me)
        who = words(singular(actor.name))
        parts = [rng.choice(OPENERS), rng.choice(INTROS).format(name=name, who=who, id=my_id)]
        known = [f"{actor.primary_key}: {my_id}", f"name: {name}"]
        for i, goal in enumerate(draft.goals):
            sentence = self.request(goal.tool, goal.args, goal.key.param, rng, mentions)
            if i:
                sentence = f"{rng.choice(JOINERS)} {lowered(sentence)}"
            parts.append(sentence)
            story = story_of(goal.tool, goal.args)
            composed = set(story.facts) if story is not None else set()  # the user tells what happened instead
            for p in goal.tool.params:
                value = goal.args.get(p.name)
                if value is None or isinstance(value, (list, dict)) or p.name in composed:
                    continue
                described = self.mention(p.ref, value, mentions)
                known.append(f"{words(singular(p.ref[0]))}: {described}" if described else f"{p.name}: {value}")
            known += [f"what happened: {story.tell}"] if composed else []
        goal = draft.goals[0] if draft.goals else None
        # a row of a composite key is named by every part: "meal choice P00003 / FD100 / 2026-03-02"
        key = goal and named(goal)
        about = goal and ((mentions and mentions.of(goal.key.table, key)) or f"{words(singular(goal.key.table))} {key}")
        questions = [self.asked(t, c, about) for t, c, _ in draft.info]
        parts += [f"Also, {lowered(q)}" for q in questions]
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
                said = self.in_own_words(tool, draft.forbidden.arguments, rng, mentions)
                parts.append(f'My friend {other} asked me to pass this on too: "{said}"')
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
        unknown = [f"the answer to: {q}" for q in questions]
        return User(profile=profile, instruction=instruction, known_info=sorted(set(known)), unknown_info=unknown,
                    behaviour=self.behaviour(draft, unknown))

    def asked(self, table: str, column: str, about: str) -> str:
        """The user's question for a value of the row they name `about`: the column's `asked`, else
        one built from the column's name."""
        text = self.ir.table(table).column(column).asked or f"What is the {words(column)} of {{row}}?"
        return capitalized(text.format(row=about))

    def behaviour(self, draft: Draft, unknown: list[str]) -> list[str]:
        """Rules for the user simulator, from what the scenario asks of the agent."""
        rules = ["Give a detail you know only when the agent asks for it; if asked for something you do not "
                 "know, say so, and never make up ids or details.",
                 "If the agent asks you to confirm something you asked for, confirm it."]
        rules += [f"Make sure the agent tells you {u}; if it has not, ask for it before you end." for u in unknown]
        if draft.forbidden is not None:
            whose = "your friend's request" if draft.kind == "refusal" else "a request"
            rules.append(f"If the agent says it cannot do {whose} because of its policy, accept that once it has "
                         "explained; do not insist or ask it to bend the rules.")
        rules.append("End the conversation once the agent has done, or clearly declined, everything you asked.")
        return rules

    def answer_text(self, draft: Draft) -> str:
        """What a correct agent tells the user for the information goals."""
        goal = draft.goals[0] if draft.goals else None
        said = []
        for t, c, v in draft.info:
            column = self.ir.table(t).column(c)
            value = " ".join(group[0] for group in accepted(str(int(v) if isinstance(v, bool) else v), column.type,
                                                            column.enum))
            said.append(f"The {words(c)} of {words(singular(t))} {named(goal)} is {value}.")
        if draft.forbidden is not None:
            said.append("I'm sorry, I cannot do the other request: our policy does not allow it.")
        return " ".join(said)


NAMED = re.compile(r"(?:I|Dr|Mr|Mrs|Ms|Prof)\b|[A-Z][\w'.-]*\s+[A-Z]")  # "I", a title, or a name


def lowered(sentence: str) -> str:
    """A sentence to follow "Also," or "After that,": its first letter lower-cased, unless it
    opens with "I", a title ("Dr. Lee has ...") or a name ("Sean Robinson has ...")."""
    return sentence if NAMED.match(sentence) else sentence[0].lower() + sentence[1:]


def capitalized(text: str) -> str:
    """Sentences that start with a capital ("my visit" opening a sentence)."""
    return re.sub(r"(^|[.!?] )([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)


def ungrounded(text: str, values: set[str]) -> list[str]:
    """Id-like tokens in `text` that are not among the known values (should be none)."""
    return sorted({m for m in ID_LIKE.findall(text) if m not in values})

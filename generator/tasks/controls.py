"""Trajectories that prove a scenario's checks: wrong ones that must fail, right ones that must pass.

Negative controls: do nothing, leave out a write, act on the look-alike, do the forbidden
request, an extra write on another row of the same user, on another user's row and on a row
no user owns, a goal done twice, and free texts that do not carry the user's facts. Valid
alternatives: extra reads, reads left out, an update split into one call per field,
independent writes in another order, free texts that carry the facts in other words. Each candidate
runs on the real server; one whose calls are rejected, or whose extra write changes nothing
the checks compare, says nothing about the checks and is not kept.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from typing import Any

from generator.probe.plan import target_load
from generator.tasks.checks import changed_keys
from generator.tasks.draft import Draft
from generator.tasks.environment import Environment, story_of
from generator.tasks.scenario import Action, Trajectory

EXTRA_WRITES = ("same_user", "other_user", "unowned")
TRIES = 8  # server runs spent looking for one extra write of a kind


class Trials:
    """Controls and alternatives for one draft on its initial state `image`."""

    def __init__(self, env: Environment, draft: Draft, image: bytes, gold_end: sqlite3.Connection,
                 rng: random.Random):
        self.env = env
        self.ir = env.ir
        self.draft = draft
        self.image = image
        self.gold_end = gold_end
        self.rng = rng
        self.gold = draft.actions
        self.goal_rows = {(g.key.table, self.ir.table(g.key.table).key_of(g.row)) for g in draft.goals}

    async def changes_more(self, actions: list[Action]) -> bool:
        """Whether every call succeeds and the end state differs from gold's on compared columns
        (looked for in the tables the calls beyond the gold declare they write)."""
        results, end = await self.env.run(self.image, actions)
        if any(r.is_error for r in results):
            return False
        return bool(changed_keys(self.ir, self.gold_end, end,
                                 {t for a in actions[len(self.gold):] for t in self.ir.tool(a.tool).writes}))

    async def runs(self, actions: list[Action]) -> bool:
        results, _ = await self.env.run(self.image, actions)
        return not any(r.is_error for r in results)

    # --- negative controls ---

    async def negative(self) -> list[Trajectory]:
        draft, gold = self.draft, self.gold
        writes = [i for i, a in enumerate(gold) if not self.ir.tool(a.tool).read_only]
        # when the gold writes nothing (every request declined), doing nothing is the gold itself
        controls = [Trajectory(name="do nothing", kind="do_nothing", actions=[])] if writes else []
        for i in writes:
            controls.append(Trajectory(name=f"leave out {gold[i].tool}", kind="leave_out",
                                       actions=[a for j, a in enumerate(gold) if j != i]))
        for d in draft.distractors:
            if d["role"] == "look-alike":
                swapped = [Action(tool=a.tool, arguments={k: (d["id"] if v == d["of"] else v)
                                                          for k, v in a.arguments.items()}) for a in gold]
                if [a for a in swapped if not self.ir.tool(a.tool).read_only] != [gold[i] for i in writes]:
                    controls.append(Trajectory(name=f"act on look-alike {d['id']}", kind="look_alike",
                                               actions=swapped))
        if draft.forbidden is not None:
            controls.append(Trajectory(name=f"do the forbidden {draft.forbidden.tool}", kind="forbidden",
                                       actions=[*gold, draft.forbidden]))
        worded = self.reworded(lambda facts: "Please see the conversation with the customer.")
        if worded is not None:
            controls.append(Trajectory(name="texts without the facts", kind="text_without_facts", actions=worded))
        for who in EXTRA_WRITES:
            extra = await self.extra_write(who)
            if extra is not None:
                controls.append(Trajectory(name=f"also {extra.tool} on {who.replace('_', ' ')} row",
                                           kind=f"extra_write_{who}", actions=[*gold, extra]))
        for i in writes:
            if await self.changes_more([*gold, gold[i]]):
                controls.append(Trajectory(name=f"{gold[i].tool} twice", kind="goal_twice", actions=[*gold, gold[i]]))
                break
        return controls

    def whose(self, table: str, row: dict[str, Any]) -> str | None:
        """Which extra-write kind a seed row serves, or None for the task's own rows."""
        if (table, self.ir.table(table).key_of(row)) in self.goal_rows:
            return None
        owner = self.env.owner_of(self.ir.table(table), row)
        if owner is None:
            return "unowned"
        return "same_user" if owner == self.draft.actor[self.env.actor.primary_key] else "other_user"

    async def extra_write(self, who: str) -> Action | None:
        """A successful write call, beyond the gold, on a row of the given kind."""
        goal_tools = list(dict.fromkeys(g.tool.name for g in self.draft.goals))
        others = sorted(t.name for t in self.ir.tools if not t.read_only and t.name not in goal_tools)
        self.rng.shuffle(others)
        tries = 0
        for name in [*goal_tools, *others]:
            tool = self.ir.tool(name)
            load = target_load(tool)
            if load is None:
                continue
            rows = [r for r in self.env.rows(load.table) if self.whose(load.table, r) == who]
            for row in self.rng.sample(rows, min(2, len(rows))):
                args = self.env.call_args(tool, load, row, self.rng)
                if args is None or not self.env.planner.valid(tool, args, self.env.planner.entities(tool, args, {})):
                    continue
                extra = Action(tool=name, arguments=args)
                tries += 1
                if await self.changes_more([*self.gold, extra]):
                    return extra
                if tries >= TRIES:
                    return None
        return None

    # --- valid alternatives ---

    async def alternatives(self, expanded: list[dict[str, Any]]) -> list[Trajectory]:
        gold = self.gold
        read_only = [self.ir.tool(a.tool).read_only for a in gold]
        reads = [a for a, ro in zip(gold, read_only, strict=True) if ro]
        writes = [a for a, ro in zip(gold, read_only, strict=True) if not ro]
        found: list[Trajectory] = []
        extra = [Action(tool=e["tool"], arguments=e["arguments"]) for e in expanded
                 if e["ok"] and self.ir.tool(e["tool"]).read_only][:2]
        if extra:
            found.append(Trajectory(name="extra reads first", kind="extra_reads", actions=[*extra, *gold]))
        if reads:
            found.append(Trajectory(name="no reads", kind="reads_left_out", actions=writes))
        for i, action in enumerate(gold):
            parts = self.split(action)
            if len(parts) > 1:
                found.append(Trajectory(name=f"{action.tool} one field per call", kind="split_update",
                                        actions=[*gold[:i], *parts, *gold[i + 1:]]))
        worded = self.reworded(lambda facts: "Customer reports: " + "; ".join(group[-1] for group in facts) + ".")
        if worded is not None:
            found.append(Trajectory(name="texts in other words", kind="reworded_text", actions=worded))
        if len(writes) > 1:
            reordered = [*reads, *reversed(writes)]
            if reordered != gold and await self.runs(reordered):
                found.append(Trajectory(name="writes in reverse order", kind="reordered_writes", actions=reordered))
        return found

    def split(self, action: Action) -> list[Action]:
        """An update call as one call per optional field it sets (same end state by declaration)."""
        tool = self.ir.tool(action.tool)
        if tool.kind != "update":
            return [action]
        fields = [p.name for p in tool.params if not p.required and p.column and p.name in action.arguments]
        if len(fields) < 2:
            return [action]
        fixed = {k: v for k, v in action.arguments.items() if k not in fields}
        return [Action(tool=action.tool, arguments={**fixed, name: action.arguments[name]}) for name in fields]

    def reworded(self, write: Callable[[list[list[str]]], str]) -> list[Action] | None:
        """The gold with every composed text the user's story gives facts for written by `write`
        from those facts, or None when the gold composes no such text."""
        actions, changed = [], False
        for action in self.gold:
            story = story_of(self.ir.tool(action.tool), action.arguments)
            facts = {p: f for p, f in story.facts.items() if p in action.arguments} if story else {}
            actions.append(Action(tool=action.tool, arguments={**action.arguments,
                                                                **{p: write(f) for p, f in facts.items()}}))
            changed = changed or bool(facts)
        return actions if changed else None

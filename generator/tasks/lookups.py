"""The reads a gold chain makes: only those that supply something the user did not give.

A lookup is a read tool that takes only the user's id and yields the value a goal needs
(found along data-flow edges of the dependency graph): a row the user only describes is
looked up, a row they name by its id is not (the read would tell the agent nothing new),
except a request to decline, which is declined after looking at the facts (a request only
staff may make is declined for who asks, without a read). The rows a policy
rule looks at are read (the agent enforces the rule), and a question about a row is answered
from a read of that row. The user's own record is never read for show: they give their id.
"""

from __future__ import annotations

import random
from typing import Any

from generator.compile.ir import ToolIR
from generator.tasks.draft import Goal
from generator.tasks.environment import Environment
from generator.tasks.scenario import Action


class Lookups:
    def __init__(self, env: Environment):
        self.env = env

    def lookups(self, goal: Goal, rng: random.Random, actor_id: Any) -> list[Action]:
        """The reads that find what the user names without an id, and the goal entity's key when
        the request is one to decline (unless it is declined for who asks: no data decides that)."""
        if goal.refused is not None and "user" not in goal.tool.principals:
            return []
        found = []
        for p in goal.tool.params:
            if p.item_ref and p.name in goal.args and self.env.ir.table(p.item_ref[0]).described_as:
                action = self.listing(p.item_ref[0], actor_id)  # a list of ids: "my Visa, then my gift card"
            elif not p.ref or p.ref[0] == self.env.ir.actor or p.name not in goal.args:
                continue
            else:
                wanted = bool(self.env.ir.table(p.ref[0]).described_as) or (
                    p.name == goal.key.param and goal.refused is not None)
                action = self.lookup(goal.tool, p.name, rng, actor_id) if wanted else None
            if action is not None and action not in found:
                found.append(action)
        listed = {self.env.ir.tool(a.tool).table for a in found}  # a list the agent read shows the facts too
        return found + [a for a in self.facts(goal) if self.env.ir.tool(a.tool).table not in listed]

    def listing(self, table: str, actor_id: Any) -> Action | None:
        """The read of a table's rows that takes only the user's id (`list_payment_methods`)."""
        for tool in sorted(self.env.ir.tools, key=lambda t: t.name):
            if tool.read_only and tool.kind != "custom" and tool.table == table and self.takes_only_actor(tool):
                return Action(tool=tool.name, arguments={p.name: actor_id for p in tool.params if p.required})
        return None

    def takes_only_actor(self, tool: ToolIR) -> bool:
        required = [p for p in tool.params if p.required]
        return bool(required) and all(p.ref and p.ref[0] == self.env.ir.actor for p in required)

    def facts(self, goal: Goal) -> list[Action]:
        """Reads of the rows the tool's policy rules look at: the agent, not the tool, enforces
        them, so it reads the facts (the reservation's status, the user's membership) first."""
        found = []
        for check in goal.tool.policy_checks:
            load = next((ld for ld in goal.tool.loads if ld.entity == check.entity), None)
            action = self.get(load.table, goal.args[load.param]) if load and load.param in goal.args else None
            if action is not None and action not in found:
                found.append(action)
        return found

    def lookup(self, goal_tool: ToolIR, param: str, rng: random.Random, actor_id: Any) -> Action | None:
        """A read tool that takes only the actor's id and yields the value of `param`."""
        options = []
        for source, _, kind, data in self.env.graph.in_edges(goal_tool.name, keys=True, data=True):
            if kind != "data_flow":
                continue
            tool = self.env.ir.tool(source)
            if not tool.read_only or tool.kind == "custom":
                continue
            if not any(b["param"] == param for b in data["bindings"]):
                continue
            if self.takes_only_actor(tool):
                options.append((tool.table, Action(tool=tool.name, arguments={
                    p.name: actor_id for p in tool.params if p.required})))
        # a read of the table the value names (the user's cards) over one that merely mentions it
        ref = next((p.ref[0] for p in goal_tool.params if p.name == param and p.ref), None)
        options = [a for table, a in options if table == ref] or [a for _, a in options]
        return rng.choice(sorted(options, key=lambda a: a.tool)) if options else None

    def get(self, table: str, key: Any) -> Action | None:
        """The read of one row by its id (`get_order`), or None when the table has no such tool."""
        for t in self.env.ir.tools:
            if t.kind == "get" and t.table == table and t.key:
                return Action(tool=t.name, arguments={t.key: key})
        return None

"""Task instantiation via graph expansion: verified scenarios, deterministically, offline.

For each candidate: pick goals (write tools on entities one user owns), instantiate them on
seed rows (plus initial-state statements that make preconditions hold, and look-alike
distractor rows), add lookup tools along data-flow edges, execute the chain on the real
generated server, derive SQL checks from the gold state diff, expand the subgraph with BFS
(each added tool executed from the task state), render the instruction, and keep the
scenario only if gold and every valid alternative pass every check and every negative control fails one.
"""

from __future__ import annotations

import random
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from generator.compile.build import compile_domain
from generator.compile.ir import LoadIR, ToolIR
from generator.probe.plan import target_load
from generator.tasks.chains import dependent_pairs, link
from generator.tasks.checks import changed_keys, derive_checks, text
from generator.tasks.controls import Trials
from generator.tasks.distractors import clone
from generator.tasks.draft import Draft, Dropped, Goal
from generator.tasks.environment import Environment, rebased, story_args
from generator.tasks.lookups import Lookups
from generator.tasks.mentions import Mentions
from generator.tasks.quality import chain_quality
from generator.tasks.questions import question, rivals
from generator.tasks.refusals import arranged, breach, refusable
from generator.tasks.scenario import (
    Action,
    InitialState,
    Metadata,
    Scenario,
    Statement,
    Validation,
    run_checks,
    sql_checks_pass,
)
from generator.tasks.subgraph import expand_subgraph
from generator.tasks.text import Phrasebook

# a request only a few users can make would make those few the callers of many scenarios: another
# user asks in place of the candidate's caller for half of the candidates that need one, and the
# one user a spec test names for a quarter of those
ELSEWHERE, FIXED_USER = 0.5, 0.25
# policy refusals: a request the tool would carry out but the policy (or who is asking) forbids
KINDS = (("action", 0.18), ("multi_goal", 0.36), ("information", 0.13), ("refusal", 0.1), ("policy_refusal", 0.23))


@dataclass
class Result:
    scenarios: list[Scenario]
    tried: int
    dropped: Counter
    quality: dict[str, Any]  # what the golds do (quality.chain_quality)


class Expander:
    def __init__(self, env: Environment, seed: int):
        self.env = env
        self.ir = env.ir
        self.seed = seed
        self.text = Phrasebook(env.ir)
        writes = [t for t in self.ir.tools if not t.read_only and self.goal_load(t) is not None]
        self.goal_tools = [t for t in writes if "user" in t.principals]  # what a user may ask for
        self.refusable = [t for t in self.goal_tools if self.ownership_param(t)]
        self.declinable = [t for t in writes if refusable(t)]
        self.reads = Lookups(env)
        self.callers = [r[env.actor.primary_key] for r in env.rows(self.ir.actor)]
        random.Random(f"{seed}:{self.ir.name}:callers").shuffle(self.callers)
        self.dependent = dependent_pairs(self.ir, self.goal_tools, lambda t: self.goal_load(t).param)

    # --- choosing goals ---

    def goal_load(self, tool: ToolIR) -> LoadIR | None:
        load = target_load(tool)
        if load is None:
            return None
        table = self.ir.table(load.table)
        if self.env.owner_column(table) is None and not any(
            c.references and self.env.owner_column(self.ir.table(c.references[0])) for c in table.columns
        ):
            return None
        return load

    def ownership_param(self, tool: ToolIR) -> str | None:
        """A param that a precondition requires to equal the entity's owner (`x.user_id eq $user_id`)."""
        for c in tool.checks:
            if c.op == "eq" and isinstance(c.value, str) and c.value.startswith("$"):
                param = next((p for p in tool.params if p.name == c.value[1:]), None)
                if param is not None and param.ref and param.ref[0] == self.ir.actor:
                    return param.name
        return None

    async def instantiate(self, tool: ToolIR, rng: random.Random, actor_id: Any, taken: set[Any],
                          base: list[Statement], foreign: bool = False, fixed: bool = True) -> tuple[Goal, list[Statement]]:
        """Bind a goal tool to a row owned by `actor_id` (any user when None; someone else when
        `foreign`), and prove the call runs on the state so far; the spec's own success tests
        are the fallback for tools whose arguments can't be derived (moved onto `actor_id`; for
        any user, only when `fixed`, as they name one fixed user)."""
        load = self.goal_load(tool)
        table = self.ir.table(load.table)
        owner = self.env.owner_column(table)
        if owner is not None and actor_id is not None:
            rows = self.env.rows(table.name, f"WHERE {owner} {'!=' if foreign else '='} ?", (actor_id,))
        else:
            rows = self.env.rows(table.name)
        rows = self.env.by_owner(table, rows, rng) if actor_id is None else rng.sample(rows, len(rows))
        tries = 0
        # a request on the user's own record may name a row no one owns: then also try ones they have to do with
        draws = (False, True, True) if table.name == self.ir.actor else (False,)
        for row, linked in [(r, linked) for r in rows for linked in draws]:
            if table.key_of(row) in taken or tries >= 4:
                continue
            row_owner = self.env.owner_of(table, row)
            if row_owner is None or (actor_id is not None and (row_owner == actor_id) == foreign):
                continue
            args = self.env.call_args(tool, load, row, rng, linked)
            if args is None:
                continue
            tries += 1
            overrides = arranged(self.env.planner, tool, args)  # gold keeps the policy
            statements = [Statement(sql=sql, params=[text(v) for v in params])
                          for sql, params in self.env.planner.setup_sql(overrides)]
            if await self.runs(base + statements, Action(tool=tool.name, arguments=args)):
                return Goal(tool, args, load, row, row_owner), statements
        for test in tool.tests if fixed or actor_id is not None else ():
            if test.expect.error is not None or any(p not in test.args for p in load.params):
                continue
            setup, args = list(test.setup), dict(test.args)
            where = " AND ".join(f"{c} = ?" for c in load.columns)
            found = self.env.rows(table.name, f"WHERE {where}", tuple(args[p] for p in load.params))
            fixed = self.env.owner_of(table, found[0]) if found else None
            if isinstance(fixed, str) and isinstance(actor_id, str) and not foreign and fixed != actor_id:
                setup, args = rebased(setup, args, fixed, actor_id)  # the test's user is one fixed user
                found = self.env.rows(table.name, f"WHERE {where}", tuple(args[p] for p in load.params))
            if not found or table.key_of(found[0]) in taken:
                continue
            row_owner = self.env.owner_of(table, found[0])
            if row_owner is None or (actor_id is not None and (row_owner == actor_id) == foreign):
                continue
            statements = [Statement(sql=sql) for sql in setup]
            args |= story_args(tool, rng)
            if await self.runs(base + statements, Action(tool=tool.name, arguments=args)):
                return Goal(tool, args, load, found[0], row_owner), statements
        raise Dropped(f"no runnable {tool.name} call")

    async def substitute(self, tools: list[ToolIR], rng: random.Random, actor_id: Any, taken: set[Any],
                         base: list[Statement], pool: list[ToolIR] | None = None) -> tuple[Goal, list[Statement]]:
        """A goal from another tool of `pool` (the goal tools) for the same user, when the drawn one
        cannot run for them."""
        others = [t for t in pool or self.goal_tools if t not in tools]
        for tool in rng.sample(others, min(4, len(others))):
            try:
                return await self.instantiate(tool, rng, actor_id, taken, base)
            except Dropped:
                continue
        raise Dropped("no other request runs for the same user")

    async def first(self, tools: list[ToolIR], kind: str, rng: random.Random,
                    caller: Any) -> tuple[Goal, list[Statement]]:
        """The first goal, asked by the candidate's caller when they can make it; else (now and then,
        ELSEWHERE) by another user who can, each such user as likely however many rows they have;
        else the caller asks for something else."""
        if caller is None:
            return await self.instantiate(tools[0], rng, None, set(), [])
        with suppress(Dropped):
            return await self.instantiate(tools[0], rng, caller, set(), [])
        if kind == "policy_refusal" and len(tools) == 1:  # something else the caller may not have done
            return await self.substitute(tools, rng, caller, set(), [], self.declinable)
        if rng.random() < ELSEWHERE:
            with suppress(Dropped):
                return await self.instantiate(tools[0], rng, None, set(), [], fixed=rng.random() < FIXED_USER)
        return await self.substitute(tools, rng, caller, set(), [])

    async def runs(self, statements: list[Statement], action: Action) -> bool:
        """Whether the call succeeds on the seed plus `statements` (executable verification)."""
        try:
            image = self.env.image_for(statements, self.ir.now)
        except sqlite3.Error:
            return False
        results, _ = await self.env.run(image, [action])
        return not results[0].is_error

    # --- building one candidate ---

    async def draft(self, index: int) -> Draft:
        rng = random.Random(f"{self.seed}:{self.ir.name}:{index}")
        possible = {"refusal": bool(self.refusable), "policy_refusal": bool(self.declinable)}
        kinds = [k for k, _ in KINDS if possible.get(k, True)]
        kind = rng.choices(kinds, weights=[w for k, w in KINDS if k in kinds])[0]
        if not self.goal_tools:
            raise Dropped("no goal tools")
        n_goals = {"multi_goal": rng.choice([2, 2, 3]), "policy_refusal": rng.choice([1, 1, 2])}.get(kind, 1)
        tools = rng.sample(self.goal_tools, min(n_goals, len(self.goal_tools)))  # distinct requests
        if kind == "policy_refusal":  # the last request is the one to decline; the others are allowed
            tools[-1] = rng.choice(self.declinable)
        link_to = None  # a later request that uses the row the first one adds
        if kind == "multi_goal" and self.dependent and rng.random() < 0.4:
            creator, consumer, link_to = rng.choice(self.dependent)
            tools = [creator, consumer]
        taken: set[Any] = set()
        statements: list[Statement] = []
        goals: list[Goal] = []
        # callers spread over the users: candidate i asks as the i-th user of a seeded cycle (a pure
        # function of the index); when that user has nothing to ask for, the first goal's row decides
        caller = self.callers[index % len(self.callers)] if self.callers else None
        actor_id = None
        for i, tool in enumerate(tools):
            if not i:
                goal, more = await self.first(tools, kind, rng, caller)
            else:
                try:
                    goal, more = await self.instantiate(tool, rng, actor_id, taken, statements)
                except Dropped:
                    if kind != "multi_goal":
                        raise
                    goal, more = await self.substitute(tools, rng, actor_id, taken, statements)  # not none
            actor_id = goal.owner
            if link_to is not None and i == 1 and goals[0].tool is tools[0] and goal.tool is tool:
                with suppress(Dropped):  # else the two requests stay independent ones
                    await link(self.env, goals[0], goal, link_to, statements + more)
            if goal.key.table != self.ir.actor:  # many goals may act on the user's own record
                taken.add(self.ir.table(goal.key.table).key_of(goal.row))
            goals.append(goal)
            statements += more
        actor = self.env.rows(self.ir.actor, f"WHERE {self.env.actor.primary_key} = ?", (actor_id,))[0]
        draft = Draft(kind=kind, actor=actor, statements=statements, goals=goals)
        if kind == "policy_refusal":
            await self.decline(draft, goals[-1], rng)
        if kind == "refusal":
            tool = rng.choice(self.refusable)
            goal, more = await self.instantiate(tool, rng, actor_id, taken, statements, foreign=True)
            draft.forbidden = Action(tool=tool.name, arguments=goal.args)
            draft.statements += more
            table = self.ir.table(goal.key.table)
            draft.guards.append((table.name, table.key_of(goal.row)))
            other = self.env.rows(self.ir.actor, f"WHERE {self.env.actor.primary_key} = ?", (goal.owner,))
            draft.distractors.append({"role": "forbidden", "table": table.name,
                                      "id": table.key_of(goal.row), "owner": other[0] if other else None})
        # distractors: a look-alike of the first goal's entity, owned by the same user
        target = draft.goals[0]
        table = self.ir.table(target.key.table)
        # a composite UNIQUE (one review per customer and product) makes a faithful twin impossible
        clonable = table.id_format and "UNIQUE (" not in table.create_sql
        if clonable and table.name != self.ir.actor and rng.random() < 0.8:
            with suppress(Dropped):  # no faithful look-alike (no free visit to bill twice): none
                twin, more = clone(self.env, table, target.row, 1 + index % 9000, rng)
                draft.statements += more
                draft.guards.append((table.name, twin[table.primary_key]))
                draft.distractors.append({"role": "look-alike", "table": table.name, "id": twin[table.primary_key],
                                          "of": target.row[table.primary_key]})
        if kind == "information":
            draft.info.append(question(self.env, draft.goals[0], rng))
        for i, goal in enumerate(draft.goals):
            draft.actions += [a for a in self.reads.lookups(goal, rng, actor_id) if a not in draft.actions]
            if draft.info and not i:  # the answer is read before any change, unless a lookup already read the row
                table, _, key = draft.info[0]
                read = {self.ir.tool(a.tool).table for a in draft.actions}
                draft.actions += [a for a in [self.reads.get(table, key)] if a is not None and table not in read]
            if goal.refused is None:
                draft.actions.append(Action(tool=goal.tool.name, arguments=goal.args))
        return draft

    async def decline(self, draft: Draft, goal: Goal, rng: random.Random) -> None:
        """Make the goal a request the agent must decline: break one of its policy rules in the
        initial state (or rely on who may ask), and keep the call, which still succeeds, as the
        forbidden action."""
        found = breach(self.env.planner, goal, rng)
        if found is None:
            raise Dropped(f"no policy rule of {goal.tool.name} can be broken")
        goal.refused, more = found
        draft.statements += more
        draft.forbidden = Action(tool=goal.tool.name, arguments=goal.args)
        if not await self.runs(draft.statements, draft.forbidden):
            raise Dropped(f"{goal.tool.name} itself refuses the request the policy forbids")

    # --- one candidate end to end ---

    async def candidate(self, index: int) -> Scenario:
        draft = await self.draft(index)
        now = self.ir.now
        try:
            image = self.env.image_for(draft.statements, now)
        except sqlite3.Error as exc:  # the server names the statement: "initial_state.statements[6]: UNIQUE ..."
            raise Dropped(f"initial state breaks a constraint ({str(exc).split(': ', 1)[-1]})") from None
        _, initial = await self.env.run(image, [])
        broken = initial.execute("PRAGMA foreign_key_check").fetchone()  # images are made with foreign keys off
        if broken is not None:
            raise Dropped(f"initial state breaks a foreign key (a {broken[0]} row names no {broken[2]} row)")
        key = self.env.actor.primary_key  # the caller as the initial state has them (a spec test may upgrade them)
        cur = initial.execute(f"SELECT * FROM {self.ir.actor} WHERE {key} = ?", (draft.actor[key],))
        draft.actor = dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))
        draft.rivals = [rivals(self.env, initial, t, c, key, draft) for t, c, key in draft.info]
        draft.info = [(t, c, initial.execute(f"SELECT {c} FROM {t} WHERE {self.ir.table(t).key_where()}",
                                             self.ir.table(t).key_values(key)).fetchone()[0]) for t, c, key in draft.info]
        if any(value is None for _, _, value in draft.info):
            raise Dropped("the asked value is empty")
        results, after = await self.env.run(image, draft.actions)
        for action, result in zip(draft.actions, results, strict=True):
            if result.is_error:
                raise Dropped(f"gold call {action.tool} rejected after the goals were combined")
        refused = [g for g in draft.goals if g.refused]
        if not refused and not changed_keys(self.ir, initial, after,
                                            {t for a in draft.actions for t in self.ir.tool(a.tool).writes}):
            raise Dropped("gold changes nothing")
        mentions = Mentions(self.ir, initial, self.env.owner_column, after)  # rows the user holds no id for, described
        user = self.text.user(draft, random.Random(f"{self.seed}:{self.ir.name}:{index}:text"), mentions)
        checks = derive_checks(self.ir, draft, after, image)
        probe = Scenario.model_construct(checks=checks)
        if not all(r["passed"] for r in run_checks(after, image, probe, said=self.text.answer_text(draft))):
            raise Dropped("gold fails its own checks")
        subgraph = await expand_subgraph(self.env, draft, image)
        trials = Trials(self.env, draft, image, after, random.Random(f"{self.seed}:{self.ir.name}:{index}:trials"))
        controls = await trials.negative()
        for control in controls:
            _, end = await self.env.run(image, control.actions)
            if sql_checks_pass(end, image, probe, {t for a in control.actions for t in self.ir.tool(a.tool).writes}):
                raise Dropped(f"a negative control passes every check ({control.kind})")
        alternatives = await trials.alternatives(subgraph["expanded"])
        for alternative in alternatives:
            _, end = await self.env.run(image, alternative.actions)
            if not sql_checks_pass(end, image, probe):
                raise Dropped(f"a valid alternative fails a check ({alternative.kind})")
        chain = [a.tool for a in draft.actions]
        n_writes = sum(1 for a in draft.actions if not self.ir.tool(a.tool).read_only)
        difficulty = "easy" if len(chain) <= 2 and n_writes == 1 and not draft.distractors else (
            "hard" if n_writes >= 3 or (n_writes >= 2 and draft.distractors) or draft.forbidden else "medium")
        return Scenario(
            id=f"{self.ir.name}-{self.seed}-{index:04d}",
            domain=self.ir.name,
            env_hash=self.env.env_hash,
            seed=self.seed,
            now=now,
            user=user,
            initial_state=InitialState(statements=draft.statements,
                                       description=f"{len(draft.statements)} statement(s) on top of the seed"),
            gold_actions=draft.actions,
            checks=checks,
            validation=Validation(negative_controls=controls, valid_alternatives=alternatives),
            metadata=Metadata(kind=draft.kind, chain=chain, subgraph=subgraph, distractors=draft.distractors,
                              declined=[{"tool": g.tool.name, "reason": g.refused} for g in refused],
                              difficulty=difficulty, goals=[g.tool.name for g in draft.goals]),
        )


def expand_domain(domain: str | Path, count: int, seed: int, progress: Callable[[int, int], None] | None = None,
                  max_tries: int | None = None) -> Result:
    """`count` validated scenarios for a domain (fewer if the candidates run out), with yield stats."""
    build = compile_domain(domain)
    with tempfile.TemporaryDirectory(prefix="expand-") as tmp:
        env = Environment(build, Path(tmp))
        expander = Expander(env, seed)

        async def loop() -> Result:
            async with env.replayer:
                return await candidates()

        async def candidates() -> Result:
            kept: list[Scenario] = []
            dropped: Counter = Counter()
            tries = 0
            limit = max_tries or count * 6
            while len(kept) < count and tries < limit:
                try:
                    kept.append(await expander.candidate(tries))
                except Dropped as exc:
                    dropped[str(exc)] += 1
                tries += 1
                if progress:
                    progress(len(kept), tries)
            askable = [t.name for t in expander.goal_tools]
            return Result(kept, tries, dropped, chain_quality(kept, env.ir, askable))

        return anyio.run(loop)

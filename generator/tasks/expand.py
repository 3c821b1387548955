"""Task instantiation via graph expansion: verified scenarios, deterministically, offline.

For each candidate: pick goals (write tools on entities one user owns), instantiate them on
seed rows (plus initial-state statements that make preconditions hold, and look-alike
distractor rows), add lookup tools along data-flow edges, execute the chain on the real
generated server, derive SQL checks from the gold state diff, expand the subgraph with BFS
(each added tool executed from the task state), render the instruction, and keep the
scenario only if gold passes every check and every negative control fails one.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

from generator.compile import graph as tdg
from generator.compile.build import Build, compile_domain
from generator.compile.ir import DomainIR, LoadIR, TableIR, ToolIR
from generator.probe.plan import Planner
from generator.probe.replayer import Replayer
from generator.probe.run import load_package
from generator.tasks.replay import sql_results
from generator.tasks.scenario import (
    Action,
    Check,
    InitialState,
    Metadata,
    NegativeControl,
    Scenario,
    Statement,
    Validation,
    run_checks,
)
from generator.tasks.text import Phrasebook

KINDS = (("action", 0.4), ("multi_goal", 0.25), ("information", 0.15), ("refusal", 0.2))


class Dropped(Exception):
    """A candidate that cannot become a valid scenario; the message is the reason."""


@dataclass
class Goal:
    tool: ToolIR
    args: dict[str, Any]
    key: LoadIR
    row: dict[str, Any]
    owner: Any = None


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


@dataclass
class Result:
    scenarios: list[Scenario]
    tried: int
    dropped: Counter


class Environment:
    """The generated server under test, its IR and graph, and a runner for action lists."""

    def __init__(self, build: Build, work: Path):
        self.build = build
        self.ir: DomainIR = build.ir
        self.graph = tdg.build_graph(build.ir)
        self.server_mod, self.runtime = load_package(build, work)
        self.image = self.runtime.seed_image()
        self.seed = self.runtime.memory_copy(self.image)
        self.seed.row_factory = sqlite3.Row
        self.planner = Planner(self.ir, self.runtime.memory_copy(self.image))
        self.env_hash = hashlib.sha256(build.files["provenance.json"].encode()).hexdigest()
        self.replayer = Replayer(self.server_mod, self.runtime)
        self.image_for = self.replayer.image_for
        self.run = self.replayer.run
        if not self.ir.actor:
            raise Dropped(f"domain {self.ir.name} names no actor table (spec field 'actor')")
        self.actor = self.ir.table(self.ir.actor)

    def rows(self, table: str, where: str = "", params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        t = self.ir.table(table)
        sql = f"SELECT * FROM {table} {where} ORDER BY {t.primary_key}"
        return [dict(r) for r in self.seed.execute(sql, params)]

    def owner_column(self, table: TableIR) -> str | None:
        if table.name == self.actor.name:
            return table.primary_key
        return next((c.name for c in table.columns if c.references and c.references[0] == self.actor.name), None)

    def owner_of(self, table: TableIR, row: dict[str, Any]) -> Any:
        """The actor id a row belongs to: directly, or through one foreign key hop."""
        column = self.owner_column(table)
        if column is not None:
            return row[column]
        for c in table.columns:
            if c.references and row.get(c.name) is not None:
                parent = self.ir.table(c.references[0])
                pcol = self.owner_column(parent)
                if pcol is not None and parent.name != table.name:
                    found = self.seed.execute(f"SELECT {pcol} FROM {parent.name} WHERE {c.references[1]} = ?",
                                              (row[c.name],)).fetchone()
                    if found:
                        return found[0]
        return None


def text_expr(table: TableIR, column: str) -> str:
    """A column as checks compare it, always as text (one Arrow type for every `expect`).

    Reals are rounded to cents; semantic (free-text) columns are trimmed and lower-cased.
    """
    c = table.column(column)
    if c.type == "real":
        return f"CAST(ROUND({column}, 2) AS TEXT)"
    if c.policy == "semantic":
        return f"lower(trim({column}))"
    if c.type in ("integer", "boolean"):
        return f"CAST({column} AS TEXT)"
    return column


def text(value: Any) -> str | None:
    """A value as checks and statements carry it; SQLite converts it back on comparison or insert."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return None if value is None else str(value)


def rows(conn: sqlite3.Connection, sql: str, params: dict[str, Any]) -> list[list[Any]]:
    return [list(r) for r in conn.execute(sql, params)]


def checked_columns(table: TableIR) -> list[str]:
    return [c.name for c in table.columns if c.policy != "exempt" and c.name != table.primary_key]


class Expander:
    def __init__(self, env: Environment, seed: int):
        self.env = env
        self.ir = env.ir
        self.seed = seed
        self.text = Phrasebook(env.ir)
        self.goal_tools = [t for t in self.ir.tools if not t.read_only and self.goal_load(t) is not None]
        self.refusable = [t for t in self.goal_tools if self.ownership_param(t)]

    # --- choosing goals ---

    def goal_load(self, tool: ToolIR) -> LoadIR | None:
        load = next((ld for ld in tool.loads if ld.param == tool.key), None)
        load = load or next((ld for ld in tool.loads if ld.required), None)
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
                          base: list[Statement], foreign: bool = False) -> tuple[Goal, list[Statement]]:
        """Bind a goal tool to a row owned by `actor_id` (any user when None; someone else when
        `foreign`), and prove the call runs on the state so far; the spec's own success tests
        are the fallback for tools whose arguments can't be derived."""
        load = self.goal_load(tool)
        table = self.ir.table(load.table)
        owner = self.env.owner_column(table)
        if owner is not None and actor_id is not None:
            rows = self.env.rows(table.name, f"WHERE {owner} {'!=' if foreign else '='} ?", (actor_id,))
        else:
            rows = self.env.rows(table.name)
        rng.shuffle(rows)
        tries = 0
        for row in rows:
            if row[table.primary_key] in taken or tries >= 4:
                continue
            row_owner = self.env.owner_of(table, row)
            if row_owner is None or (actor_id is not None and (row_owner == actor_id) == foreign):
                continue
            args = self.env.planner.derive(tool, load, row)
            for p in tool.params:
                if p.enum and not p.ref and p.example is None and p.name in args and p.default is None:
                    args[p.name] = rng.choice(p.enum)
            if any(p.required and p.name not in args for p in tool.params):
                continue
            tries += 1
            overrides = self.env.planner.force(tool, args)
            statements = [Statement(sql=sql, params=[text(v) for v in params])
                          for sql, params in self.env.planner.setup_sql(overrides)]
            if await self.runs(base + statements, Action(tool=tool.name, arguments=args)):
                return Goal(tool, args, load, row, row_owner), statements
        for test in tool.tests:
            if test.expect.error is not None or load.param not in test.args:
                continue
            found = self.env.rows(table.name, f"WHERE {load.column} = ?", (test.args[load.param],))
            if not found or found[0][table.primary_key] in taken:
                continue
            row_owner = self.env.owner_of(table, found[0])
            if row_owner is None or (actor_id is not None and (row_owner == actor_id) == foreign):
                continue
            statements = [Statement(sql=sql) for sql in test.setup]
            if await self.runs(base + statements, Action(tool=tool.name, arguments=dict(test.args))):
                return Goal(tool, dict(test.args), load, found[0], row_owner), statements
        raise Dropped(f"no runnable {tool.name} call")

    async def runs(self, statements: list[Statement], action: Action) -> bool:
        """Whether the call succeeds on the seed plus `statements` (executable verification)."""
        try:
            image = self.env.image_for(statements, self.ir.now)
        except sqlite3.Error:
            return False
        results, _ = await self.env.run(image, [action])
        return not results[0].is_error

    def lookup(self, goal: Goal, rng: random.Random, actor_id: Any) -> Action | None:
        """A read tool that takes only the actor's id and yields the goal entity's key."""
        if goal.key.table == self.ir.actor:
            return None
        options = []
        for source, _, kind, data in self.env.graph.in_edges(goal.tool.name, keys=True, data=True):
            if kind != "data_flow":
                continue
            tool = self.ir.tool(source)
            if not tool.read_only or tool.kind == "custom":
                continue
            if not any(b["param"] == goal.key.param for b in data["bindings"]):
                continue
            required = [p for p in tool.params if p.required]
            if required and all(p.ref and p.ref[0] == self.ir.actor for p in required):
                options.append(Action(tool=tool.name, arguments={p.name: actor_id for p in required}))
        return rng.choice(sorted(options, key=lambda a: a.tool)) if options else None

    def actor_get(self, actor_id: Any) -> Action | None:
        for t in self.ir.tools:
            if t.kind == "get" and t.table == self.ir.actor and t.key:
                return Action(tool=t.name, arguments={t.key: actor_id})
        return None

    def clone(self, table: TableIR, row: dict[str, Any], serial: int) -> tuple[dict[str, Any], list[Statement]]:
        """A look-alike copy of a row (and its child rows) under new ids."""
        if not table.id_prefix:
            raise Dropped(f"{table.name} has no generated ids to clone")
        twin = dict(row)
        twin[table.primary_key] = f"{table.id_prefix}9{serial:04d}"
        for c in table.columns:
            if c.unique and c.name != table.primary_key and isinstance(twin[c.name], str):
                twin[c.name] = f"{twin[c.name].split('@')[0]}.{serial}@{twin[c.name].split('@')[1]}" \
                    if "@" in twin[c.name] else f"{twin[c.name]}-{serial}"
        statements = [insert_statement(table, twin)]
        for child in self.ir.tables:
            fk = next((c.name for c in child.columns if c.references == (table.name, table.primary_key)), None)
            if fk is None or child.name == table.name or not child.id_prefix:
                continue
            for n, kid in enumerate(self.env.rows(child.name, f"WHERE {fk} = ?", (row[table.primary_key],))):
                kid = dict(kid, **{fk: twin[table.primary_key], child.primary_key: f"{child.id_prefix}9{serial:02d}{n:02d}"})
                statements.append(insert_statement(child, kid))
        return twin, statements

    # --- building one candidate ---

    async def draft(self, index: int) -> Draft:
        rng = random.Random(f"{self.seed}:{self.ir.name}:{index}")
        kinds = [k for k, _ in KINDS if k != "refusal" or self.refusable]
        kind = rng.choices(kinds, weights=[w for k, w in KINDS if k in kinds])[0]
        if not self.goal_tools:
            raise Dropped("no goal tools")
        n_goals = 1 if kind in ("action", "information", "refusal") else rng.choice([2, 2, 3])
        tools = [rng.choice(self.goal_tools) for _ in range(n_goals)]
        taken: set[Any] = set()
        statements: list[Statement] = []
        goals: list[Goal] = []
        actor_id = None  # the first goal's row decides who the user is
        for tool in tools:
            goal, more = await self.instantiate(tool, rng, actor_id, taken, statements)
            actor_id = goal.owner
            if goal.key.table != self.ir.actor:  # many goals may act on the user's own record
                taken.add(goal.row[self.ir.table(goal.key.table).primary_key])
            goals.append(goal)
            statements += more
        actor = self.env.rows(self.ir.actor, f"WHERE {self.env.actor.primary_key} = ?", (actor_id,))[0]
        draft = Draft(kind=kind, actor=actor, statements=statements, goals=goals)
        if kind == "refusal":
            tool = rng.choice(self.refusable)
            goal, more = await self.instantiate(tool, rng, actor_id, taken, statements, foreign=True)
            draft.forbidden = Action(tool=tool.name, arguments=goal.args)
            draft.statements += more
            table = self.ir.table(goal.key.table)
            draft.guards.append((table.name, goal.row[table.primary_key]))
            other = self.env.rows(self.ir.actor, f"WHERE {self.env.actor.primary_key} = ?", (goal.owner,))
            draft.distractors.append({"role": "forbidden", "table": table.name,
                                      "id": goal.row[table.primary_key], "owner": other[0] if other else None})
        # distractors: a look-alike of the first goal's entity, owned by the same user
        target = draft.goals[0]
        table = self.ir.table(target.key.table)
        # a composite UNIQUE (one review per customer and product) makes a faithful twin impossible
        clonable = table.id_prefix and "UNIQUE (" not in table.create_sql
        if clonable and table.name != self.ir.actor and rng.random() < 0.8:
            twin, more = self.clone(table, target.row, 1 + index % 9000)
            draft.statements += more
            draft.guards.append((table.name, twin[table.primary_key]))
            draft.distractors.append({"role": "look-alike", "table": table.name, "id": twin[table.primary_key],
                                      "of": target.row[table.primary_key]})
        get = self.actor_get(actor_id)
        if get is not None and rng.random() < 0.7:
            draft.actions.append(get)
        for goal in draft.goals:
            found = self.lookup(goal, rng, actor_id)
            if found is not None and rng.random() < 0.8 and found not in draft.actions:
                draft.actions.append(found)
            draft.actions.append(Action(tool=goal.tool.name, arguments=goal.args))
        if kind == "information":
            draft.info.append(self.question(draft.goals[0], rng))
        if len(draft.actions) < 2 and get is not None and get not in draft.actions:
            draft.actions.insert(0, get)
        return draft

    def question(self, goal: Goal, rng: random.Random) -> tuple[str, str, Any]:
        """Something the user asks about the goal's entity: (table, column, key); the answer is
        read from the initial state once it is built."""
        table = self.ir.table(goal.key.table)
        written = {p.column for p in goal.tool.params if p.column} | set(goal.tool.set_spec) | {table.status_column}
        columns = [c for c in table.columns if c.policy == "hard" and not c.references and c.name not in written
                   and c.name != table.primary_key and goal.row.get(c.name) not in (None, "")]
        if not columns:
            raise Dropped(f"nothing to ask about {table.name}")
        column = rng.choice(columns)
        return (table.name, column.name, goal.row[table.primary_key])

    # --- checks ---

    def checks(self, draft: Draft, before: sqlite3.Connection, after: sqlite3.Connection,
               touched: dict[str, set[Any]]) -> list[Check]:
        """SQL checks from the gold diff, collateral-damage guards, and answer checks.

        Every expectation is what the query returns on the gold end state (or, for guards,
        on the initial state), so a check can only disagree with gold if the state differs.
        """
        checks: list[Check] = []

        def add(sql: str, params: dict[str, Any], state: sqlite3.Connection, description: str) -> None:
            checks.append(Check(id=f"c{len(checks) + 1:02d}", sql=sql, params=params, expect=rows(state, sql, params),
                                description=description))

        for table in self.ir.tables:
            keys = sorted(touched.get(table.name, ()), key=str)
            if not keys:
                continue
            cols = checked_columns(table)
            select = ", ".join(text_expr(table, c) for c in cols)
            pk = table.primary_key
            existed = {r[0] for r in before.execute(f"SELECT {pk} FROM {table.name}")}
            for key in keys:
                where = {"key": text(key)}
                gone = after.execute(f"SELECT 1 FROM {table.name} WHERE {pk} = ?", (key,)).fetchone() is None
                if gone:
                    add(f"SELECT CAST(COUNT(*) AS TEXT) FROM {table.name} WHERE {pk} = :key", where, after,
                        f"{table.name} {key} was removed")
                elif key in existed:
                    add(f"SELECT {select} FROM {table.name} WHERE {pk} = :key", where, after,
                        f"{table.name} {key} has the expected values")
                else:
                    # new rows have generated ids: match them by content, not by key
                    values = after.execute(f"SELECT {select} FROM {table.name} WHERE {pk} = ?", (key,)).fetchone()
                    conds = [f"{c} IS NULL" if v is None else f"{text_expr(table, c)} = :v{i}"
                             for i, (c, v) in enumerate(zip(cols, values, strict=True))]
                    params = {f"v{i}": v for i, v in enumerate(values) if v is not None}
                    add(f"SELECT CAST(COUNT(*) AS TEXT) FROM {table.name} WHERE {' AND '.join(conds)}", params, after,
                        f"a new {table.name} row as expected")
            add(f"SELECT CAST(COUNT(*) AS TEXT) FROM {table.name}", {}, after,
                f"{table.name} has no other new or removed rows")
            owner = self.env.owner_column(table)
            if owner is not None and owner != pk:
                names = ", ".join(f":k{i}" for i in range(len(keys)))
                params = {"owner": text(draft.actor[self.env.actor.primary_key]),
                          **{f"k{i}": text(k) for i, k in enumerate(keys)}}
                add(f"SELECT {pk}, {select} FROM {table.name} WHERE {owner} = :owner AND {pk} NOT IN ({names}) "
                    f"ORDER BY {pk}", params, after, f"the user's other {table.name} are unchanged")
        # row counts of every other table the goals or the forbidden action may write
        written = {t for g in draft.goals for t in g.tool.writes}
        if draft.forbidden is not None:
            written |= set(self.ir.tool(draft.forbidden.tool).writes)
        for name in sorted(written - set(touched)):
            add(f"SELECT CAST(COUNT(*) AS TEXT) FROM {name}", {}, after, f"{name} has no new or removed rows")
        for table_name, key in draft.guards:
            table = self.ir.table(table_name)
            select = ", ".join(text_expr(table, c) for c in checked_columns(table))
            add(f"SELECT {select} FROM {table_name} WHERE {table.primary_key} = :key", {"key": text(key)}, before,
                f"{table_name} {key} is untouched")
        for _, column, value in draft.info:
            checks.append(Check(id=f"c{len(checks) + 1:02d}", kind="answer", expect=[[text(value)]],
                                description=f"the agent tells the user the {column.replace('_', ' ')}"))
        return checks

    # --- one candidate end to end ---

    async def candidate(self, index: int) -> Scenario:
        draft = await self.draft(index)
        now = self.ir.now
        try:
            image = self.env.image_for(draft.statements, now)
        except sqlite3.IntegrityError as exc:
            raise Dropped(f"initial state breaks a constraint ({str(exc).split(':')[0]})") from None
        _, initial = await self.env.run(image, [])
        draft.info = [(t, c, initial.execute(f"SELECT {c} FROM {t} WHERE {self.ir.table(t).primary_key} = ?",
                                             (key,)).fetchone()[0]) for t, c, key in draft.info]
        results, after = await self.env.run(image, draft.actions)
        for action, result in zip(draft.actions, results, strict=True):
            if result.is_error:
                raise Dropped(f"gold call {action.tool} rejected after the goals were combined")
        touched = changed_keys(self.ir, initial, after, {t for a in draft.actions for t in self.ir.tool(a.tool).writes})
        if not touched:
            raise Dropped("gold changes nothing")
        checks = self.checks(draft, initial, after, touched)
        writes = [i for i, a in enumerate(draft.actions) if not self.ir.tool(a.tool).read_only]
        controls = [NegativeControl(name="do nothing", actions=[])]
        for i in writes:
            controls.append(NegativeControl(name=f"leave out {draft.actions[i].tool}",
                                            actions=[a for j, a in enumerate(draft.actions) if j != i]))
        for d in draft.distractors:
            if d["role"] == "look-alike":
                swapped = [Action(tool=a.tool, arguments={k: (d["id"] if v == d["of"] else v)
                                                          for k, v in a.arguments.items()}) for a in draft.actions]
                controls.append(NegativeControl(name=f"act on look-alike {d['id']}", actions=swapped))
        if draft.forbidden is not None:
            controls.append(NegativeControl(name=f"do the forbidden {draft.forbidden.tool}",
                                            actions=[*draft.actions, draft.forbidden]))
        probe = Scenario.model_construct(checks=checks)
        gold_results = run_checks(after, probe, said=self.text.answer_text(draft))
        if not all(r["passed"] for r in gold_results):
            raise Dropped("gold fails its own checks")
        for control in controls:
            _, end = await self.env.run(image, control.actions)
            if all(r["passed"] for r in sql_results(run_checks(end, probe), probe)):
                what = control.name if control.name == "do nothing" else control.name.rsplit(" ", 1)[0]
                raise Dropped(f"a negative control passes every check ({what})")
        subgraph = await self.expand(draft, image)
        user = self.text.user(draft, random.Random(f"{self.seed}:{self.ir.name}:{index}:text"))
        chain = [a.tool for a in draft.actions]
        n_writes = len(writes)
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
            validation=Validation(negative_controls=controls),
            metadata=Metadata(kind=draft.kind, chain=chain, subgraph=subgraph, distractors=draft.distractors,
                              difficulty=difficulty, goals=[g.tool.name for g in draft.goals]),
        )

    async def expand(self, draft: Draft, image: bytes, limit: int = 6) -> dict[str, Any]:
        """Dependency-aware BFS: add tools whose every required input the subgraph can supply."""
        known: dict[tuple[str, str], Any] = {}
        actor = self.env.actor
        for c in actor.columns:
            known[(actor.name, c.name)] = draft.actor[c.name]
        for goal in draft.goals:
            table = self.ir.table(goal.key.table)
            for c in table.columns:
                known.setdefault((table.name, c.name), goal.row[c.name])
                if c.references:
                    known.setdefault(c.references, goal.row[c.name])
        nodes = list(dict.fromkeys(a.tool for a in draft.actions))
        frontier = list(nodes)
        added: list[Action] = []
        while frontier and len(added) < limit:
            source = frontier.pop(0)
            for _, target, kind in sorted(self.env.graph.out_edges(source, keys=True)):
                if kind != "data_flow" or target in nodes or len(added) >= limit:
                    continue
                tool = self.ir.tool(target)
                args = {}
                for p in tool.params:
                    if p.ref and p.ref in known:
                        args[p.name] = known[p.ref]
                    elif p.required and not p.ref:
                        value = self.env.planner.scalar(p, None)
                        if value is None:
                            break
                        args[p.name] = value
                    elif p.required:
                        break
                else:
                    nodes.append(target)
                    frontier.append(target)
                    added.append(Action(tool=target, arguments=args))
        results, _ = await self.env.run(image, added) if added else ([], None)
        edges = sorted({(a, b, k) for a, b, k in self.env.graph.edges(nodes, keys=True) if b in nodes})
        return {
            "nodes": nodes,
            "edges": [list(e) for e in edges],
            "expanded": [{"tool": a.tool, "arguments": a.arguments, "ok": not r.is_error}
                         for a, r in zip(added, results, strict=True)],
        }


def insert_statement(table: TableIR, row: dict[str, Any]) -> Statement:
    cols = list(table.column_names)
    return Statement(sql=f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                     params=[text(row[c]) for c in cols])


def changed_keys(ir: DomainIR, before: sqlite3.Connection, after: sqlite3.Connection,
                 tables: set[str] | None = None) -> dict[str, set[Any]]:
    """Primary keys of rows that differ between two states, per table (only `tables` if given)."""
    out: dict[str, set[Any]] = {}
    for t in ir.tables:
        if tables is not None and t.name not in tables:
            continue
        a = {r[0]: r for r in before.execute(f"SELECT {t.primary_key}, * FROM {t.name}")}
        b = {r[0]: r for r in after.execute(f"SELECT {t.primary_key}, * FROM {t.name}")}
        keys = {k for k in set(a) | set(b) if a.get(k) != b.get(k)}
        if keys:
            out[t.name] = keys
    return out


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
            return Result(kept, tries, dropped)

        return anyio.run(loop)


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
    }



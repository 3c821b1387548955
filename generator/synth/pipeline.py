"""Synthesize one domain from its name: the stages, the repair loop, and the outputs.

domain -> tool schemas -> database -> seed recipe -> behaviour -> tests -> procedural tests
(in a worker process) -> debug rounds (tools still failing are dropped) -> spec and server on
disk -> dependency edges confirmed by the LLM in small batches (an edge the model leaves out
or a batch that fails keeps its computed verdict) -> verified scenarios and the report, written
last: a domain with a report is finished, and a rerun skips it.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from generator.compile import graph as tdg
from generator.compile.lower import lower
from generator.probe.report import UNEXPECTED
from generator.synth import isolate, stages
from generator.synth.assemble import Draft, diagnose, load_data, spec_data, table_data, to_yaml
from generator.synth.roles import Ledger, Roles, SynthesisError


@dataclass(frozen=True)
class Config:
    """Everything a domain's synthesis needs; plain data, so it crosses to Ray workers."""

    model: str
    out: Path
    cache: Path | None = None
    base_url: str | None = None
    api_key: str | None = None
    offline: bool = False
    role_models: dict[str, str] = field(default_factory=dict)
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)  # "*" or role -> request settings
    count: int = 20
    max_repair_rounds: int = 3
    seed: int = 0
    tool_timeout: float = 30.0
    redo: bool = False  # synthesize again even when the output holds a finished domain


@dataclass
class DomainResult:
    name: str
    ok: bool = False
    error: str = ""
    tokens: dict[str, dict[str, int]] = field(default_factory=dict)
    retries: dict[str, int] = field(default_factory=dict)
    tools: int = 0
    tables: int = 0
    seed_rows: int = 0
    cases: int = 0
    unexpected: int = 0
    repaired: list[str] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)
    edges: dict[str, int] = field(default_factory=dict)
    scenarios: int = 0
    verified: int = 0
    paths: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    trace: str = ""  # the traceback of an unexpected exception, for bug reports
    resumed: bool = False  # finished by an earlier run: read from its report, nothing asked

    @classmethod
    def from_report(cls, name: str, report: dict[str, Any], paths: list[str]) -> DomainResult:
        known = {k: v for k, v in report.items() if k in cls.__dataclass_fields__}
        return cls(**{**known, "name": name, "ok": True, "resumed": True, "paths": paths})


NOT_REPORTED = ("paths", "ok", "error", "trace", "resumed")
EDGE_BATCH = 24  # candidate edges judged per request: small replies, and a bad one costs little


def make_chats(config: Config) -> dict[str, Any]:
    """The chat model of every role ("*" is the default), one client per distinct model."""
    from generator.llm import OpenAIChat

    by_model: dict[str, Any] = {}

    def chat(model: str) -> Any:
        if model not in by_model:
            by_model[model] = OpenAIChat(model=model, base_url=config.base_url, api_key=config.api_key,
                                         seed=config.seed, cache=config.cache, offline=config.offline)
        return by_model[model]

    return {"*": chat(config.model), **{role: chat(model) for role, model in sorted(config.role_models.items())}}


class Synthesis:
    def __init__(self, name: str, config: Config, chats: dict[str, Any], log: Callable[[str], None]):
        self.name, self.config = name, config
        self.result = DomainResult(name)
        self.ledger = Ledger()
        self.log = log
        self.roles = Roles(chats, self.ledger, log=self.say, settings=config.settings)
        self.draft = Draft(name, seed=config.seed)
        self.work = work_folder(config.out, name)
        self.sample: dict[str, Any] = {}
        self.seeded: dict[str, int] = {}

    def say(self, line: str) -> None:
        self.result.log.append(line)
        self.log(f"{self.name}: {line}")

    def write_draft(self, data: dict[str, Any]) -> Path:
        path = self.work / f"{self.name}.yaml"
        path.write_text(to_yaml(data))
        return path

    async def run(self) -> DomainResult:
        shutil.rmtree(self.work, ignore_errors=True)  # left by a run that was killed
        self.work.mkdir(parents=True)
        try:
            await self.define()
            outcomes = await self.repair()
            await self.publish(outcomes)
            self.result.ok = True
        except SynthesisError as exc:
            self.result.error = str(exc)
        except Exception as exc:  # CacheMiss, network errors: reported per domain, the others go on
            self.result.error = f"{type(exc).__name__}: {exc}"
            self.result.trace = traceback.format_exc()
        finally:
            self.result.tokens, self.result.retries = self.ledger.as_dict(), dict(self.ledger.retries)
            shutil.rmtree(self.work, ignore_errors=True)
            with contextlib.suppress(OSError):
                self.work.parent.rmdir()  # only when no other domain is working
        return self.result

    async def define(self) -> None:
        """Stages 1-6: every reply validated against its model, the draft and the spec checker."""
        d = self.draft
        d.domain = await self.roles.ask("domain", {}, lambda r: [] if r.name == self.name else
                                        [f"name: must be {self.name!r}"], name=self.name)
        self.say(f"domain: {d.domain.title}")
        domain = {"Domain": stages.dump(d.domain)}
        d.accept_tools(await self.roles.ask("tools", domain, stages.check_tools))
        self.say(f"tools: {len(d.tools)} designed")
        schemas = {"Tool schemas": {n: stages.dump(t) for n, t in d.tools.items()}}
        d.database = await self.roles.ask("database", domain | schemas, lambda r: stages.check_database(d, r))
        self.say(f"database: {len(d.database.tables)} tables, actor {d.database.actor}")
        tables = {"Tables": {n: stages.dump(t) for n, t in d.database.tables.items()}}
        d.recipes = await self.roles.ask("seed", domain | tables, self.check_seed)
        self.say(f"seed: {self.result.seed_rows} rows")
        where = {"Tool to tables map": {n: stages.dump(t) for n, t in d.database.tool_tables.items()},
                 "Rows and models each body sees": stages.loaded_rows(d)}
        reply = await self.roles.ask("behaviour", domain | schemas | tables | where,
                                     lambda r: stages.check_behaviour(d, r))
        d.behaviour = dict(reply.tools)
        kinds = sorted(b.kind for b in d.behaviour.values())
        self.say(f"behaviour: {sum(k != 'custom' for k in kinds)} declarative, {kinds.count('custom')} custom")
        d.accept_tests(await self.roles.ask("tests", self.test_context(), lambda r: stages.check_tests(d, r)))
        self.say(f"tests: {sum(len(c) for c in d.tests.values())} cases")

    def test_context(self) -> dict[str, Any]:
        """What the Test Agent needs: the rules, the tools that change state, the tables and the seed."""
        data = spec_data(self.draft, with_tests=False)
        return {"Domain rules": {"now": data["now"], "policy": data["policy"]},
                "Tools that change state": {n: t for n, t in data["tools"].items() if t["kind"] not in ("get", "list")},
                "Tables": table_data(self.draft, with_seed=False),
                "Seed rows per table": self.seeded,
                "Seed sample (first rows per table)": self.sample}  # fmt: skip

    async def check_seed(self, reply: Any) -> list[str]:
        problems = stages.check_seed(self.draft, reply)
        if problems:
            return problems
        data = spec_data(stages.copy(self.draft, recipes=reply), tools=False)
        seeded = await isolate.seed(self.write_draft(data), self.work)
        if "error" in seeded:
            return [f"the seed data cannot be made: {seeded['error']}"]
        self.sample, self.seeded = seeded["sample"], seeded["rows"]
        self.result.seed_rows = sum(seeded["rows"].values())
        return []

    async def repair(self) -> list[dict[str, Any]]:
        """Stages 7-8: probe in a worker, debug the failing tools; drop what is still failing."""
        d = self.draft
        for round_ in range(self.config.max_repair_rounds + 1):
            violations = stages.sandbox(d)
            runnable = stages.copy(d, dropped=dict(d.dropped, **{t: "sandbox" for t in violations}))
            outcomes, _ = await isolate.probe(self.write_draft(spec_data(runnable)), self.work, self.config.tool_timeout)
            failures: dict[str, list[dict[str, Any]]] = {}
            for o in outcomes:
                if o["verdict"] == UNEXPECTED:
                    failures.setdefault(o["tool"], []).append(o)
            failing = {t: {"violations": violations.get(t, []), "failures": failures.get(t, [])}
                       for t in sorted(set(violations) | set(failures))}
            self.say(f"procedural tests (round {round_}): {len(outcomes)} cases, "
                     f"{sum(len(f) for f in failures.values())} unexpected, {len(violations)} tool(s) held by the sandbox")
            if not failing:
                return outcomes
            if round_ == self.config.max_repair_rounds:
                break
            log = stages.failure_log(failing)
            specs = {t: spec_data(d)["tools"][t] for t in failing}
            used = sorted(set().union(*map(stages.tables_used, specs.values())) & set(d.database.tables))
            context = {"Failing tools and their failure log": log, "Their current spec": specs,
                       "Tables they use": {n: stages.dump(d.database.tables[n]) for n in used},
                       "Seed sample (first rows of those tables)": {n: self.sample.get(n, []) for n in used}}
            names = set(failing)
            reply = await self.roles.ask("debug", context, lambda r, names=names: stages.check_debug(d, r, names))
            for fix in reply.fixes:
                d.apply(fix)
                self.result.repaired.append(fix.tool)
                self.say(f"debug: {fix.tool}: fixed the {fix.target} ({fix.diagnosis})")
        for tool, found in failing.items():
            why = "; ".join(found["violations"] + [f"{o['case']}: {o['detail']}" for o in found["failures"]])
            d.drop(tool, why[:300])
            self.say(f"dropped {tool}: still failing after {self.config.max_repair_rounds} debug round(s)")
        problems = diagnose(spec_data(d))  # e.g. a state only a dropped tool produced is now unreachable
        if problems:
            raise SynthesisError("the spec without the dropped tools does not check: " + "; ".join(problems[:5]))
        return [o for o in outcomes if o["tool"] not in d.dropped]

    async def confirm_edges(self, data: dict[str, Any]) -> dict[str, Any]:
        """Stage 9: the LLM confirms or rejects the edges computed from declared I/O, a batch at a
        time; an edge it says nothing about keeps its computed verdict (confirmed, not judged)."""
        graph = tdg.build_graph(lower(load_data(data)))
        candidates = {f"{a} -> {b} [{kind}]": attrs["bindings"] for a, b, kind, attrs in
                      sorted(graph.edges(keys=True, data=True), key=lambda e: e[:3])}
        names = list(candidates)
        verdicts: dict[str, str | None] = {}  # edge -> None (confirmed) or the reason it was rejected
        for first in range(0, len(names), EDGE_BATCH):
            batch = names[first : first + EDGE_BATCH]
            try:
                verdicts |= await self.judge_edges(data, {e: candidates[e] for e in batch})
            except Exception as exc:  # finished work is never lost to this role: the batch keeps its computed edges
                self.say(f"edges: batch {first // EDGE_BATCH + 1} not judged ({type(exc).__name__}: {str(exc)[:200]}); "
                         "its computed edges are kept")
        edges = [{"edge": e, "bindings": b, "confirmed": verdicts.get(e) is None, "judged": e in verdicts,
                  **({"reason": verdicts[e]} if verdicts.get(e) is not None else {})} for e, b in candidates.items()]
        rejected = sum(not e["confirmed"] for e in edges)
        self.result.edges = {"candidates": len(edges), "confirmed": len(edges) - rejected, "rejected": rejected,
                             "unjudged": len(edges) - len(verdicts)}
        self.say(f"edges: {self.result.edges['confirmed']} of {len(edges)} candidates confirmed "
                 f"({self.result.edges['unjudged']} kept unjudged)")
        return {"domain": self.name, **self.result.edges, "edges": edges}

    async def judge_edges(self, data: dict[str, Any], batch: dict[str, Any]) -> dict[str, str | None]:
        """One batch's verdicts, by candidate name (whitespace and case aside); unknown names are ignored."""
        by_key = {stages.edge_key(e): e for e in batch}

        def check(reply: Any) -> list[str]:
            said = list(reply.confirmed) + [r.edge for r in reply.rejected]
            if said and not any(stages.edge_key(e) in by_key for e in said):
                return ["none of the edges you judged is a candidate below: copy each edge exactly as listed"]
            return []

        tools = sorted({part for e in batch for part in e.split(" [")[0].split(" -> ")})
        described = {n: f"{data['tools'][n]['kind']}: {data['tools'][n]['description']}" for n in tools}
        listed = "\n".join(f"- {e}: {stages.binding_text(b)}" for e, b in batch.items())
        reply = await self.roles.ask("edges", {"Tools": described, "Candidate edges": listed}, check)
        verdicts: dict[str, str | None] = {by_key[k]: None for e in reply.confirmed if (k := stages.edge_key(e)) in by_key}
        verdicts |= {by_key[k]: r.reason for r in reply.rejected if (k := stages.edge_key(r.edge)) in by_key}
        return verdicts

    async def publish(self, outcomes: list[dict[str, Any]]) -> None:
        """Write spec, edges, server, fidelity report and scenarios under the output root."""
        out, d = self.config.out, self.draft
        data = spec_data(d)
        folder = out / "domains" / "synth"
        folder.mkdir(parents=True, exist_ok=True)
        spec_path = folder / f"{self.name}.yaml"
        spec_path.write_text(to_yaml(data))
        server = out / "generated_servers" / self.name
        built = await isolate.build(spec_path, self.work, server)  # seeding runs the recipe: in the confined worker
        package = server.parent / "__init__.py"  # so `python -m generated_servers.<name>` runs from `out`
        if not package.exists():
            package.write_text('"""Generated MCP server packages."""\n')
        edges = await self.confirm_edges(data)
        (folder / f"{self.name}.edges.json").write_text(json.dumps(edges, indent=1, sort_keys=True) + "\n")
        r = self.result
        r.tools, r.tables = built["tools"], built["tables"]
        r.cases, r.unexpected = len(outcomes), sum(o["verdict"] == UNEXPECTED for o in outcomes)
        r.dropped = dict(d.dropped)
        tasks = out / "tasks" / self.name
        expanded = await isolate.expand(spec_path, self.work, self.config.count, self.config.seed, tasks, server)
        if "error" in expanded:
            raise SynthesisError(f"scenario expansion failed: {expanded['error']}")
        r.scenarios, r.verified = expanded["kept"], expanded["verified"]
        self.say(f"scenarios: {r.scenarios} kept of {expanded['tried']} tried, {r.verified} verified on replay")
        r.paths = outputs(out, self.name)
        fidelity: dict[str, dict[str, int]] = {t: {} for t in data["tools"]}
        for o in outcomes:
            fidelity[o["tool"]][o["verdict"]] = fidelity[o["tool"]].get(o["verdict"], 0) + 1
        r.tokens, r.retries = self.ledger.as_dict(), dict(self.ledger.retries)  # every LLM call is done by now
        report = {k: v for k, v in asdict(r).items() if k not in NOT_REPORTED}
        report |= {"fidelity": fidelity, "scenario_summary": expanded}
        path = folder / f"{self.name}.report.json"  # last and whole: its presence marks the domain finished
        path.with_suffix(".tmp").write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
        path.with_suffix(".tmp").replace(path)


def work_folder(out: Path, name: str) -> Path:
    """Scratch space of one domain's run (drafts, worker files), removed when the run ends."""
    return out / ".synth-work" / name


def outputs(out: Path, name: str) -> list[str]:
    """What a finished domain wrote under the output root (the report last)."""
    folder = out / "domains" / "synth"
    return [str(p) for p in (folder / f"{name}.yaml", folder / f"{name}.edges.json", folder / f"{name}.report.json",
                             out / "generated_servers" / name, out / "tasks" / name)]


def finished(name: str, config: Config) -> DomainResult | None:
    """The result of an earlier run that finished this domain in the same output, if any."""
    report = config.out / "domains" / "synth" / f"{name}.report.json"
    if config.redo or not report.exists():
        return None
    return DomainResult.from_report(name, json.loads(report.read_text()), outputs(config.out, name))


async def synthesize_domain(name: str, config: Config, chats: dict[str, Any] | None = None,
                            log: Callable[[str], None] | None = None) -> DomainResult:
    """Synthesize one domain; never raises for LLM or domain problems (see DomainResult.error)."""
    done = finished(name, config)
    if done is not None:
        (log or (lambda _: None))(f"{name}: finished by an earlier run in {config.out} (--redo to synthesize again)")
        return done
    try:
        chats = chats or make_chats(config)
    except Exception as exc:  # e.g. offline without a cache folder
        return DomainResult(name, error=f"{type(exc).__name__}: {exc}")
    return await Synthesis(name, config, chats, log or (lambda _: None)).run()

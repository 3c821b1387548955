"""Synthesize one domain from its name: the stages, the repair loop, and the outputs.

domain -> tool schemas -> database -> seed recipe -> behaviour -> tests -> procedural tests
(in a worker process) -> debug rounds (tools still failing are dropped) -> dependency edges
confirmed by the LLM -> spec, server, fidelity report and verified scenarios on disk.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from generator.compile import graph as tdg
from generator.compile.lower import lower
from generator.probe.report import UNEXPECTED
from generator.synth import isolate, stages
from generator.synth.assemble import Draft, diagnose, load_data, spec_data, to_yaml
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
    count: int = 20
    max_repair_rounds: int = 3
    seed: int = 0
    tool_timeout: float = 30.0


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
        self.roles = Roles(chats, self.ledger, log=self.say)
        self.draft = Draft(name, seed=config.seed)
        self.work = Path(tempfile.mkdtemp(prefix=f"synth-{name}-"))
        self.sample: dict[str, Any] = {}

    def say(self, line: str) -> None:
        self.result.log.append(line)
        self.log(f"{self.name}: {line}")

    def write_draft(self, data: dict[str, Any]) -> Path:
        path = self.work / f"{self.name}.yaml"
        path.write_text(to_yaml(data))
        return path

    async def run(self) -> DomainResult:
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
        spec = {"Spec": to_yaml(spec_data(d, with_tests=False)), "Seed sample (first rows per table)": self.sample}
        d.accept_tests(await self.roles.ask("tests", spec, lambda r: stages.check_tests(d, r)))
        self.say(f"tests: {sum(len(c) for c in d.tests.values())} cases")

    async def check_seed(self, reply: Any) -> list[str]:
        problems = stages.check_seed(self.draft, reply)
        if problems:
            return problems
        data = spec_data(stages.copy(self.draft, recipes=reply), tools=False)
        seeded = await isolate.seed(self.write_draft(data), self.work)
        if "error" in seeded:
            return [f"the seed data cannot be made: {seeded['error']}"]
        self.sample = seeded["sample"]
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
            context = {"Failing tools and their failure log": log,
                       "Their current spec": {t: spec_data(d)["tools"][t] for t in failing},
                       "Tables": {n: stages.dump(t) for n, t in d.database.tables.items()},
                       "Seed sample (first rows per table)": self.sample}
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
        """Stage 9: the LLM confirms or rejects each edge computed from declared I/O."""
        graph = tdg.build_graph(lower(load_data(data)))
        candidates = {f"{a} -> {b} [{kind}]": attrs["bindings"] for a, b, kind, attrs in
                      sorted(graph.edges(keys=True, data=True), key=lambda e: e[:3])}

        def check(reply: Any) -> list[str]:
            said = list(reply.confirmed) + [r.edge for r in reply.rejected]
            problems = [f"{e!r} is not a candidate edge" for e in said if e not in candidates]
            problems += [f"{e!r} is listed more than once" for e in sorted(set(said)) if said.count(e) > 1]
            return problems + [f"{e!r} is neither confirmed nor rejected" for e in candidates if e not in said]

        tools = {n: f"{t['kind']}: {t['description']}" for n, t in data["tools"].items()}
        listed = "\n".join(f"- {e}: {stages.binding_text(b)}" for e, b in candidates.items())
        reply = await self.roles.ask("edges", {"Tools": tools, "Candidate edges": listed}, check)
        rejected = {r.edge: r.reason for r in reply.rejected}
        edges = [{"edge": e, "bindings": b, "confirmed": e not in rejected, **({"reason": rejected[e]} if e in rejected else {})}
                 for e, b in candidates.items()]
        self.result.edges = {"candidates": len(edges), "confirmed": len(edges) - len(rejected), "rejected": len(rejected)}
        self.say(f"edges: {self.result.edges['confirmed']} of {len(edges)} candidates confirmed")
        return {"domain": self.name, **self.result.edges, "edges": edges}

    async def publish(self, outcomes: list[dict[str, Any]]) -> None:
        """Write spec, edges, server, fidelity report and scenarios under the output root."""
        out, d = self.config.out, self.draft
        data = spec_data(d)
        edges = await self.confirm_edges(data)
        folder = out / "domains" / "synth"
        folder.mkdir(parents=True, exist_ok=True)
        spec_path = folder / f"{self.name}.yaml"
        spec_path.write_text(to_yaml(data))
        (folder / f"{self.name}.edges.json").write_text(json.dumps(edges, indent=1, sort_keys=True) + "\n")
        server = out / "generated_servers" / self.name
        built = await isolate.build(spec_path, self.work, server)  # seeding runs the recipe: in the confined worker
        package = server.parent / "__init__.py"  # so `python -m generated_servers.<name>` runs from `out`
        if not package.exists():
            package.write_text('"""Generated MCP server packages."""\n')
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
        r.paths = [str(p) for p in (spec_path, folder / f"{self.name}.edges.json", folder / f"{self.name}.report.json",
                                    server, tasks)]
        fidelity: dict[str, dict[str, int]] = {t: {} for t in data["tools"]}
        for o in outcomes:
            fidelity[o["tool"]][o["verdict"]] = fidelity[o["tool"]].get(o["verdict"], 0) + 1
        r.tokens, r.retries = self.ledger.as_dict(), dict(self.ledger.retries)  # every LLM call is done by now
        report = {k: v for k, v in asdict(r).items() if k not in ("paths", "ok", "error", "trace")}
        report |= {"fidelity": fidelity, "scenario_summary": expanded}
        (folder / f"{self.name}.report.json").write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")


async def synthesize_domain(name: str, config: Config, chats: dict[str, Any] | None = None,
                            log: Callable[[str], None] | None = None) -> DomainResult:
    """Synthesize one domain; never raises for LLM or domain problems (see DomainResult.error)."""
    try:
        chats = chats or make_chats(config)
    except Exception as exc:  # e.g. offline without a cache folder
        return DomainResult(name, error=f"{type(exc).__name__}: {exc}")
    return await Synthesis(name, config, chats, log or (lambda _: None)).run()

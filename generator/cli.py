"""The command line: a thin layer that parses flags, calls a stage and prints its result."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from generator.errors import GeneratorError, SpecError
from generator.spec.load import DOMAINS

ROOT = DOMAINS.parent

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


def domain_names(args: argparse.Namespace) -> list[str]:
    if getattr(args, "all", False) or not args.domains:
        return sorted(p.stem for p in DOMAINS.glob("*.yaml"))
    return args.domains


def cmd_build(args: argparse.Namespace) -> int:
    from generator.compile.build import SERVERS, compile_domain, drift, write

    drifted = 0
    for name in domain_names(args):
        build = compile_domain(name)
        target = (args.out or SERVERS) / build.ir.name
        if args.check:
            found = drift(build.files, target)
            drifted += bool(found)
            status = "[red]drift[/]" if found else "[green]up to date[/]"
            out.print(f"{build.ir.name}: {status}")
            for line in found:
                out.print(f"  {line}")
        else:
            if not args.no_test:
                from generator.probe.run import run_probe

                report = run_probe(name, build)
                if report.unexpected:
                    from generator.probe.report import print_report

                    print_report(report, err)
                    err.print(f"{build.ir.name}: {report.unexpected} unexpected failure(s) in procedural tests; "
                              "nothing written (fix the spec, or pass --no-test to write anyway)")
                    drifted += 1
                    continue
            changes = write(build.files, target)
            tested = "" if args.no_test else f", {len(report.outcomes)} procedural cases passed"
            out.print(f"{build.ir.name}: {len(build.ir.tools)} tools, {len(build.ir.tables)} tables{tested} -> {target} "
                      f"({len(changes)} file(s) changed)")
    if drifted and args.check:
        err.print(f"{drifted} domain(s) differ from the generator's output; run `python -m generator build` and commit.")
    return 1 if drifted else 0


def cmd_graph(args: argparse.Namespace) -> int:
    from generator.compile import graph as tdg
    from generator.compile.lower import lower
    from generator.spec.load import load_spec

    _, spec = load_spec(args.domain)
    ir = lower(spec)
    g = tdg.build_graph(ir)
    text = {
        "json": tdg.to_json,
        "mermaid": tdg.to_mermaid,
        "dot": tdg.to_dot,
        "html": lambda g: tdg.to_html(g, ir.title),
    }[args.format](g)
    if args.out:
        if args.out.exists() and not args.force:
            err.print(f"{args.out} exists; pass --force to overwrite it")
            return 2
        args.out.write_text(text)
        err.print(f"wrote {args.out} ({g.number_of_nodes()} tools, {g.number_of_edges()} edges)")
    else:
        sys.stdout.write(text)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from generator.spec.check import check_spec
    from generator.spec.load import parse, read_source

    for name in domain_names(args):
        source = read_source(name)
        spec = parse(source)
        found = check_spec(spec, source)
        errors = [d for d in found if d.level == "error"]
        if errors:
            raise SpecError(found)
        for warning in found:
            err.print(str(warning), markup=False)
        out.print(f"{spec.name}: ok ({len(spec.tools)} tools, {len(spec.tables)} tables, {len(found)} warning(s))")
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    from generator.probe.report import print_report
    from generator.probe.run import run_probe

    failed = 0
    for name in domain_names(args):
        report = run_probe(name)
        print_report(report, out, verbose=args.verbose)
        failed += report.unexpected
    return 1 if failed else 0


def cmd_expand(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from generator.tasks.expand import expand_domain
    from generator.tasks.quality import summarize
    from generator.tasks.scenario import dump_line

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[tried]} tried"),
                  TimeElapsedColumn(), console=err, transient=False) as bar:
        task = bar.add_task(f"expand {args.domain}", total=args.count, tried=0)
        result = expand_domain(args.domain, args.count, args.seed,
                               progress=lambda kept, tried: bar.update(task, completed=kept, tried=tried))
    if not result.scenarios:
        err.print(f"no scenario survived validation ({result.tried} tried): {dict(result.dropped)}")
        return 1
    domain = result.scenarios[0].domain
    folder = args.out or (ROOT / "tasks" / domain)
    target = folder / "scenarios.jsonl"
    if target.exists() and not args.force:
        err.print(f"{target} exists; pass --force to replace it")
        return 2
    scenarios, text_stats = result.scenarios, {}
    if args.llm_text:
        import asyncio

        from generator.llm import CacheMiss, OpenAIChat
        from generator.tasks.rewrite import rewrite_all

        model = OpenAIChat(args.llm_text, args.base_url, args.api_key, seed=args.seed, cache=args.llm_cache,
                           offline=args.offline)
        try:
            scenarios, text_stats = asyncio.run(rewrite_all(scenarios, model))
        except CacheMiss as exc:
            err.print(f"error: {exc}", markup=False)
            return 2
        text_stats["tokens"] = model.usage.total
    folder.mkdir(parents=True, exist_ok=True)
    target.write_text("".join(dump_line(s) for s in scenarios))
    summary = summarize(scenarios) | ({"llm_text": text_stats} if text_stats else {}) | {
        "domain": domain, "seed": args.seed, "tried": result.tried,
        "yield": round(len(result.scenarios) / result.tried, 3),
        "dropped": dict(sorted(result.dropped.items())), **result.quality,
    }
    (folder / "README.md").write_text(summary_markdown(summary))
    out.print(f"{domain}: {len(result.scenarios)} scenarios from {result.tried} candidates -> {target}")
    for reason, n in result.dropped.most_common():
        out.print(f"  dropped {n}: {reason}", markup=False)
    return 0


def summary_markdown(summary: dict) -> str:
    """The scenario summary as a small markdown page (tasks/<domain>/README.md)."""
    import json

    lines = [
        f"# {summary['domain']} scenarios",
        "",
        f"{summary['scenarios']} validated scenarios (seed {summary['seed']}), kept from {summary['tried']} "
        f"candidates (yield {summary['yield']:.0%}). Made by `python -m generator expand {summary['domain']} "
        f"--count {summary['scenarios']} --seed {summary['seed']}`; check with `python -m generator verify "
        f"tasks/{summary['domain']}/`.",
        "",
        "Every scenario checks every table: the rows that differ between the initial and the end state",
        "must be exactly the gold's. Each stored negative control was replayed and failed at least one",
        "check (caught, per kind); each valid alternative was replayed and passed every check.",
        "",
        "| figure | value |",
        "|---|---|",
    ]
    for key in ("kinds", "difficulty", "chain_lengths", "with_distractors", "tools_covered", "checks_per_scenario",
                "negative_controls", "controls_caught", "alternatives_passed", "with_extra_write_controls",
                "policy_refusals", "policy_refusal_share", "mixed_requests", "instructions_naming_a_tool",
                "near_duplicate_instructions", "top_caller_share", "ids_the_user_would_not_know",
                "writes_per_scenario", "lookups_per_scenario", "two_or_more_writes_share",
                "lookup_feeding_a_write_share", "goal_tools_covered", "goal_tools_never_a_goal", "dropped"):
        value = summary.get(key, "-")
        text = (", ".join(f"{k}: {v}" for k, v in value.items()) if isinstance(value, dict)
                else ", ".join(map(str, value)) if isinstance(value, list) else str(value))
        lines.append(f"| {key.replace('_', ' ')} | {text or '-'} |")
    lines += ["", "```json", json.dumps(summary, indent=2, sort_keys=True), "```", ""]
    return "\n".join(lines)


def cmd_verify(args: argparse.Namespace) -> int:
    from contextlib import AsyncExitStack

    import anyio

    from generator.probe.replayer import Replayer
    from generator.tasks.replay import stale_problem, verify_scenario
    from generator.tasks.scenario import load_scenarios

    files = [f for path in args.paths for f in (sorted(path.glob("*.json*")) if path.is_dir() else [path])]
    try:
        by_file = {f: load_scenarios(f) for f in files}
    except (OSError, ValueError) as exc:  # missing, unreadable, not JSON, not scenarios
        raise GeneratorError(f"cannot read scenarios: {str(exc)[:2000]}") from None
    total = sum(len(found) for found in by_file.values())
    if not total:
        err.print("no scenarios found in " + ", ".join(map(str, args.paths)))
        return 2
    failures = 0

    async def run() -> None:
        nonlocal failures
        async with AsyncExitStack() as stack:
            replayers: dict[str, Replayer] = {}
            for path, scenarios in by_file.items():
                for domain in dict.fromkeys(s.domain for s in scenarios):
                    if domain not in replayers:
                        package = args.package or f"generated_servers.{domain}"
                        replayers[domain] = await stack.enter_async_context(Replayer.for_package(package))
                # replaying on another build crashes on a changed schema or passes by luck: compare first
                stale = {d: stale_problem(path, [s for s in scenarios if s.domain == d], replayers[d].runtime.env_hash())
                         for d in dict.fromkeys(s.domain for s in scenarios)}
                for problem in filter(None, stale.values()):
                    out.print(f"STALE {path}: {problem}", markup=False)
                for scenario in scenarios:
                    if stale[scenario.domain]:
                        failures += 1
                        continue
                    problems = await verify_scenario(replayers[scenario.domain], scenario)
                    failures += bool(problems)
                    for problem in problems:
                        out.print(f"FAIL {scenario.id}: {problem}", markup=False)

    anyio.run(run)
    out.print(f"{total - failures}/{total} scenarios verified "
              f"(gold and every valid alternative pass every check; every negative control fails one)")
    return 1 if failures else 0


def cmd_eval(args: argparse.Namespace) -> int:
    from generator.harness.evaluate import run_eval

    return run_eval(args, out, err)


def cmd_export(args: argparse.Namespace) -> int:
    from generator.harness.export import run_export

    return run_export(args, out, err)


def cmd_synthesize(args: argparse.Namespace) -> int:
    from generator.synth import run_synthesize

    bad = [item for item in args.role_model if "=" not in item]
    if bad:
        err.print(f"--role-model takes ROLE=MODEL, got {bad[0]!r}")
        return 2
    args.role_models = dict(item.split("=", 1) for item in args.role_model)
    return run_synthesize(args, out, err)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m generator",
        description="Compile domain specs into standalone MCP servers, test them, and make verifiable tasks.",
    )
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, run: Callable[[argparse.Namespace], int], help: str, example: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help, epilog=f"example: {example}")
        p.set_defaults(run=run)
        return p

    p = add("build", cmd_build, "Generate generated_servers/<domain>/ from domains/<domain>.yaml.",
            "python -m generator build airline retail   |   python -m generator build --all --check")
    p.add_argument("domains", nargs="*", help="domain names or spec paths (default: all in domains/)")
    p.add_argument("--all", action="store_true", help="every spec in domains/")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if the committed output drifted")
    p.add_argument("--out", type=Path, help="output root instead of generated_servers/")
    p.add_argument("--no-test", action="store_true", help="write even if procedural tests find unexpected failures")

    p = add("check", cmd_check, "Validate specs and print every problem with its location.",
            "python -m generator check domains/airline.yaml")
    p.add_argument("domains", nargs="*", help="domain names or spec paths (default: all)")

    p = add("graph", cmd_graph, "Export a domain's tool dependency graph (JSON, Mermaid, DOT or HTML).",
            "python -m generator graph airline --format html --out airline-graph.html")
    p.add_argument("domain", help="domain name or spec path")
    p.add_argument("--format", choices=["json", "mermaid", "dot", "html"], default="json")
    p.add_argument("--out", type=Path, help="file to write (default: stdout)")
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists")

    p = add("test", cmd_test, "Procedurally test every tool of a generated server and print its fidelity table.",
            "python -m generator test airline")
    p.add_argument("domains", nargs="*", help="domain names or spec paths (default: all in domains/)")
    p.add_argument("--all", action="store_true", help="every spec in domains/")
    p.add_argument("-v", "--verbose", action="store_true", help="list every case, not only failures")
    p = add("expand", cmd_expand, "Make validated scenarios (tasks) for a domain by graph expansion.",
            "python -m generator expand airline --count 200 --seed 0")
    p.add_argument("domain", help="domain name or spec path")
    p.add_argument("--count", type=int, default=200, help="scenarios to keep (default: 200)")
    p.add_argument("--seed", type=int, default=0, help="seed of every random choice (default: 0)")
    p.add_argument("--out", type=Path, help="folder for the scenario files (default: tasks/<domain>/)")
    p.add_argument("--force", action="store_true", help="replace scenarios already in the folder")
    p.add_argument("--llm-text", metavar="MODEL",
                   help="let an LLM rewrite instruction and persona; rewrites that add or drop a value are rejected")
    p.add_argument("--base-url", help="OpenAI-compatible endpoint for --llm-text (default: $OPENAI_BASE_URL)")
    p.add_argument("--api-key", help="API key for --llm-text (default: $OPENAI_API_KEY)")
    p.add_argument("--llm-cache", type=Path, help="cache folder for --llm-text replies")
    p.add_argument("--offline", action="store_true", help="--llm-text from --llm-cache only; a miss is an error")

    p = add("verify", cmd_verify, "Replay scenarios' gold actions and negative controls on the current servers.",
            "python -m generator verify tasks/airline/")
    p.add_argument("paths", nargs="+", type=Path, help="scenario .json/.jsonl files or folders")
    p.add_argument("--package", help="server package to replay on (default: generated_servers.<domain>)")

    p = add("eval", cmd_eval, "Run an agent on scenarios in isolated episodes; write rewards, pass^k and trajectories.",
            "python -m generator eval airline --agent oracle --limit 20 --out runs/oracle   |   "
            "python -m generator eval tasks/retail/scenarios.jsonl --agent openai:gpt-4.1-mini --user llm:gpt-4.1-mini "
            "-k 4 --concurrency 8 --out runs/retail")
    p.add_argument("targets", nargs="+", metavar="DOMAIN|PATH", help="domain names (their tasks/) or scenario files")
    p.add_argument("--agent", default="oracle", help="oracle (replays gold), noop (does nothing) or openai:MODEL")
    p.add_argument("--user", default="scripted", help="user simulator: scripted (offline) or llm:MODEL")
    p.add_argument("--base-url", help="OpenAI-compatible endpoint (default: $OPENAI_BASE_URL)")
    p.add_argument("--api-key", help="API key (default: $OPENAI_API_KEY)")
    p.add_argument("-k", type=int, default=1, help="trials per scenario, for pass^k and pass@k (default: 1)")
    p.add_argument("--concurrency", type=int, default=4, help="episodes run at once (default: 4)")
    p.add_argument("--limit", type=int, help="first N scenarios per target")
    p.add_argument("--max-turns", type=int, default=30, help="agent turns per episode (default: 30)")
    p.add_argument("--seed", type=int, default=0, help="sampling seed passed to the LLM (default: 0)")
    p.add_argument("--cache", type=Path, help="LLM response cache folder; reruns are served from it")
    p.add_argument("--offline", action="store_true", help="answer only from --cache; a miss fails that episode")
    p.add_argument("--out", type=Path, required=True, help="folder for summary.json and trajectories.jsonl (resumable)")

    p = add("export", cmd_export, "Export scenarios or trajectories to the formats trainers read.",
            "python -m generator export --format verifiers airline --out airline.verifiers.jsonl   |   "
            "python -m generator export --format sft runs/oracle/trajectories.jsonl --out sft.jsonl")
    p.add_argument("inputs", nargs="+", help="domains or scenario files (verifiers, tau2); trajectories.jsonl (sft)")
    p.add_argument("--format", required=True, choices=["verifiers", "nemo-gym", "tau2", "sft"],
                   help="verifiers rows (prompt, info, task), tau2-bench tasks.json, or TRL SFT messages+tools")
    p.add_argument("--out", type=Path, required=True, help="file to write (refuses to overwrite without --force)")
    p.add_argument("--force", action="store_true", help="overwrite --out")

    p = add("synthesize", cmd_synthesize,
            "Synthesize new domains from their names with an OpenAI-compatible LLM (spec, server, tests, scenarios).",
            "python -m generator synthesize pet_clinic library --model qwen3-32b --base-url http://localhost:8000/v1   |   "
            "python -m generator synthesize pet_clinic --model recorded --offline --out /tmp/replay")
    p.add_argument("names", nargs="+", help="domain names, e.g. pet_clinic")
    p.add_argument("--model", required=True, help="model for every role (see --role-model)")
    p.add_argument("--base-url", help="OpenAI-compatible endpoint (default: $OPENAI_BASE_URL)")
    p.add_argument("--api-key", help="API key (default: $OPENAI_API_KEY)")
    p.add_argument("--role-model", action="append", default=[], metavar="ROLE=MODEL",
                   help="a different model for one role, e.g. debug=bigger-model (repeatable)")
    p.add_argument("--temperature", type=float, help="sampling temperature of every role (default: the server's)")
    p.add_argument("--top-p", type=float, help="nucleus sampling of every role (default: the server's)")
    p.add_argument("--max-tokens", type=int, help="completion budget per request of every role (default: the server's)")
    p.add_argument("--extra-body", metavar="JSON", help="vendor fields of every request, e.g. "
                   '\'{"chat_template_kwargs": {"enable_thinking": false}}\'')
    p.add_argument("--role-setting", action="append", default=[], metavar="ROLE.KEY=VALUE",
                   help="one role's temperature, top_p, max_tokens or extra_body (JSON), e.g. debug.max_tokens=16000 "
                   "(repeatable; over the global flags)")
    p.add_argument("--offline", action="store_true", help="use only the LLM cache; a miss is an error")
    p.add_argument("--cache", type=Path, help="LLM cache folder (default: the recorded transcripts/cache with "
                   "--offline, else $XDG_CACHE_HOME/scaleenv/llm); only accepted replies are stored")
    p.add_argument("--out", type=Path, help="root for domains/synth/, generated_servers/, tasks/ "
                   "(default: $XDG_DATA_HOME/scaleenv/synth); a domain finished there is skipped")
    p.add_argument("--redo", action="store_true", help="synthesize domains again that --out already holds")
    p.add_argument("--concurrency", type=int, default=4, help="domains synthesized at once, locally or on Ray "
                   "(default: 4)")
    p.add_argument("--backend", choices=["local", "ray"], default="local", help="fan-out: local executor or Ray")
    p.add_argument("--count", type=int, default=20, help="scenarios to expand per domain (default: 20)")
    p.add_argument("--max-repair-rounds", type=int, default=3, help="debug-role rounds per domain (default: 3)")
    p.add_argument("--seed", type=int, default=0, help="seed for the expander and LLM sampling (default: 0)")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except SpecError as exc:
        for diagnostic in exc.diagnostics:
            err.print(str(diagnostic), markup=False)
        err.print(f"{len(exc.diagnostics)} problem(s) found.")
        return 2
    except GeneratorError as exc:
        err.print(f"error: {exc}", markup=False)
        return 2

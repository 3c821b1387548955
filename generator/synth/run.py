"""The CLI glue of synthesis: settings, defaults, fan-out (local, or Ray in `cluster.py`), and the report.

Locally, domains share one event loop: LLM calls overlap, and the code-running steps are
worker processes, so `--concurrency` domains progress at once. Outputs default outside the
repository; a domain whose report is already in the output is skipped (`--redo` to redo it).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from generator.synth.pipeline import Config, DomainResult, synthesize_domain
from generator.synth.replies import ROLES
from generator.synth.roles import SETTINGS

ROOT = Path(__file__).resolve().parents[2]
RECORDED = ROOT / "transcripts" / "cache"
PAPER_PER_DOMAIN, PAPER_PER_TASK = 546_000, 93_200


def normalize(name: str) -> str:
    """A domain name as a spec name: `Pet clinic` -> `pet_clinic`."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def user_folder(variable: str, fallback: str, *parts: str) -> Path:
    """A per-user folder outside the repository (XDG base directories)."""
    return Path(os.environ.get(variable) or Path.home() / fallback, "scaleenv", *parts)


def setting(key: str, text: str) -> Any:
    """One request setting from its command-line text; ValueError says what is wrong."""
    if key not in SETTINGS:
        raise ValueError(f"unknown setting {key!r}; settings are {', '.join(SETTINGS)}")
    if key == "extra_body":
        value = json.loads(text)
        if not isinstance(value, dict):
            raise ValueError("extra_body takes a JSON object")
        return value
    return int(text) if key == "max_tokens" else float(text)


def settings_of(args: Any) -> dict[str, dict[str, Any]]:
    """Request settings per role ("*" for every role) from the global flags and --role-setting."""
    given = {"temperature": args.temperature, "top_p": args.top_p, "max_tokens": args.max_tokens}
    found: dict[str, dict[str, Any]] = {"*": {k: v for k, v in given.items() if v is not None}}
    if args.extra_body:
        found["*"]["extra_body"] = setting("extra_body", args.extra_body)
    for item in args.role_setting or []:
        target, equals, text = item.partition("=")
        role, dot, key = target.partition(".")
        if not (equals and dot):
            raise ValueError(f"--role-setting takes ROLE.KEY=VALUE, got {item!r}")
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r} in --role-setting; roles are {', '.join(ROLES)}")
        found.setdefault(role, {})[key] = setting(key, text)
    return {role: values for role, values in found.items() if values}


def run_local(names: list[str], config: Config, concurrency: int, log: Callable[[str], None]) -> list[DomainResult]:
    async def main() -> list[DomainResult]:
        gate = asyncio.Semaphore(max(1, concurrency))

        async def one(name: str) -> DomainResult:
            async with gate:
                return await synthesize_domain(name, config, log=log)

        return list(await asyncio.gather(*(one(n) for n in names)))

    return asyncio.run(main())


def token_lines(results: list[DomainResult]) -> list[str]:
    """The token report: per domain and role (every call: retries and continuations included),
    then the averages beside the paper's figures."""
    lines = [f"{'tokens':<14}" + "".join(f"{r:>11}" for r in ROLES) + f"{'total':>11}{'calls':>7}{'retries':>8}"]
    totals: dict[str, int] = {}
    for r in results:
        row = {role: t["prompt"] + t["completion"] for role, t in r.tokens.items()}
        calls = sum(t["calls"] for t in r.tokens.values())
        cells = "".join(f"{row.get(role, 0):>11,}" for role in ROLES)
        lines.append(f"{r.name:<14}{cells}{sum(row.values()):>11,}{calls:>7}{sum(r.retries.values()):>8}")
        for role, n in row.items():
            totals[role] = totals.get(role, 0) + n
    done = [r for r in results if r.ok]
    grand = sum(totals.values())
    scenarios = sum(r.scenarios for r in done)
    per_domain = grand // max(1, len(results))
    per_task = f"{grand // scenarios:,} per scenario over {scenarios} scenarios" if scenarios else "no scenarios"
    lines.append(f"tokens: {grand:,} in all, {per_domain:,} per domain (paper: ~{PAPER_PER_DOMAIN:,}); {per_task} "
                 f"(paper: ~{PAPER_PER_TASK:,} per task; our expansion itself uses no LLM)")
    return lines


def run_synthesize(args: Any, out: Any, err: Any) -> int:
    """`python -m generator synthesize`: synthesize each name, print results and the token report."""
    names = list(dict.fromkeys(normalize(n) for n in args.names))
    unknown = sorted(set(args.role_models or {}) - set(ROLES))
    if unknown:
        err.print(f"unknown role(s) in --role-model: {', '.join(unknown)}; roles are {', '.join(ROLES)}", markup=False)
        return 2
    try:
        settings = settings_of(args)
    except ValueError as exc:
        err.print(f"error: {exc}", markup=False)
        return 2
    cache = args.cache or (RECORDED if args.offline else user_folder("XDG_CACHE_HOME", ".cache", "llm"))
    config = Config(
        model=args.model, out=Path(args.out or user_folder("XDG_DATA_HOME", ".local/share", "synth")),
        cache=Path(cache), base_url=args.base_url, api_key=args.api_key, offline=args.offline,
        role_models=dict(args.role_models or {}), settings=settings, count=args.count,
        max_repair_rounds=args.max_repair_rounds, seed=args.seed, redo=args.redo,
    )  # fmt: skip

    def log(line: str) -> None:
        err.print(line, markup=False)

    if args.backend == "ray":
        from generator.synth.cluster import run_ray

        results = run_ray(names, config, args.concurrency, log)
    else:
        results = run_local(names, config, args.concurrency, log)
    for r in results:
        if not r.ok:
            hint = (" (the recorded transcript lacks this request: re-record it with "
                    f"`python -m generator.synth.record transcripts/{r.name}`, or run online)") \
                if r.error.startswith("CacheMiss") else ""
            err.print(f"{r.name}: failed: {r.error}{hint}", markup=False)
            continue
        dropped = f"; dropped {', '.join(sorted(r.dropped))}" if r.dropped else ""
        out.print(f"{r.name}: {r.tools} tools, {r.tables} tables, {r.seed_rows} seed rows; {r.cases} procedural cases, "
                  f"{r.unexpected} unexpected; repaired {len(set(r.repaired))} tool(s){dropped}; "
                  f"edges {r.edges.get('confirmed', 0)}/{r.edges.get('candidates', 0)} confirmed; "
                  f"{r.scenarios} scenarios, {r.verified} verified", markup=False)
        out.print(f"  {'already there' if r.resumed else 'wrote'}: {', '.join(r.paths)}", markup=False)
    for line in token_lines(results):
        out.print(line, markup=False)
    return 0 if all(r.ok for r in results) else 1

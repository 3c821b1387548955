"""Reward audit: replay trajectories the expander did not write against committed scenarios.

For a sample of each domain's committed scenarios, independently of the stored controls:
- wrong: the gold plus one more successful write that changes the state, on a row of the
  same user, of another user, or of no user (tool and row drawn at random from every write
  tool and the scenario's initial state); each must score 0;
- right: the gold with every read done twice, with no reads, and with the user's own
  lookups appended; each must score 1.
Also the same trajectories scored by "touched rows only" checks (the SQL checks of the
tables the gold writes, a stand-in for checks that ignore collateral writes) as the in-run
baseline.

    python bench/reward_audit.py [DOMAIN ...] [--sample N]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path

import anyio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.compile.build import compile_domain  # noqa: E402
from generator.probe.plan import target_load  # noqa: E402
from generator.tasks.checks import changed_keys  # noqa: E402
from generator.tasks.environment import Environment  # noqa: E402
from generator.tasks.scenario import Action, Scenario, load_scenarios, sql_checks_pass  # noqa: E402

KINDS = ("same_user", "other_user", "unowned")


def touched_only(scenario: Scenario) -> Scenario:
    written = {c.table for c in scenario.checks if c.kind == "sql" and c.expect}
    return scenario.model_copy(update={"checks": [c for c in scenario.checks if c.table in written]})


async def audit(env: Environment, scenarios: list[Scenario], rng: random.Random) -> tuple[Counter, Counter, Counter]:
    ir, caught, passed, baseline = env.ir, Counter(), Counter(), Counter()
    writers = [t for t in ir.tools if not t.read_only and target_load(t) is not None]
    async with env.replayer:
        for s in scenarios:
            image = env.image_for(s.initial_state.statements, s.now)
            _, gold_end = await env.run(image, s.gold_actions)
            user = s.user.profile[env.actor.primary_key]
            found: set[str] = set()
            for tool in rng.sample(writers, len(writers)):
                load = target_load(tool)
                rows = env.rows(load.table)
                for row in rng.sample(rows, min(3, len(rows))):
                    owner = env.owner_of(ir.table(load.table), row)
                    kind = "unowned" if owner is None else ("same_user" if owner == user else "other_user")
                    if kind in found:
                        continue
                    args = env.planner.derive(tool, load, row)
                    if any(p.required and p.name not in args for p in tool.params):
                        continue
                    actions = [*s.gold_actions, Action(tool=tool.name, arguments=args)]
                    results, end = await env.run(image, actions)
                    if results[-1].is_error or not changed_keys(ir, gold_end, end):
                        continue
                    found.add(kind)
                    caught[kind, "tried"] += 1
                    caught[kind, "caught"] += not sql_checks_pass(end, image, s)
                    baseline[kind, "caught"] += not sql_checks_pass(end, image, touched_only(s))
            reads = [a for a in s.gold_actions if ir.tool(a.tool).read_only]
            lookups = [Action(tool=t.name, arguments={t.key: user}) for t in ir.tools
                       if t.kind == "get" and t.table == ir.actor and t.key]
            variants = {"reads twice": [b for a in s.gold_actions for b in ([a, a] if a in reads else [a])],
                        "no reads": [a for a in s.gold_actions if a not in reads],
                        "extra lookups": [*s.gold_actions, *lookups]}
            for name, actions in variants.items():
                _, end = await env.run(image, actions)
                passed[name, "tried"] += 1
                passed[name, "passed"] += sql_checks_pass(end, image, s)
    return caught, passed, baseline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("domains", nargs="*", default=["airline", "retail", "healthcare"])
    parser.add_argument("--sample", type=int, default=40)
    args = parser.parse_args()
    print(f"{'domain':<11} {'trajectory':<22} {'tried':>5} {'whole-state':>12} {'touched-only':>13}")
    for name in args.domains:
        scenarios = load_scenarios(ROOT / "tasks" / name / "scenarios.jsonl")
        rng = random.Random(f"audit:{name}")
        sample = rng.sample(scenarios, min(args.sample, len(scenarios)))
        with tempfile.TemporaryDirectory() as tmp:
            env = Environment(compile_domain(name), Path(tmp))
            caught, passed, baseline = anyio.run(audit, env, sample, rng)
        for kind in KINDS:
            n = caught[kind, "tried"]
            if n:
                print(f"{name:<11} {'extra write ' + kind:<22} {n:>5} {caught[kind, 'caught'] / n:>11.0%} "
                      f"{baseline[kind, 'caught'] / n:>12.0%}  (share scored 0)")
        for variant in ("reads twice", "no reads", "extra lookups"):
            n = passed[variant, "tried"]
            print(f"{name:<11} {variant:<22} {n:>5} {passed[variant, 'passed'] / n:>11.0%} {'':>12}  (share scored 1)")


if __name__ == "__main__":
    main()

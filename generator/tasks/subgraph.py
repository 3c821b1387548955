"""The scenario's expanded tool subgraph: dependency-aware BFS from the gold chain.

Each added tool takes only inputs the subgraph can supply and is executed from the task
state; the nodes, edges and outcomes go into the scenario's metadata.
"""

from __future__ import annotations

from typing import Any

from generator.tasks.draft import Draft
from generator.tasks.environment import Environment
from generator.tasks.scenario import Action


async def expand_subgraph(env: Environment, draft: Draft, image: bytes, limit: int = 6) -> dict[str, Any]:
    """Dependency-aware BFS: add tools whose every required input the subgraph can supply."""
    known: dict[tuple[str, str], Any] = {}
    actor = env.actor
    for c in actor.columns:
        known[(actor.name, c.name)] = draft.actor[c.name]
    for goal in draft.goals:
        table = env.ir.table(goal.key.table)
        for c in table.columns:
            known.setdefault((table.name, c.name), goal.row[c.name])
            if c.references:
                known.setdefault(c.references, goal.row[c.name])
    nodes = list(dict.fromkeys(a.tool for a in draft.actions))
    frontier = list(nodes)
    added: list[Action] = []
    while frontier and len(added) < limit:
        source = frontier.pop(0)
        for _, target, kind in sorted(env.graph.out_edges(source, keys=True)):
            if kind != "data_flow" or target in nodes or len(added) >= limit:
                continue
            tool = env.ir.tool(target)
            args = {}
            for p in tool.params:
                if p.ref and p.ref in known:
                    args[p.name] = known[p.ref]
                elif p.required and not p.ref:
                    value = env.planner.scalar(p, None)
                    if value is None:
                        break
                    args[p.name] = value
                elif p.required:
                    break
            else:
                nodes.append(target)
                frontier.append(target)
                added.append(Action(tool=target, arguments=args))
    results, _ = await env.run(image, added) if added else ([], None)
    edges = sorted({(a, b, k) for a, b, k in env.graph.edges(nodes, keys=True) if b in nodes})
    return {
        "nodes": nodes,
        "edges": [list(e) for e in edges],
        "expanded": [{"tool": a.tool, "arguments": a.arguments, "ok": not r.is_error}
                     for a, r in zip(added, results, strict=True)],
    }

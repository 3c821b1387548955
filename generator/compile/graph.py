"""The tool dependency graph (TDG): which tool's output or state change enables which other.

Edges come from declared I/O only, never from parsing code. One edge per (source, target,
kind) in a networkx MultiDiGraph:
- `data_flow`: an output field of A supplies a param of B (binding: field -> param);
- `precondition`: B needs rows of a table, or a status, that A creates;
- `shared_state`: A writes a table B reads, and no stronger edge joins them.
"""

from __future__ import annotations

import json
from typing import Any

import networkx as nx

from generator.compile.ir import DomainIR, ToolIR

KINDS = ("data_flow", "precondition", "shared_state")


def outputs(ir: DomainIR, tool: ToolIR) -> set[tuple[str, str]]:
    """(table, column) pairs a tool's result carries, foreign keys resolved to their target too."""
    found: set[tuple[str, str]] = set()
    tables = [tool.returns_table] if tool.returns_table else []
    tables += [child for _, child, _ in tool.includes]
    for name in tables:
        for column in ir.table(name).columns:
            found.add((name, column.name))
            if column.references:
                found.add(column.references)
        for _, other, keys in ir.table(name).foreign_keys:  # a composite foreign key names the row too
            found.update((other, key) for key in keys)
    found.update(tool.result_refs.values())
    return found


def inputs(tool: ToolIR) -> dict[str, tuple[str, str]]:
    """Params (array item fields as `param[].field`) that name the column they refer to."""
    found = {}
    for p in tool.params:
        if p.ref:
            found[p.name] = p.ref
        for f in p.item_fields:
            if f.ref:
                found[f"{p.name}[].{f.name}"] = f.ref
    return found


def partial(tool: ToolIR, supplied: set[tuple[str, str]]) -> set[str]:
    """Params of composite-key loads that `supplied` names only some parts of: a row is named by all
    of its key parts together, so a tool yielding a provider id alone does not name a license."""
    return {p for ld in tool.loads if len(ld.params) > 1
            and not all((ld.table, c) in supplied for c in ld.columns) for p in ld.params}


def produced_states(ir: DomainIR, tool: ToolIR) -> dict[str, set[str]]:
    """Status values a tool can leave rows of a table in."""
    states: dict[str, set[str]] = {}
    if tool.kind == "transition" and tool.to_state:
        states.setdefault(tool.table, set()).add(tool.to_state)
    if tool.kind == "create":
        table = ir.table(tool.table)
        if table.status_column:
            states.setdefault(tool.table, set()).update(table.initial_states)
    for table, values in tool.produces.items():
        states.setdefault(table, set()).update(values)
    return states


def build_graph(ir: DomainIR) -> nx.MultiDiGraph:
    """The TDG of a domain; nodes carry kind/table/reads/writes, edges kind and bindings."""
    graph = nx.MultiDiGraph(domain=ir.name)
    for t in ir.tools:
        graph.add_node(t.name, kind=t.kind, table=t.table, reads=list(t.reads), writes=list(t.writes))
    outs = {t.name: outputs(ir, t) for t in ir.tools}
    states = {t.name: produced_states(ir, t) for t in ir.tools}
    for a in ir.tools:
        for b in ir.tools:
            if a.name == b.name:
                continue
            joined = False
            flow = [
                {"field": f"{table}.{column}", "param": param}
                for param, (table, column) in sorted(inputs(b).items())
                if (table, column) in outs[a.name] and param not in partial(b, outs[a.name])
            ]
            if flow:
                graph.add_edge(a.name, b.name, key="data_flow", kind="data_flow", bindings=flow)
                joined = True
            needs = []
            for check in b.checks + b.policy_checks:  # a state the policy asks for is a dependency too
                table = ir.table(check.table) if check.table else None
                if table is None or check.column != table.status_column or check.op not in ("in", "eq"):
                    continue
                wanted = set(check.value if isinstance(check.value, list) else [check.value])
                made = states[a.name].get(check.table, set()) & wanted
                if made:
                    needs.append({"table": check.table, "column": check.column, "states": sorted(made)})
            if b.kind == "transition" and b.from_states:
                made = states[a.name].get(b.table, set()) & set(b.from_states)
                if made:
                    column = ir.table(b.table).status_column
                    needs.append({"table": b.table, "column": column, "states": sorted(made)})
            if a.kind == "create":
                needs += [{"table": ld.table, "rows": "exist"} for ld in b.loads if ld.table == a.table]
            if needs:
                graph.add_edge(a.name, b.name, key="precondition", kind="precondition", bindings=needs)
                joined = True
            shared = sorted(set(a.writes) & set(b.reads))
            if shared and not joined:
                bindings = [{"table": t} for t in shared]
                graph.add_edge(a.name, b.name, key="shared_state", kind="shared_state", bindings=bindings)
    return graph


def to_json(graph: nx.MultiDiGraph) -> str:
    data: dict[str, Any] = nx.node_link_data(graph, edges="edges")
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def to_mermaid(graph: nx.MultiDiGraph, kinds: tuple[str, ...] = ("precondition", "data_flow")) -> str:
    """A Mermaid flowchart: tools grouped by table; writes in bold boxes, reads in rounded ones.

    Only state-changing sources are drawn, since every read tool feeds almost every other and
    would hide the structure; the JSON export keeps all edges.
    """
    lines = ["flowchart LR"]
    by_table: dict[str, list[str]] = {}
    for name, data in sorted(graph.nodes(data=True)):
        by_table.setdefault(data["table"] or "other", []).append(name)
    for table, names in sorted(by_table.items()):
        lines.append(f"  subgraph {table}")
        for name in names:
            shape = f"[{name}]" if graph.nodes[name]["writes"] else f"({name})"
            lines.append(f"    {name}{shape}")
        lines.append("  end")
    arrows = {"precondition": "==>", "data_flow": "-->", "shared_state": "-.->"}
    for a, b, kind in sorted(graph.edges(keys=True)):
        if kind in kinds and graph.nodes[a]["writes"]:
            lines.append(f"  {a} {arrows[kind]} {b}")
    return "\n".join(lines) + "\n"


def to_dot(graph: nx.MultiDiGraph) -> str:
    styles = {"data_flow": "solid", "precondition": "bold", "shared_state": "dashed"}
    lines = [f'digraph "{graph.graph.get("domain", "tdg")}" {{', "  rankdir=LR;", "  node [shape=box];"]
    for name, data in sorted(graph.nodes(data=True)):
        shape = "box" if data["writes"] else "ellipse"
        lines.append(f'  "{name}" [shape={shape}, tooltip="{data["kind"]} on {data["table"]}"];')
    for a, b, kind in sorted(graph.edges(keys=True)):
        lines.append(f'  "{a}" -> "{b}" [style={styles[kind]}, label="{kind}"];')
    return "\n".join(lines) + "\n}\n"


HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}: tool dependency graph</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 8px;font-size:13px}}</style></head><body>
<h1>{title}: tool dependency graph</h1>
<p>{nodes} tools, {edges} edges ({counts}). Bold arrows: preconditions; thin: data flow.
The picture needs the Mermaid script; the tables below work offline.</p>
<pre class="mermaid">
{mermaid}</pre>
<h2>Edges</h2><table><tr><th>from</th><th>to</th><th>kind</th><th>binding</th></tr>
{rows}</table>
<script type="module">import mermaid from "https://cdn.jsdelivr.net/npm/mermaid@11/dist/mermaid.esm.min.mjs";
mermaid.initialize({{startOnLoad: true, maxEdges: 5000}});</script>
</body></html>
"""


def to_html(graph: nx.MultiDiGraph, title: str) -> str:
    counts = {k: 0 for k in KINDS}
    rows = []
    for a, b, kind, data in sorted(graph.edges(keys=True, data=True), key=lambda e: e[:3]):
        counts[kind] += 1
        binding = json.dumps(data["bindings"], sort_keys=True).replace("<", "&lt;")
        rows.append(f"<tr><td>{a}</td><td>{b}</td><td>{kind}</td><td><code>{binding}</code></td></tr>")
    return HTML.format(
        title=title,
        nodes=graph.number_of_nodes(),
        edges=graph.number_of_edges(),
        counts=", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items()),
        mermaid=to_mermaid(graph),
        rows="\n".join(rows),
    )

"""A generated read tool vs a minimal hand-written aiosqlite tool, same query, same run.

Both are called through the in-memory MCP client on the same seed data; prints per-call
medians and their ratio (aim: generated / hand-written <= 1.3).

    python bench/read_tool.py [DOMAIN|SPEC] [--calls N]
"""

# No `from __future__ import annotations`: the baseline tool annotates with a local model class.

import argparse
import importlib
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import aiosqlite
import anyio
from mcp import Client
from mcp.server import MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.compile.build import compile_domain  # noqa: E402
from generator.probe.run import load_package  # noqa: E402


def pick_get_tool(ir):
    """The first generated `get` tool and the table/key it reads."""
    tool = next(t for t in ir.tools if t.kind == "get" and not t.includes)
    return tool, ir.table(tool.table)


def handwritten(runtime, models, table, key: str) -> MCPServer:
    model = getattr(models, table.model)
    image = runtime.seed_image()
    state: dict[str, aiosqlite.Connection] = {}

    async def lifespan(_server):
        conn = await aiosqlite.Connection(lambda: runtime.memory_copy(image), iter_chunk_size=64)
        conn.row_factory = aiosqlite.Row
        state["db"] = conn
        yield conn
        await conn.close()

    from contextlib import asynccontextmanager

    server = MCPServer("baseline", lifespan=asynccontextmanager(lifespan), log_level="WARNING")

    @server.tool(annotations=ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                                             open_world_hint=False))
    async def get_row(key_value: Annotated[str, Field(description="primary key")]) -> model:  # type: ignore[valid-type]
        """Hand-written: one SELECT by primary key."""
        async with state["db"].execute(f"SELECT * FROM {table.name} WHERE {key} = ?", (key_value,)) as cur:
            row = await cur.fetchone()
        return model(**dict(row))

    return server


async def time_calls(server, name: str, args: dict, calls: int) -> list[float]:
    async with Client(server) as client:
        for _ in range(50):  # warm-up
            await client.call_tool(name, args)
        samples = []
        for _ in range(calls):
            start = time.perf_counter()
            result = await client.call_tool(name, args)
            samples.append(time.perf_counter() - start)
            assert not result.is_error
    return samples


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("domain", nargs="?", default="airline")
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    build = compile_domain(args.domain)
    server_mod, runtime = load_package(build, Path(tempfile.mkdtemp(prefix="bench-")))
    models = importlib.import_module(server_mod.__name__.rsplit(".", 1)[0] + ".models")
    tool, table = pick_get_tool(build.ir)
    key_value = runtime.memory_copy(runtime.seed_image()).execute(
        f"SELECT {table.primary_key} FROM {table.name} ORDER BY {table.primary_key} LIMIT 1").fetchone()[0]
    generated = server_mod.build_server()
    baseline = handwritten(runtime, models, table, table.primary_key)
    rounds = []
    for _ in range(3):  # interleave to share machine noise
        g = await time_calls(generated, tool.name, {tool.key: key_value}, args.calls)
        b = await time_calls(baseline, "get_row", {"key_value": key_value}, args.calls)
        rounds.append((statistics.median(g), statistics.median(b)))
    gen = statistics.median(r[0] for r in rounds)
    base = statistics.median(r[1] for r in rounds)
    print(f"domain {args.domain}, tool {tool.name} ({table.name} by {table.primary_key}), {args.calls} calls x 3 rounds")
    print(f"  generated tool   median {gen * 1e3:.3f} ms/call  ({1 / gen:,.0f} calls/s)")
    print(f"  hand-written     median {base * 1e3:.3f} ms/call  ({1 / base:,.0f} calls/s)")
    print(f"  ratio generated / hand-written = {gen / base:.2f}x (aim <= 1.3x)")


if __name__ == "__main__":
    anyio.run(main)

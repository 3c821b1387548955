"""openai-agents as a user runs it: every tool of every domain converts to a strict function schema.

`convert_schemas_to_strict=True` falls back to a non-strict schema silently when a schema has a
`$ref` into `$defs` or an open object; this test reads the flag each converted tool ends up with.
"""

from __future__ import annotations

import sys

import pytest

from tests.support import ROOT

agents = pytest.importorskip("agents", reason="needs the [agents] extra (openai-agents)")
from agents import Agent, RunContextWrapper  # noqa: E402
from agents.mcp import MCPServerStdio  # noqa: E402

DOMAINS = sorted(p.parent.name for p in (ROOT / "generated_servers").glob("*/server.py"))


@pytest.mark.parametrize("domain", DOMAINS)
async def test_every_tool_converts_to_a_strict_function_schema(domain):
    params = {"command": sys.executable, "args": ["-m", f"generated_servers.{domain}"], "cwd": str(ROOT),
              "env": {"PYTHONPATH": str(ROOT)}}
    async with MCPServerStdio(params=params, name=domain, client_session_timeout_seconds=30) as server:
        agent = Agent(name="agent", mcp_servers=[server], mcp_config={"convert_schemas_to_strict": True})
        tools = await agent.get_mcp_tools(RunContextWrapper(context=None))
    assert len(tools) >= 30
    loose = sorted(t.name for t in tools if not t.strict_json_schema)
    assert loose == [], f"tools left non-strict: {loose}"
    assert all("$defs" not in str(t.params_json_schema) for t in tools)

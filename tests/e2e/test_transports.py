"""End-to-end: servers as subprocesses over stdio and streamable HTTP, and the --db contract."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from tests.support import ROOT, TINY, build_package, query, serve_http

DOMAINS = sorted(p.parent.name for p in (ROOT / "generated_servers").glob("*/server.py"))


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pkg")
    build_package(TINY, root)
    return root


def stdio(module: str, cwd: Path, *args: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable, args=["-m", module, *args], cwd=str(cwd), env={"PYTHONPATH": str(cwd)}
    )


@pytest.mark.parametrize("domain", DOMAINS)
async def test_generated_server_answers_tools_list_over_stdio(domain):
    async with Client(stdio(f"generated_servers.{domain}", ROOT)) as client:
        tools = (await client.list_tools()).tools
        policy = await client.read_resource(f"policy://{domain}")
        prompt = await client.get_prompt("agent_system_prompt")
    assert len(tools) >= 30
    assert all(t.description and t.output_schema and t.annotations for t in tools)
    assert len(policy.contents[0].text) > 100 and policy.contents[0].text in prompt.messages[0].content.text


@pytest.mark.parametrize("domain", DOMAINS)
def test_server_copied_out_alone_never_imports_the_generator(domain, tmp_path):
    shutil.copytree(ROOT / "generated_servers" / domain, tmp_path / "generated_servers" / domain)
    (tmp_path / "generated_servers" / "__init__.py").write_text("")
    code = (
        f"import sys; import generated_servers.{domain}.server as s; s.build_server(); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'generator', 'jinja2', 'networkx', 'faker'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


async def test_db_file_is_created_from_seed_then_reused_as_is(tiny_root, tmp_path):
    path = tmp_path / "shop.db"
    async with Client(stdio("probe_tiny", tiny_root, "--db", str(path))) as client:
        placed = await client.call_tool("place_order", {"customer_id": "C00001", "item": "lamp", "amount": 9.5})
    order_id = placed.structured_content["order_id"]
    assert query(path, "SELECT item FROM orders WHERE order_id = ?", (order_id,)) == [("lamp",)]
    async with Client(stdio("probe_tiny", tiny_root, "--db", str(path))) as client:
        again = await client.call_tool("get_order", {"order_id": order_id})
    assert again.structured_content["amount"] == 9.5


async def test_stdio_session_without_db_starts_from_a_fresh_seed_copy(tiny_root):
    for _ in range(2):
        async with Client(stdio("probe_tiny", tiny_root)) as client:
            placed = await client.call_tool("place_order", {"customer_id": "C00001", "item": "desk", "amount": 1})
            assert placed.structured_content["order_id"] == "O00034"


async def test_streamable_http_serves_mcp_at_slash_mcp(tiny_root):
    with serve_http("probe_tiny", tiny_root) as url:
        async with Client(f"{url}/mcp") as client:
            tools = (await client.list_tools()).tools
            got = await client.call_tool("get_customer", {"customer_id": "C00001"})
    assert len(tools) == 7
    assert got.structured_content["customer_id"] == "C00001"


INSPECTOR = os.environ.get("MCP_INSPECTOR") or shutil.which("mcp-inspector")


@pytest.mark.skipif(not INSPECTOR, reason="MCP Inspector CLI not installed (set MCP_INSPECTOR; .ci/run does)")
@pytest.mark.parametrize("domain", DOMAINS)
def test_mcp_inspector_strict_tools_list_exits_zero(domain):
    done = subprocess.run(
        [INSPECTOR, "--cli", "--strict", "--format", "json", "-q", "--cwd", str(ROOT), "-e", f"PYTHONPATH={ROOT}",
         "--method", "tools/list", "--", sys.executable, "-m", f"generated_servers.{domain}"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(json.loads(done.stdout)["result"]["tools"]) >= 30

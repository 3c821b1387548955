"""A generated server installed the way a user installs it: its own pyproject, a fresh venv, no checkout.

Slow (a venv and a pip install from the package registry, ~20-60 s): marked `install`; deselect with
`-m "not install"`.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from tests.support import ROOT

DOMAIN = "airline"
pytestmark = pytest.mark.install


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    done = subprocess.run([venv / "bin" / "python", "-m", "pip", "install", "-q", ROOT / "generated_servers" / DOMAIN],
                          capture_output=True, text=True, cwd=venv)
    assert done.returncode == 0, done.stderr[-3000:]
    return venv


def installed(venv: Path) -> set[str]:
    listed = subprocess.run([venv / "bin" / "python", "-m", "pip", "list", "--format", "json"],
                            capture_output=True, text=True, check=True).stdout
    return {p["name"].lower() for p in json.loads(listed)}


def test_the_venv_holds_the_server_and_only_its_declared_dependencies(venv):
    names = installed(venv)
    assert {"scaleenv-airline", "mcp", "aiosqlite", "pydantic"} <= names
    assert not names & {"scaleenv", "faker", "networkx", "jinja2", "openai", "ruff"}


async def test_installed_console_script_serves_a_committed_scenario_by_id_outside_the_checkout(venv, tmp_path):
    lines = (ROOT / "tasks" / DOMAIN / "scenarios.jsonl").read_text().splitlines()
    scenario = next(s for s in map(json.loads, lines) if s["gold_actions"])  # a decline may need no call
    params = StdioServerParameters(command=str(venv / "bin" / "scaleenv-airline"), args=["--scenario", scenario["id"]],
                                   cwd=str(tmp_path), env={"PATH": "/usr/bin:/bin"})
    async with Client(params) as client:
        tools = (await client.list_tools()).tools
        prompt = await client.get_prompt("agent_system_prompt")
        first_read = scenario["gold_actions"][0]
        result = await client.call_tool(first_read["tool"], first_read["arguments"])
    assert len(tools) >= 30
    assert prompt.messages[0].content.text.endswith(f"The current time is {scenario['now']}.")
    assert not result.is_error, result.content


def dump(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_installed_server_writes_the_same_scenario_database_as_the_checkout(venv, tmp_path):
    scenario_id = json.loads((ROOT / "tasks" / DOMAIN / "scenarios.jsonl").open().readline())["id"]
    runs = {"installed": ([str(venv / "bin" / "scaleenv-airline")], tmp_path, {"PATH": "/usr/bin:/bin"}),
            "checkout": ([sys.executable, "-m", f"generated_servers.{DOMAIN}"], ROOT, {"PYTHONPATH": str(ROOT)}),
            "seed": ([sys.executable, "-m", f"generated_servers.{DOMAIN}"], ROOT, {"PYTHONPATH": str(ROOT)})}
    for name, (command, cwd, env) in runs.items():
        scenario = [] if name == "seed" else ["--scenario", scenario_id]
        subprocess.run([*command, *scenario, "--db", str(tmp_path / f"{name}.db")], cwd=cwd, env=env,
                       stdin=subprocess.DEVNULL, capture_output=True, check=True, timeout=60)
    installed, checkout = dump(tmp_path / "installed.db"), dump(tmp_path / "checkout.db")
    assert installed == checkout and installed != dump(tmp_path / "seed.db")

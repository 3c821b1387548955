"""Hostile input to a generated server from outside: tool arguments over the raw stdio wire
(what an MCP client library would refuse to send: unpaired surrogates, NaN, integers past 64
bits), tool fuzzing over the same wire, `--db` paths that are not this server's database,
Ctrl-C, and HTTP requests from the wrong Host or Origin or with a form body.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import ROOT, TINY, build_package, free_port, serve_http, wait_for_port

ENV = {"PATH": "/usr/bin:/bin"}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("inputs")
    build_package(TINY, root)
    return root


class Wire:
    """A generated server over stdio, spoken to in raw JSON-RPC lines (json.dumps escapes surrogates
    as `\\ud800` and writes NaN and big integers as they are, as a hostile client would)."""

    def __init__(self, root: Path, *args: str, module: str = "probe_tiny"):
        self.proc = subprocess.Popen([sys.executable, "-m", module, *args], cwd=root,
                                     env=ENV | {"PYTHONPATH": str(root)}, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        self.next_id = 0
        self.request("initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                                    "clientInfo": {"name": "wire", "version": "0"}})  # fmt: skip
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def send(self, message: dict[str, Any]) -> None:
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def request(self, method: str, params: dict[str, Any], timeout: float = 20) -> dict[str, Any]:
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], deadline - time.monotonic())
            if not ready:
                break
            reply = json.loads(self.proc.stdout.readline() or "null")
            if reply is None:
                raise AssertionError(f"the server exited: {self.proc.stderr.read().decode()[-2000:]}")
            if reply.get("id") == self.next_id:
                return reply
        raise AssertionError(f"no answer to {method} {json.dumps(params)[:200]} within {timeout} s")

    def call(self, tool: str, arguments: Any) -> dict[str, Any]:
        reply = self.request("tools/call", {"name": tool, "arguments": arguments})
        assert "result" in reply, reply
        return reply["result"]

    def close(self) -> str:
        self.proc.stdin.close()
        self.proc.wait(timeout=20)
        return self.proc.stderr.read().decode()


HOSTILE = [
    ("get_customer", {"customer_id": "\ud800"}, "unpaired UTF-16 surrogate"),
    ("get_customer", {"customer_id": "C0000\udfff1"}, "unpaired UTF-16 surrogate at character 5"),
    ("list_orders", {"\ud800": "x"}, "a key of arguments holds an unpaired UTF-16 surrogate"),
    ("list_orders", {"customer_id": "C" * 100_000}, "has 100,000 characters; send at most 10,000"),
    ("update_email", {"customer_id": "C00001", "email": "%_" * 30_000}, "send at most 10,000"),
    ("place_order", {"customer_id": "C00001", "item": "lamp", "amount": 2**63}, "outside the 64-bit range"),
    ("place_order", {"customer_id": "C00001", "item": "lamp", "amount": -(2**64)}, "outside the 64-bit range"),
    ("place_order", {"customer_id": "C00001", "item": "lamp", "amount": float("nan")}, "is nan; send a finite number"),
    ("place_order", {"customer_id": "C00001", "item": "lamp", "amount": float("inf")}, "is inf; send a finite number"),
    ("place_order", {"customer_id": "C00001", "item": "lamp", "amount": -float("inf")}, "send a finite number"),
    ("get_order", {"order_id": ["O00001"] * 5000}, "5,000 entries; send at most 1,000"),
    ("\ud800", {}, "the tool name is not valid Unicode text"),
]


def database_digest(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()
    finally:
        conn.close()


def test_each_hostile_argument_gets_a_tool_error_saying_what_to_fix_and_changes_nothing(root, tmp_path):
    db = tmp_path / "tiny.db"
    wire = Wire(root, "--db", str(db))
    before = database_digest(db)
    for tool, arguments, expected in HOSTILE:
        result = wire.call(tool, arguments)
        text = result["content"][0]["text"]
        assert result["isError"] and expected in text, (tool, text[:300])
    assert not wire.call("get_customer", {"customer_id": "C00001"})["isError"]  # the session is still served
    assert "Traceback" not in wire.close()
    assert database_digest(db) == before


def schema_values(schema: dict[str, Any], known: list[str]) -> st.SearchStrategy:
    """Values for one input-schema property: valid ones (strings from `known`, the database's own
    values, so calls get past their lookups) and every kind of hostile one."""
    if "anyOf" in schema:
        return st.one_of([schema_values(s, known) for s in schema["anyOf"]])
    hostile = st.one_of(st.none(), st.just("\ud800x"), st.just("y" * 10_001), st.just(2**63), st.just(float("nan")),
                        st.just(float("-inf")), st.just([1] * 1_001), st.text(max_size=8))  # fmt: skip
    kind = schema.get("type")
    if "enum" in schema:
        valid = st.sampled_from(schema["enum"])
    elif kind == "string":
        valid = st.one_of(st.sampled_from(known), st.sampled_from(["%", "'", "_"]),
                          st.text(st.characters(codec="utf-8"), max_size=20))  # fmt: skip
    elif kind == "integer":
        valid = st.integers(min_value=-(2**70), max_value=2**70)
    elif kind == "number":
        valid = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-(2**65), 2**65))
    elif kind == "boolean":
        valid = st.booleans()
    elif kind == "array":
        valid = st.lists(schema_values(schema.get("items", {}), known), max_size=3)
    else:
        valid = st.nothing()
    return st.one_of(valid, valid, valid, hostile)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    """The committed airline server (49 tools: integer params, LIKE searches) on a database file, and
    a reader whose `PRAGMA data_version` moves whenever the server commits a change."""
    db = tmp_path_factory.mktemp("fuzz") / "airline.db"
    wire = Wire(ROOT, "--db", str(db), module="generated_servers.airline")
    tools = wire.request("tools/list", {})["result"]["tools"]
    reader = sqlite3.connect(db)
    tables = [r[0] for r in reader.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    known = sorted({v for t in tables for row in reader.execute(f"SELECT * FROM {t} LIMIT 3") for v in row
                    if isinstance(v, str)})  # fmt: skip
    yield wire, reader, {t["name"]: t["inputSchema"] for t in tools}, known
    reader.close()
    assert "Traceback" not in wire.close()


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(data=st.data())
def test_fuzzed_tool_calls_over_stdio_never_crash_and_a_rejected_call_writes_nothing(fuzzed, data):
    wire, reader, schemas, known = fuzzed
    tool = data.draw(st.sampled_from(sorted(schemas)), label="tool")
    properties = schemas[tool].get("properties", {})
    optional = sorted(set(properties) - set(schemas[tool].get("required", [])))
    names = [*schemas[tool].get("required", []), *(data.draw(st.lists(st.sampled_from(optional), unique=True))
                                                   if optional else [])]  # fmt: skip
    arguments = {n: data.draw(schema_values(properties[n], known), label=n) for n in names}
    before = reader.execute("PRAGMA data_version").fetchone()[0]
    result = wire.call(tool, arguments)
    text = " ".join(c.get("text", "") for c in result["content"])
    assert text.strip() != f"Error executing tool {tool}", f"internal failure on {arguments!r}"
    if result["isError"]:
        assert reader.execute("PRAGMA data_version").fetchone()[0] == before, f"a rejected call wrote: {arguments!r}"


# --- --db paths and Ctrl-C -------------------------------------------------------------------------


def serve(root: Path, *args: str, stdin: Any = subprocess.DEVNULL) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "probe_tiny", *args], cwd=root, env=ENV | {"PYTHONPATH": str(root)},
                          stdin=stdin, capture_output=True, text=True, timeout=60)  # fmt: skip


def test_a_db_path_that_is_not_this_servers_database_is_refused_and_left_untouched(root, tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "notes.txt").write_text("my notes\n")
    (tmp_path / "link.db").symlink_to(tmp_path / "nowhere" / "x.db")
    other = sqlite3.connect(tmp_path / "other.db")
    other.execute("CREATE TABLE invoices (id INTEGER)")
    other.commit()
    other.close()
    cases = {
        "folder": "is a folder", "notes.txt": "is not a SQLite database", "link.db": "symbolic link to nothing",
        "other.db": "is not a Tiny shop database", "missing/x.db": "does not exist",
    }  # fmt: skip
    for name, expected in cases.items():
        before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file() and not p.is_symlink()}
        done = serve(root, "--db", str(tmp_path / name))
        assert done.returncode == 2 and expected in done.stderr and "Traceback" not in done.stderr, (name, done.stderr)
        assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file() and not p.is_symlink()} == before
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("stdin", ["null device", "empty file"])
def test_a_stdio_server_whose_stdin_ends_at_once_exits_cleanly(root, tmp_path, stdin):
    """stdin that cannot be polled (the null device, a regular file) is read through a thread."""
    empty = tmp_path / "empty"
    empty.write_text("")
    with open(os.devnull if stdin == "null device" else empty) as source:
        done = serve(root, "--db", str(tmp_path / "new.db"), stdin=source)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert (tmp_path / "new.db").exists()


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_ctrl_c_stops_the_server_at_once_without_a_traceback(root, transport):
    port = free_port()
    args = ["--transport", "http", "--port", str(port)] if transport == "http" else []
    # Ctrl-C as a terminal delivers it: a test run started in the background ignores SIGINT, and a
    # child would inherit that.
    proc = subprocess.Popen([sys.executable, "-m", "probe_tiny", *args], cwd=root, env=ENV | {"PYTHONPATH": str(root)},
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    if transport == "stdio":  # serving once it answers an initialize request; stdin stays open
        hello = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}
        proc.stdin.write(
            json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": hello}).encode() + b"\n"
        )
        proc.stdin.flush()
        assert b'"id":1' in proc.stdout.readline().replace(b" ", b"")
    else:
        wait_for_port(port)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 130 and "Traceback" not in err.decode(), err.decode()[-2000:]


# --- HTTP: Host, Origin, form bodies; the control token out of the process list -----------------------


async def test_a_tokenless_loopback_server_serves_only_loopback_host_and_origin_on_every_route(root):
    with serve_http("probe_tiny", root) as url:
        async with httpx2.AsyncClient(base_url=url, timeout=60) as client:
            for path in ("/episodes", "/mcp"):
                rebound = await client.post(path, json={}, headers={"Host": "attacker.example"})
                assert rebound.status_code == 421 and "Host" in rebound.json()["error"], (path, rebound.text)
                cross = await client.post(path, json={}, headers={"Origin": "http://attacker.example"})
                assert cross.status_code == 403 and "Origin" in cross.json()["error"], (path, cross.text)
            form = await client.post("/episodes", content=b"{}", headers={"Content-Type": "text/plain"})
            assert form.status_code == 415 and "application/json" in form.json()["error"]
            made = await client.post("/episodes", json={}, headers={"Origin": url.replace("127.0.0.1", "localhost")})
            assert made.status_code == 201
            assert (await client.get(f"/episodes/{made.json()['episode_id']}/state")).status_code == 200


def command_line(pid: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # gone, or not ours to read
        return b""


@pytest.mark.parametrize("via", ["environment", "file"])
async def test_the_control_token_can_stay_out_of_the_process_list(root, tmp_path, via):
    secret = "tok-" + "9" * 20
    if via == "file":
        (tmp_path / "token.txt").write_text(secret + "\n")
        args = ["--control-token-file", str(tmp_path / "token.txt")]
    else:
        args = []
    extra_env = {"SCALEENV_CONTROL_TOKEN": secret} if via == "environment" else {}
    with serve_http("probe_tiny", root, *args, env=extra_env) as url:
        assert not any(secret.encode() in command_line(pid) for pid in os.listdir("/proc") if pid.isdigit())
        async with httpx2.AsyncClient(base_url=url, timeout=60) as client:
            assert (await client.post("/episodes", json={})).status_code == 401
            made = await client.post("/episodes", json={}, headers={"Authorization": f"Bearer {secret}"})
            assert made.status_code == 201

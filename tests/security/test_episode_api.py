"""Attack corpus for the HTTP episode API of a generated server, run against a real server on loopback.

Each test is one finding: guessable episode ids, routes the control token did not cover (/mcp),
the prepared-state cache keyed by a client-chosen id, `scenario_id` reading arbitrary files,
scenario SQL running unguarded, unbounded or malformed bodies, and remote binding with no token.
"""

from __future__ import annotations

import copy
import json
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from generator.tasks.expand import expand_domain
from tests.support import TINY, build_package, serve_http

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MIB = 1 << 20


@pytest.fixture(scope="module")
def scenarios() -> list[dict]:
    return [s.model_dump(mode="json") for s in expand_domain(TINY, 2, seed=4).scenarios]


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory, scenarios: list[dict]) -> Path:
    """The tiny package, its committed scenarios, and a scenario file no client may name."""
    root = tmp_path_factory.mktemp("pkg")
    build_package(TINY, root)
    committed = root / "tasks" / "tiny"
    committed.mkdir(parents=True)
    (committed / "scenarios.jsonl").write_text("".join(json.dumps(s) + "\n" for s in scenarios))
    evil = dict(copy.deepcopy(scenarios[0]), id="evil")
    (root / "evil.json").write_text(json.dumps(evil))
    (root / "tasks" / "evil.json").write_text(json.dumps(evil))
    return root


@pytest.fixture(scope="module")
def served(root: Path):
    with serve_http("probe_tiny", root, "--control-token", TOKEN) as url:
        yield url


def http(url: str, **kwargs) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(base_url=url, headers=AUTH, timeout=60, **kwargs)


def open_state(data: bytes) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.deserialize(data)
    return conn


def scenario_with(base: dict, statements: list[dict] | None = None, checks: list[dict] | None = None) -> dict:
    scenario = copy.deepcopy(base)
    if statements is not None:
        scenario["initial_state"]["statements"] = statements
    if checks is not None:
        scenario["checks"] = checks
    return scenario


async def test_episode_ids_are_unguessable(served, scenarios):
    async with http(served) as client:
        ids = [(await client.post("/episodes", json={"scenario": scenarios[0]})).json()["episode_id"] for _ in range(20)]
        for episode in ids:
            assert (await client.delete(f"/episodes/{episode}")).status_code == 204
    assert all(re.fullmatch(r"ep-[A-Za-z0-9_-]{22,}", episode) for episode in ids), ids[:3]
    assert len(set(ids)) == len(ids)
    assert len({episode[:6] for episode in ids}) > 1  # no shared counter-like prefix


async def test_the_control_token_covers_every_route_including_mcp(served, scenarios):
    async with http(served) as client:
        episode = (await client.post("/episodes", json={"scenario": scenarios[0]})).json()["episode_id"]
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                  "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "x", "version": "1"}}}
    requests = [
        ("POST", "/episodes", {"json": {"scenario": scenarios[0]}}),
        ("POST", "/episodes", {"json": {}}),
        ("POST", f"/episodes/{episode}/verify", {"json": {}}),
        ("GET", f"/episodes/{episode}/state", {}),
        ("DELETE", f"/episodes/{episode}", {}),
        ("POST", "/mcp", {"json": initialize, "headers": {"Accept": "application/json, text/event-stream"}}),
        ("GET", "/mcp", {}),
        ("GET", "/no-such-route", {}),
    ]
    wrong = [{}, {"Authorization": "Bearer"}, {"Authorization": f"Bearer {TOKEN}x"}, {"Authorization": TOKEN},
             {"Authorization": f"bearer {TOKEN[:-1]}"}, {"Authorization": f"Basic {TOKEN}"}]
    async with httpx2.AsyncClient(base_url=served, timeout=60) as anonymous:
        for method, path, kwargs in requests:
            for headers in wrong:
                extra = kwargs.get("headers", {})
                sent = {k: v for k, v in kwargs.items() if k != "headers"}
                got = await anonymous.request(method, path, headers={**extra, **headers}, **sent)
                assert got.status_code == 401, (method, path, headers, got.status_code)
                assert "control token" in got.json()["error"]
        # an MCP client that knows an episode id but not the token cannot act on it
        async with httpx2.AsyncClient(headers={"X-Episode-Id": episode}, timeout=60) as bound:
            with pytest.raises(Exception):  # noqa: B017 - the transport raises on 401, whatever its type
                async with Client(streamable_http_client(f"{served}/mcp", http_client=bound)) as mcp:
                    await mcp.call_tool("get_customer", {"customer_id": "C00001"})
    async with httpx2.AsyncClient(headers={"X-Episode-Id": episode, **AUTH}, timeout=60) as bound:
        async with Client(streamable_http_client(f"{served}/mcp", http_client=bound)) as mcp:
            got = await mcp.call_tool("get_customer", {"customer_id": "C00001"})
    assert got.structured_content["customer_id"] == "C00001"
    async with http(served) as client:
        assert (await client.get(f"/episodes/{episode}/state")).content.startswith(b"SQLite format 3")
        assert (await client.delete(f"/episodes/{episode}")).status_code == 204


async def test_a_posted_scenario_reusing_a_committed_id_does_not_poison_that_id(root, scenarios):
    committed = scenarios[0]
    poisoned = scenario_with(committed, [*committed["initial_state"]["statements"],
                                         {"sql": "UPDATE customers SET name = 'Mallory'", "params": []}])
    poisoned["now"] = "1999-01-01T00:00:00Z"
    with serve_http("probe_tiny", root, "--control-token", TOKEN) as url:  # a fresh server: an empty cache
        async with http(url) as client:
            bad = (await client.post("/episodes", json={"scenario": poisoned})).json()["episode_id"]
            good = (await client.post("/episodes", json={"scenario_id": committed["id"]})).json()["episode_id"]
            bad_state = open_state((await client.get(f"/episodes/{bad}/state")).content)
            good_state = open_state((await client.get(f"/episodes/{good}/state")).content)
    assert bad_state.execute("SELECT DISTINCT name FROM customers").fetchall() == [("Mallory",)]
    assert ("Mallory",) not in good_state.execute("SELECT name FROM customers").fetchall()
    assert good_state.execute("SELECT value FROM _env WHERE key = 'now'").fetchone() == (committed["now"],)


@pytest.mark.parametrize("ref", [
    "evil", "evil.json", "../evil", "../evil.json", "./evil.json", "tasks/evil", "../tasks/evil",
    "/etc/passwd", "/etc/hostname", "..", ".", "", "tiny/../evil", "evil\x00", "x" * 5000,
])
async def test_scenario_id_resolves_only_committed_scenario_ids(served, root, ref):
    async with http(served) as client:
        for sent in (ref, str(root / "evil.json") if ref == "evil.json" else ref):
            got = await client.post("/episodes", json={"scenario_id": sent})
            assert got.status_code == 404, (sent[:40], got.status_code, got.text[:200])
            assert "no scenario" in got.json()["error"]


async def test_scenario_id_of_another_type_is_refused_and_a_committed_id_works(served, scenarios):
    async with http(served) as client:
        for sent in (None, 7, ["a"], {"id": "x"}, True):
            got = await client.post("/episodes", json={"scenario_id": sent})
            assert 400 <= got.status_code < 500 and got.json()["error"] and "episode_id" not in got.json()
        made = await client.post("/episodes", json={"scenario_id": scenarios[1]["id"]})
        assert made.status_code == 201
        assert (await client.delete(f"/episodes/{made.json()['episode_id']}")).status_code == 204


def mutations(base: dict):
    """(a broken scenario, the field its error must name)."""
    def changed(path: list, value=None, delete=False):
        scenario = copy.deepcopy(base)
        target = scenario
        for key in path[:-1]:
            target = target[key]
        if delete:
            del target[path[-1]]
        else:
            target[path[-1]] = value
        return scenario

    sql_check = next(i for i, c in enumerate(base["checks"]) if c.get("kind", "sql") == "sql")
    yield None, "scenario"
    yield [], "scenario"
    yield "scenario", "scenario"
    yield changed(["id"], delete=True), "scenario.id"
    yield changed(["id"], 7), "scenario.id"
    yield changed(["now"], delete=True), "scenario.now"
    yield changed(["now"], ["2025"]), "scenario.now"
    yield changed(["initial_state"], delete=True), "scenario.initial_state"
    yield changed(["initial_state"], "DROP TABLE customers"), "scenario.initial_state"
    yield changed(["initial_state", "statements"], {"sql": "x"}), "scenario.initial_state.statements"
    yield changed(["initial_state", "statements"], ["UPDATE customers SET name = 'x'"]), \
        "scenario.initial_state.statements[0]"
    yield changed(["initial_state", "statements"], [{"sql": 7}]), "scenario.initial_state.statements[0].sql"
    yield changed(["initial_state", "statements"], [{"params": []}]), "scenario.initial_state.statements[0].sql"
    yield changed(["initial_state", "statements"], [{"sql": "SELECT 1", "params": "x"}]), \
        "scenario.initial_state.statements[0].params"
    yield changed(["initial_state", "statements"], [{"sql": "SELECT 1"}] * 10_001), "scenario.initial_state.statements"
    yield changed(["checks"], delete=True), "scenario.checks"
    yield changed(["checks"], {"id": "c"}), "scenario.checks"
    yield changed(["checks", sql_check], "SELECT 1"), f"scenario.checks[{sql_check}]"
    yield changed(["checks", sql_check, "id"], delete=True), f"scenario.checks[{sql_check}].id"
    yield changed(["checks", sql_check, "kind"], "python"), f"scenario.checks[{sql_check}].kind"
    yield changed(["checks", sql_check, "sql"], None), f"scenario.checks[{sql_check}].sql"
    yield changed(["checks", sql_check, "expect"], delete=True), f"scenario.checks[{sql_check}].expect"
    yield changed(["checks", sql_check, "params"], 5), f"scenario.checks[{sql_check}].params"
    yield changed(["checks", sql_check, "table"], 5), f"scenario.checks[{sql_check}].table"
    yield changed(["checks"], [{"id": "a", "kind": "answer", "accept": ["flat"]}]), "scenario.checks[0].accept"
    yield changed(["checks"], [{"id": "a", "kind": "answer", "reject": [1]}]), "scenario.checks[0].reject"
    yield changed(["checks"], [{"id": "a", "kind": "answer"}] * 1001), "scenario.checks"


async def test_posted_scenarios_are_validated_and_the_error_names_the_field(served, scenarios):
    async with http(served) as client:
        for scenario, field in mutations(scenarios[0]):
            got = await client.post("/episodes", json={"scenario": scenario})
            assert got.status_code == 400, (field, got.status_code)
            assert "episode_id" not in got.json() and got.json()["error"].startswith(f"{field} must be"), \
                (field, got.json())


ESCAPES = [
    "ATTACH DATABASE '{tmp}/attached.db' AS other",
    "DETACH DATABASE main",
    "VACUUM",
    "VACUUM INTO '{tmp}/copy.db'",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT s",
    "RELEASE s",
    "PRAGMA foreign_keys = OFF",
    "PRAGMA writable_schema = ON",
    "PRAGMA query_only = OFF",
    "PRAGMA journal_mode = WAL",
    "SELECT load_extension('/tmp/evil')",
    "CREATE TABLE extra (x)",
    "CREATE TEMP TRIGGER t AFTER UPDATE ON customers BEGIN SELECT 1; END",
    "CREATE TRIGGER t AFTER UPDATE ON customers BEGIN DELETE FROM orders; END",
    "DROP TABLE orders",
    "ALTER TABLE customers ADD COLUMN x TEXT",
    "CREATE VIEW v AS SELECT 1",
    "REINDEX",
    "ANALYZE",
]
ENDLESS = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r"


async def test_initial_state_sql_runs_under_an_authorizer_and_a_work_bound(served, scenarios, tmp_path):
    base = scenarios[0]
    statements = base["initial_state"]["statements"]
    attacks = [sql.format(tmp=tmp_path) for sql in ESCAPES] + [
        ENDLESS, f"UPDATE customers SET name = ({ENDLESS})", "SELECT randomblob(100000000)",
    ]
    async with http(served) as client:
        for sql in attacks:
            started = time.monotonic()
            got = await client.post("/episodes", json={"scenario": scenario_with(base, [*statements, {"sql": sql}])})
            assert got.status_code == 400, (sql, got.status_code, got.text[:200])
            error = got.json()["error"]
            assert f"initial_state.statements[{len(statements)}]" in error, (sql, error)
            assert time.monotonic() - started < 15, sql
        made = await client.post("/episodes", json={"scenario": base})  # the server still works
        assert made.status_code == 201
        assert (await client.delete(f"/episodes/{made.json()['episode_id']}")).status_code == 204
    assert list(tmp_path.iterdir()) == []  # no file was attached, vacuumed into or created


async def test_checks_are_read_only_bounded_and_the_initial_attach_still_works(served, scenarios, tmp_path):
    base = scenarios[0]
    attacks = [sql.format(tmp=tmp_path) for sql in ESCAPES] + [
        "DETACH DATABASE initial", "ATTACH DATABASE ':memory:' AS initial2",
        "UPDATE customers SET name = 'x'", "DELETE FROM orders", "INSERT INTO _env VALUES ('k', 'v')",
        "DELETE FROM initial.customers", ENDLESS, "SELECT randomblob(100000000)",
    ]
    whole_state = {"id": "same", "kind": "sql", "expect": [],
                   "sql": "SELECT * FROM main.customers EXCEPT SELECT * FROM initial.customers", "params": {}}
    async with http(served) as client:
        for sql in attacks:
            check = {"id": "attack", "kind": "sql", "sql": sql, "params": {}, "expect": []}
            scenario = scenario_with(base, checks=[whole_state, check])
            episode = (await client.post("/episodes", json={"scenario": scenario})).json()["episode_id"]
            started = time.monotonic()
            got = await client.post(f"/episodes/{episode}/verify", json={})
            assert 400 <= got.status_code < 500, (sql, got.status_code, got.text[:300])
            assert "check attack" in got.json()["error"], (sql, got.json())
            assert time.monotonic() - started < 15, sql
            assert (await client.delete(f"/episodes/{episode}")).status_code == 204
        # an honest whole-state check still compares `main` with the attached `initial`
        episode = (await client.post("/episodes", json={"scenario": scenario_with(base, checks=[whole_state])})).json()
        verdict = (await client.post(f"/episodes/{episode['episode_id']}/verify", json={})).json()
        assert verdict["reward"] == 1.0 and verdict["checks"][0]["passed"]
        assert (await client.delete(f"/episodes/{episode['episode_id']}")).status_code == 204
    assert list(tmp_path.iterdir()) == []


async def test_request_bodies_over_the_limit_get_413(served, scenarios):
    async with http(served) as client:
        episode = (await client.post("/episodes", json={"scenario": scenarios[0]})).json()["episode_id"]
        big = b'{"scenario": "' + b"x" * (16 * MIB) + b'"}'

        async def chunks():
            for start in range(0, len(big), MIB):
                yield big[start:start + MIB]

        for path in ("/episodes", f"/episodes/{episode}/verify"):
            for body in (big, chunks()):  # declared length, then chunked with no length
                got = await client.post(path, content=body)
                assert got.status_code == 413, (path, got.status_code)
                assert "send at most" in got.json()["error"]
        assert (await client.post(f"/episodes/{episode}/verify", json={})).status_code == 200
        assert (await client.delete(f"/episodes/{episode}")).status_code == 204


MALFORMED = [
    b"not json", b"[1]", b"7", b"null", b'"text"', b"true", b"\xff\xfe\x00", b'{"scenario": "\xc3\x28"}',
    b"[" * 100_000, b"{" * 100_000, b'{"a": 1e99999}', b"1" * 5000,
    b'{"scenario": null}', b'{"scenario": 7}', b'{"scenario": []}', b'{"scenaro": {}}', b'{"scenario_id": null}',
    b'{"scenario": {}, "scenario_id": "x"}', b'{"extra": 1}',
]


async def test_malformed_bodies_get_4xx_with_a_message_and_never_a_seed_episode(served, scenarios):
    async with http(served) as client:
        episode = (await client.post("/episodes", json={"scenario": scenarios[0]})).json()["episode_id"]
        for body in MALFORMED:
            got = await client.post("/episodes", content=body, headers={"Content-Type": "application/json"})
            assert 400 <= got.status_code < 500, (body[:30], got.status_code, got.text[:200])
            assert got.json()["error"] and "episode_id" not in got.json(), body[:30]
        for body in MALFORMED[:12]:
            got = await client.post(f"/episodes/{episode}/verify", content=body)
            assert 400 <= got.status_code < 500 and got.json()["error"], (body[:30], got.status_code)
        assert (await client.post(f"/episodes/{episode}/verify", json={})).status_code == 200
        assert (await client.delete(f"/episodes/{episode}")).status_code == 204


def start(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "probe_tiny", "--transport", "http", "--port", "9", *args],
        cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=60,
    )


def test_a_non_loopback_host_needs_a_control_token_or_an_explicit_flag(root):
    for host in ("0.0.0.0", "::", "192.0.2.1", "example.org", ""):
        refused = start(root, "--host", host)
        assert refused.returncode == 2 and "--control-token" in refused.stderr and "--allow-remote" in refused.stderr
    empty = start(root, "--host", "127.0.0.1", "--control-token", " ")
    assert empty.returncode == 2 and "--control-token is empty" in empty.stderr
    # with a token or the explicit flag the host check passes: it fails later, on the unknown scenario, without binding
    for extra in (["--control-token", TOKEN], ["--allow-remote-without-token"]):
        passed = start(root, "--host", "0.0.0.0", *extra, "--scenario", "no-such-scenario")
        assert passed.returncode == 2 and "no scenario" in passed.stderr and "other machines" not in passed.stderr


async def test_loopback_without_a_token_stays_open(root):
    with serve_http("probe_tiny", root) as url:
        async with httpx2.AsyncClient(base_url=url, timeout=60) as client:
            made = await client.post("/episodes", json={})
            assert made.status_code == 201
            assert (await client.delete(f"/episodes/{made.json()['episode_id']}")).status_code == 204

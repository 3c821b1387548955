"""Generate the tiny spec, run its server in memory through a real MCP client, inspect the DB."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client

from tests.support import TINY, build_package, query, seeded_file


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    return build_package(TINY, tmp_path_factory.mktemp("pkg"))


def db_file(runtime, tmp_path: Path) -> Path:
    return seeded_file(runtime, tmp_path / "tiny.db")


async def test_every_tool_is_described_annotated_and_has_an_output_schema(tiny):
    _, server, _ = tiny
    async with Client(server.build_server()) as client:
        tools = (await client.list_tools()).tools
        assert client.server_info.name == "tiny" and client.server_info.version == "0.1.0"
        assert "Only pending orders can be cancelled." in client.instructions
    assert [t.name for t in tools] == [
        "get_customer", "get_order", "list_orders", "place_order", "update_email", "ship_order", "cancel_order",
    ]
    for tool in tools:
        assert tool.description
        assert tool.output_schema and tool.output_schema["type"] == "object"
        a = tool.annotations
        assert None not in (a.read_only_hint, a.destructive_hint, a.idempotent_hint, a.open_world_hint)
        assert a.open_world_hint is False
        for name, prop in tool.input_schema["properties"].items():
            assert prop.get("description"), f"{tool.name}.{name} has no description"
    by_name = {t.name: t for t in tools}
    assert by_name["get_order"].annotations.read_only_hint is True
    assert by_name["cancel_order"].annotations.destructive_hint is True
    assert by_name["place_order"].annotations.destructive_hint is False


async def test_create_uses_the_fixed_clock_and_the_next_id_from_the_sequence(tiny, tmp_path):
    _, server, runtime = tiny
    path = db_file(runtime, tmp_path)
    (count,) = query(path, "SELECT COUNT(*) FROM orders")[0]
    async with Client(server.build_server(path)) as client:
        first = await client.call_tool("place_order", {"customer_id": "C00002", "item": "desk", "amount": 12.5})
        second = await client.call_tool("place_order", {"customer_id": "C00002", "item": "lamp", "amount": 3})
    assert first.structured_content["order_id"] == f"O{count + 1:05d}"
    assert second.structured_content["order_id"] == f"O{count + 2:05d}"
    assert first.structured_content["created_at"] == "2026-03-01T09:00:00"
    rows = query(path, "SELECT item, amount, status FROM orders WHERE customer_id = 'C00002' AND created_at = ?",
                 ("2026-03-01T09:00:00",))
    assert sorted(rows) == [("desk", 12.5, "pending"), ("lamp", 3.0, "pending")]


async def test_a_rejected_call_raises_tool_error_and_changes_nothing(tiny, tmp_path):
    _, server, runtime = tiny
    path = db_file(runtime, tmp_path)
    query_all = "SELECT * FROM orders ORDER BY order_id"
    before = query(path, query_all)
    (owner,) = query(path, "SELECT customer_id FROM orders WHERE order_id = 'O00001'")[0]
    other = "C00002" if owner != "C00002" else "C00003"
    async with Client(server.build_server(path)) as client:
        result = await client.call_tool("cancel_order", {"order_id": "O00001", "customer_id": other})
        missing = await client.call_tool("get_order", {"order_id": "O99999"})
    assert result.is_error and "belongs to another customer" in result.content[0].text
    assert missing.is_error and "No order has order_id O99999" in missing.content[0].text
    assert query(path, query_all) == before


async def test_body_failure_midway_rolls_back_earlier_writes(tiny, tmp_path):
    """cancel_order updates orders, then customers; a CHECK failure in the second undoes the first."""
    _, server, runtime = tiny
    path = db_file(runtime, tmp_path)
    (owner,) = query(path, "SELECT customer_id FROM orders WHERE order_id = 'O00001'")[0]
    conn_sql = "UPDATE orders SET status = 'pending', amount = -500 WHERE order_id = 'O00001'"
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute(conn_sql)
    conn.commit()
    conn.close()
    async with Client(server.build_server(path)) as client:
        result = await client.call_tool("cancel_order", {"order_id": "O00001", "customer_id": owner})
    assert result.is_error and "Nothing was changed" in result.content[0].text
    assert query(path, "SELECT status FROM orders WHERE order_id = 'O00001'") == [("pending",)]


async def test_each_in_memory_session_starts_from_the_seed(tiny):
    _, server, _ = tiny
    app = server.build_server()
    async with Client(app) as client:
        placed = await client.call_tool("place_order", {"customer_id": "C00001", "item": "desk", "amount": 1})
        order_id = placed.structured_content["order_id"]
        assert not (await client.call_tool("get_order", {"order_id": order_id})).is_error
    async with Client(app) as client:
        fresh = await client.call_tool("get_order", {"order_id": order_id})
    assert fresh.is_error


async def test_bad_arguments_are_rejected_by_schema_validation(tiny):
    _, server, _ = tiny
    async with Client(server.build_server()) as client:
        result = await client.call_tool("place_order", {"customer_id": "C00001", "item": "sofa", "amount": 5})
    assert result.is_error

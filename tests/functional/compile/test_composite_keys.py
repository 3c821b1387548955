"""Composite primary keys (a flight per date): DDL, seed, lookups over MCP, probe cases, graph, checks."""

from __future__ import annotations

import sqlite3

import pytest
from mcp import Client

from generator.compile.graph import build_graph, partial
from generator.probe.plan import Planner
from generator.tasks.checks import changed_keys, state_sql
from generator.tasks.scenario import initial_attached
from tests.support import ROOT, build_package

FLIGHTS = ROOT / "tests" / "specs" / "keys" / "flights.yaml"


@pytest.fixture(scope="module")
def flights(tmp_path_factory: pytest.TempPathFactory):
    return build_package(FLIGHTS, tmp_path_factory.mktemp("pkg"))


def test_schema_has_a_composite_primary_key_and_a_composite_foreign_key(flights):
    build, _, _ = flights
    schema = build.files["schema.sql"]
    assert "PRIMARY KEY (flight_number, flight_date)" in schema
    assert "FOREIGN KEY (flight_number, flight_date) REFERENCES flight_days (flight_number, flight_date)" in schema


def test_seed_keys_are_unique_and_tickets_name_existing_flight_days(flights):
    _, _, runtime = flights
    conn = runtime.memory_copy(runtime.seed_image())
    days = conn.execute("SELECT flight_number, flight_date FROM flight_days").fetchall()
    assert len(days) == 7 and len(set(days)) == 7 and ("FD100", "2026-03-02") in days
    tickets = conn.execute("SELECT flight_number, flight_date FROM tickets").fetchall()
    assert len(tickets) == 5 and set(tickets) <= set(days)


async def test_lookup_by_both_key_parts_finds_the_row_or_names_every_part(flights):
    _, server, _ = flights
    async with Client(server.build_server()) as client:
        await client.call_tool("book_ticket", {"passenger_id": "P00003", "flight_number": "FD100",
                                               "flight_date": "2026-03-02"})
        found = await client.call_tool("get_flight_day", {"flight_number": "FD100", "flight_date": "2026-03-02"})
        missing = await client.call_tool("get_flight_day", {"flight_number": "FD100", "flight_date": "2027-01-01"})
    assert not found.is_error and found.structured_content["seats_left"] == 4
    tickets = found.structured_content["tickets"]
    assert "P00003" in {t["passenger_id"] for t in tickets}
    assert {(t["flight_number"], t["flight_date"]) for t in tickets} == {("FD100", "2026-03-02")}
    assert missing.is_error
    assert missing.content[0].text.endswith("No flight day has flight_number FD100 and flight_date 2027-01-01. "
                                       "Check them, or look it up with a list or search tool first.")


async def test_writes_by_composite_key_change_only_that_row(flights):
    _, server, _ = flights
    async with Client(server.build_server()) as client:
        updated = await client.call_tool("set_seats", {"flight_number": "FD100", "flight_date": "2026-03-02",
                                                       "seats_left": 1})
        booked = await client.call_tool("book_ticket", {"passenger_id": "P00001", "flight_number": "FD100",
                                                        "flight_date": "2026-03-02"})
        sold_out = await client.call_tool("book_ticket", {"passenger_id": "P00002", "flight_number": "FD100",
                                                          "flight_date": "2026-03-02"})
    assert updated.structured_content["seats_left"] == 1
    assert booked.structured_content["flight_number"] == "FD100"
    assert sold_out.is_error and "sold out" in sold_out.content[0].text


def test_probe_not_found_case_changes_one_part_to_a_value_other_rows_have(flights):
    build, _, runtime = flights
    planner = Planner(build.ir, runtime.memory_copy(runtime.seed_image()))
    case = next(c for c in planner.cases(build.ir.tool("get_flight_day")) if c.error)
    assert case.name == "missing flight_number, flight_date" and case.error == "flight_day_not_found"
    days = planner.conn.execute("SELECT flight_number, flight_date FROM flight_days").fetchall()
    numbers, dates = {d[0] for d in days}, {d[1] for d in days}
    pair = (case.args["flight_number"], case.args["flight_date"])
    assert pair not in {tuple(d) for d in days} and pair[0] in numbers | {"ZZ-missing-0000"}
    assert pair[1] in dates


def test_graph_links_a_tool_to_the_lookup_only_when_it_yields_every_key_part(flights):
    build, _, _ = flights
    graph = build_graph(build.ir)
    flow = graph.get_edge_data("book_ticket", "get_flight_day", key="data_flow")
    assert {b["param"] for b in flow["bindings"]} == {"flight_number", "flight_date"}
    one_part = {("flight_days", "flight_number")}
    assert partial(build.ir.tool("get_flight_day"), one_part) == {"flight_number", "flight_date"}


def test_state_checks_key_rows_by_every_part(flights):
    build, _, runtime = flights
    image = runtime.seed_image()
    after = runtime.memory_copy(image)
    before = runtime.memory_copy(image)
    after.execute("UPDATE flight_days SET seats_left = 0 WHERE flight_number = 'FD100' AND flight_date = '2026-03-02'")
    table = build.ir.table("flight_days")
    assert changed_keys(build.ir, before, after) == {"flight_days": {("FD100", "2026-03-02")}}
    with initial_attached(after, image):
        diff = after.execute(state_sql(build.ir, table)).fetchall()
    assert [row[:2] for row in diff] == [("+", '["FD100","2026-03-02"]'), ("-", '["FD100","2026-03-02"]')]
    assert isinstance(after, sqlite3.Connection)

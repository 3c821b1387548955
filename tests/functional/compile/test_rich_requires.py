"""Every form of `requires` generated and run: a rule on a param, the clock with an offset, one
foreign key further, and partial uniqueness; each passes when met and refuses with its error.

`tests/specs/stays.yaml` (a hotel desk) holds one tool per form; the probe derives a passing
and a breaking case for each rule, and direct calls on the server check both sides.
"""

from __future__ import annotations

import pytest
from mcp import Client

from generator.probe.report import REJECTION, SUCCESS
from generator.probe.run import run_probe
from tests.support import ROOT, build_package

STAYS = ROOT / "tests" / "specs" / "stays.yaml"


@pytest.fixture(scope="module")
def stays(tmp_path_factory: pytest.TempPathFactory):
    return build_package(STAYS, tmp_path_factory.mktemp("pkg"))


@pytest.fixture(scope="module")
def verdicts():
    return {(o.case.tool, o.case.name): o for o in run_probe(STAYS).outcomes}


def test_the_probe_passes_and_breaks_each_rule_on_its_own(verdicts):
    assert {k: o.verdict for k, o in verdicts.items() if k[1] == "valid call"} == {
        ("book_room", "valid call"): SUCCESS, ("open_ticket", "valid call"): SUCCESS,
        ("reopen_ticket", "valid call"): SUCCESS, ("close_ticket", "valid call"): SUCCESS}
    broken = {k[0]: o.case.error for k, o in verdicts.items() if k[1].startswith("check") and o.verdict == REJECTION}
    assert sorted(o.case.error for k, o in verdicts.items() if k[1].startswith("check")) == sorted([
        "stay_backwards", "stay_too_soon", "wrong_city", "hotel_closed", "room_taken", "not_your_booking",
        "booking_too_old", "ticket_already_open", "another_ticket_open"])
    assert all(o.verdict in (SUCCESS, REJECTION) for o in verdicts.values()), broken


def test_breaking_uniqueness_moves_another_row_into_the_counted_states_without_touching_keys(verdicts):
    case = verdicts[("reopen_ticket", "check 1 (another_ticket_open)")].case
    changed = [(sql, params) for sql, params in case.setup if params[-1] != case.args["ticket_id"]]
    assert changed and all("ticket_id =" not in sql.split("WHERE")[0] for sql, _ in changed)
    assert any("status = ?" in sql and "open" in params for sql, params in changed)


def test_generated_code_reads_the_hop_and_the_clock_offsets(stays):
    build, _, _ = stays
    server = build.files["server.py"]
    assert 'room_hotel = await db.fetch_one("SELECT * FROM hotels WHERE hotel_id = ?", (room["hotel_id"],))' in server
    assert "if check_in < db.today_plus(days=1):" in server
    assert 'if booking["booked_at"] < db.now_plus(days=-60):' in server
    assert "the booking's room's floor must be at most 10" in server  # a policy rule one foreign key further
    assert "booking_room" not in server  # a hop only a policy rule reads is not fetched


async def call(server, tool: str, args: dict) -> tuple[bool, str]:
    async with Client(server.build_server()) as client:
        result = await client.call_tool(tool, args)
    return result.is_error, (result.content[0].text if result.is_error else "")


def seed_row(runtime, sql: str, params: tuple = ()):
    conn = runtime.memory_copy(runtime.seed_image())
    return conn.execute(sql, params).fetchone()


async def test_each_form_passes_when_met_and_refuses_with_its_message(stays):
    _, server, runtime = stays
    room, city = seed_row(runtime, "SELECT r.room_id, h.city FROM rooms r JOIN hotels h USING (hotel_id) "
                                   "WHERE h.status = 'open' ORDER BY r.room_id")
    guest = seed_row(runtime, "SELECT guest_id FROM guests ORDER BY guest_id")[0]
    other = next(c for c in ("paris", "rome", "oslo") if c != city)
    good = {"guest_id": guest, "room_id": room, "city": city, "check_in": "2026-03-02", "check_out": "2026-03-04"}
    assert await call(server, "book_room", good) == (False, "")
    refused = {
        "stay_backwards": dict(good, check_out="2026-03-02"),
        "stay_too_soon": dict(good, check_in="2026-03-01"),  # today: tomorrow at the earliest
        "wrong_city": dict(good, city=other),
    }
    for code, args in refused.items():
        failed, text = await call(server, "book_room", args)
        assert failed, code
        assert text.endswith(runtime_message(server, code, args, room_hotel={"city": city})), code
    async with Client(server.build_server()) as client:  # one session: the second booking sees the first
        assert not (await client.call_tool("book_room", good)).is_error
        taken = await client.call_tool("book_room", dict(good, guest_id="G00002"))
        assert taken.is_error and "is already booked from 2026-03-02" in taken.content[0].text
    closed = seed_row(runtime, "SELECT r.room_id, h.city FROM rooms r JOIN hotels h USING (hotel_id) "
                               "WHERE h.status = 'closed' ORDER BY r.room_id")
    failed, text = await call(server, "book_room", dict(good, room_id=closed[0], city=closed[1]))
    assert failed and text.endswith(f"The hotel of room {closed[0]} is closed.")


def runtime_message(server, code: str, args: dict, **rows) -> str:
    return server.ERRORS[code].format(**args, **rows)


async def test_a_second_open_ticket_on_one_booking_is_refused_by_either_tool(stays):
    _, server, runtime = stays
    booking, guest = seed_row(runtime, "SELECT booking_id, guest_id FROM bookings WHERE booked_at >= '2026-01-01' "
                                       "AND booking_id NOT IN (SELECT booking_id FROM tickets) ORDER BY booking_id")
    ticket, other = seed_row(runtime, "SELECT ticket_id, booking_id FROM tickets ORDER BY ticket_id")
    async with Client(server.build_server()) as client:
        first = await client.call_tool("open_ticket", {"booking_id": booking, "guest_id": guest, "subject": "wifi"})
        assert not first.is_error
        second = await client.call_tool("open_ticket", {"booking_id": booking, "guest_id": guest, "subject": "noise"})
        assert second.is_error and "already has an open ticket" in second.content[0].text
        assert not (await client.call_tool("reopen_ticket", {"ticket_id": ticket})).is_error  # closed: no clash
        again = await client.call_tool("reopen_ticket", {"ticket_id": first.structured_content["ticket_id"]})
        assert again.is_error and "is open" in again.content[0].text  # the state rule comes first
    assert other


def test_seed_rows_keep_the_uniqueness_rules_of_the_tools(tmp_path):
    """Many tickets per booking are drawn; a second open one on a booking is redrawn."""
    spec = tmp_path / "stays.yaml"
    spec.write_text(STAYS.read_text().replace("seed: {per: bookings, count: [0, 1]}", "seed: {per: bookings, count: [2, 3]}"))
    build, _, runtime = build_package(spec, tmp_path / "pkg")
    conn = runtime.memory_copy(runtime.seed_image())
    assert conn.execute("SELECT COUNT(*) FROM tickets WHERE status = 'open'").fetchone()[0] > 5
    assert conn.execute("SELECT booking_id FROM tickets WHERE status = 'open' GROUP BY booking_id "
                        "HAVING COUNT(*) > 1").fetchall() == []

"""Constants, helpers and id formats end to end: the travel spec builds, and its server uses them.

`tests/specs/travel.yaml` declares a fee table, limits and two helpers used by a body, by
preconditions (`$const.NAME`) and by a seed expression, and tables keyed by a counter, a record
locator and a dated number.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mcp import Client

from generator import ids
from tests.support import ROOT, build_package, query, seeded_file

TRAVEL = ROOT / "tests" / "specs" / "travel.yaml"


@pytest.fixture(scope="module")
def travel(tmp_path_factory: pytest.TempPathFactory):
    return build_package(TRAVEL, tmp_path_factory.mktemp("pkg"))


def db_file(runtime, tmp_path: Path) -> Path:
    return seeded_file(runtime, tmp_path / "travel.db")


def test_constants_and_helpers_are_one_readable_read_only_module(travel):
    build, server, _ = travel
    source = build.files["constants.py"]
    assert 'FREE_BAGS = frozen({"regular": {"economy": 0, "business": 2}' in source
    assert "def free_bags(membership: Any, cabin: Any, passengers: Any) -> Any:" in source
    server_code = build.files["server.py"]
    assert "from .constants import MAX_BAGS, NEW_MEMBERSHIP, REFUNDABLE_CABINS, bag_fee, free_bags" in server_code
    assert '"membership": NEW_MEMBERSHIP,' in server_code  # `set: {membership: $const.NEW_MEMBERSHIP}`
    constants = __import__(server.__name__.rpartition(".")[0] + ".constants", fromlist=["FREE_BAGS"])
    with pytest.raises(TypeError):
        constants.FREE_BAGS["gold"]["economy"] = 9  # shared by every episode: nobody may change it
    assert constants.free_bags("gold", "business", 2) == 6


def test_seed_expressions_and_the_server_compute_fees_with_the_same_helpers(travel, tmp_path):
    build, _, runtime = travel
    path = db_file(runtime, tmp_path)
    rows = query(path, "SELECT b.cabin, b.passengers, b.bags, b.bag_fee, m.membership FROM bookings b "
                       "JOIN members m USING (member_id)")
    free = {"regular": {"economy": 0, "business": 2}, "gold": {"economy": 1, "business": 3}}
    assert rows and all(fee == 50.0 * max(0, bags - free[level][cabin] * pax)
                        for cabin, pax, bags, fee, level in rows)


def test_seed_ids_follow_each_tables_format(travel, tmp_path):
    _, _, runtime = travel
    path = db_file(runtime, tmp_path)
    members = [r[0] for r in query(path, "SELECT member_id FROM members")]
    bookings = [r[0] for r in query(path, "SELECT booking_id FROM bookings")]
    invoices = [r[0] for r in query(path, "SELECT invoice_id FROM invoices ORDER BY invoice_id")]
    assert members[0] == "M00001"
    assert len(set(bookings)) == len(bookings)
    assert all(re.fullmatch(r"[A-HJ-NP-Z2-9]{6}", b) and re.search(r"\d", b) and re.search(r"[A-Z]", b)
               for b in bookings)
    assert invoices[:2] == ["INV-2026-000001", "INV-2026-000002"]


async def test_new_ids_continue_each_sequence_in_its_format(travel, tmp_path):
    _, server, runtime = travel
    path = db_file(runtime, tmp_path)
    seeded = {r[0] for r in query(path, "SELECT booking_id FROM bookings")}
    (last_invoice,) = query(path, "SELECT last FROM _id_sequence WHERE tbl = 'invoices'")[0]
    async with Client(server.build_server(path)) as client:
        first = await client.call_tool("book_trip", {"member_id": "M00002", "cabin": "economy", "passengers": 2,
                                                     "bags": 4})
        second = await client.call_tool("book_trip", {"member_id": "M00002", "cabin": "business", "passengers": 1})
    made = [first.structured_content, second.structured_content]
    assert [m["invoice_id"] for m in made] == [f"INV-2026-{last_invoice + 1:06d}", f"INV-2026-{last_invoice + 2:06d}"]
    locators = [m["booking_id"] for m in made]
    assert len(set(locators)) == 2 and not set(locators) & seeded
    assert all(re.fullmatch(ids.pattern("locator", None), b) for b in locators)
    (level,) = query(path, "SELECT membership FROM members WHERE member_id = 'M00002'")[0]
    assert made[0]["bag_fee"] == 50.0 * max(0, 4 - {"regular": 0, "gold": 1}[level] * 2)


async def test_a_create_tool_sets_a_constant_and_takes_the_next_counter_id(travel, tmp_path):
    _, server, runtime = travel
    path = db_file(runtime, tmp_path)
    (count,) = query(path, "SELECT COUNT(*) FROM members")[0]
    async with Client(server.build_server(path)) as client:
        joined = await client.call_tool("join", {"name": "Ada Lovelace"})
    assert joined.structured_content == {"member_id": f"M{count + 1:05d}", "name": "Ada Lovelace",
                                         "membership": "regular"}


async def test_a_precondition_compares_with_a_constant(travel, tmp_path):
    _, server, runtime = travel
    path = db_file(runtime, tmp_path)
    economy = query(path, "SELECT booking_id FROM bookings WHERE cabin = 'economy' LIMIT 1")[0][0]
    async with Client(server.build_server(path)) as client:
        refused = await client.call_tool("cancel_booking", {"booking_id": economy})
        too_many = await client.call_tool("book_trip", {"member_id": "M00001", "cabin": "economy", "passengers": 1,
                                                        "bags": 7})
    assert refused.is_error and "only business bookings may be cancelled" in refused.content[0].text
    assert too_many.is_error and "At most 6 checked bags per booking; 7 requested." in too_many.content[0].text


def test_a_sequence_of_locators_is_unique_and_reversible():
    made = [(n, ids.make_id("locator", None, "bookings", n, "2026-05-15")) for n in range(1, 50_000)]
    kept = [(n, code) for n, code in made if code is not None]
    assert len({code for _, code in kept}) == len(kept) > 40_000
    assert all(ids.number("locator", None, "bookings", code) == n for n, code in kept[:2000])
    assert not any(ids.COUNTER_LIKE.fullmatch(code) for _, code in kept)
    assert ids.make_id("locator", None, "other", 1, "") != ids.make_id("locator", None, "bookings", 1, "")

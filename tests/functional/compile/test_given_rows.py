"""Seed rows given as they are (inline, CSV, JSON Lines), mixed with generated ones; hidden columns."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from mcp import Client

from generator.errors import SpecError
from generator.spec.load import load_spec
from tests.support import ROOT, build_package

SHELF = ROOT / "tests" / "specs" / "given" / "shelf.yaml"


@pytest.fixture(scope="module")
def shelf(tmp_path_factory: pytest.TempPathFactory):
    return build_package(SHELF, tmp_path_factory.mktemp("pkg"))


def test_given_rows_come_first_in_their_column_types_and_generated_keys_skip_theirs(shelf):
    _, _, runtime = shelf
    conn = runtime.memory_copy(runtime.seed_image())
    members = conn.execute("SELECT member_id, name, age, vip, balance FROM members").fetchall()
    assert members[:3] == [("M00007", "Grace Hopper", 85, 1, 0.5), ("M00001", "Ada Lovelace", 36, 1, 1.25),
                           ("M00002", "Alan Turing", 41, 0, 0.0)]
    assert [m[0] for m in members[3:]] == ["M00003", "M00004", "M00005"]  # generated after the given ones
    books = conn.execute("SELECT book_id, title, holder_id FROM books").fetchall()
    assert books[:2] == [("B00010", "Notes on the Analytical Engine", "M00001"), ("B00001", "On Computable Numbers", None)]
    assert len(books) == 4


async def test_new_ids_continue_after_the_highest_given_one(shelf):
    _, server, _ = shelf
    async with Client(server.build_server()) as client:
        result = await client.call_tool("add_book", {"title": "Dune"})
    assert result.structured_content["book_id"] == "B00011"


def broken(tmp_path: Path, seed: str) -> list[str]:
    text = SHELF.read_text().replace("seed: {file: books.jsonl, rows: 2}", seed)
    spec = tmp_path / "shelf.yaml"
    spec.write_text(text)
    for name in ("members.csv", "books.jsonl"):
        (tmp_path / name).write_text((SHELF.parent / name).read_text())
    with pytest.raises(SpecError) as info:
        load_spec(spec)
    return [f"{d.line}: {d.message}" for d in info.value.diagnostics]


def test_a_missing_or_malformed_data_file_is_a_located_diagnostic(tmp_path):
    line = 1 + SHELF.read_text().splitlines().index("    seed: {file: books.jsonl, rows: 2}")
    assert broken(tmp_path, "seed: {file: nope.jsonl, rows: 2}") == [f"{line}: cannot read seed rows: no such file: "
                                                                      f"{tmp_path / 'nope.jsonl'}"]
    (tmp_path / "bad.json").write_text('{"title": "not a list"}')
    assert "must hold a list of objects" in broken(tmp_path, "seed: {file: bad.json}")[0]


def test_a_given_row_with_an_unknown_column_says_which_and_suggests(tmp_path):
    found = broken(tmp_path, "seed: {fixed: [{titel: Dune}]}")
    assert any("'titel', which is not a column of books" in f for f in found), found


def test_given_rows_reach_sqlite_unchanged_on_another_build(tmp_path):
    build, _, _ = build_package(SHELF, tmp_path / "again")
    conn = sqlite3.connect(":memory:")
    conn.executescript(build.files["schema.sql"] + build.files["seed.sql"])
    assert conn.execute("SELECT last FROM _id_sequence WHERE tbl = 'members'").fetchone() == (7,)


async def test_a_hidden_column_is_never_returned_but_bodies_read_it(shelf):
    build, server, runtime = shelf
    assert "pin" not in build.files["models.py"].split("class Book")[0].split("class Member(")[1]
    pin = runtime.memory_copy(runtime.seed_image()).execute("SELECT pin FROM members WHERE member_id = 'M00001'").fetchone()[0]
    async with Client(server.build_server()) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert "pin" not in tools["get_member"].output_schema["properties"]
        member = await client.call_tool("get_member", {"member_id": "M00001"})
        assert "pin" not in member.structured_content and pin not in str(member.content)
        assert (await client.call_tool("check_pin", {"member_id": "M00001", "pin": pin})).structured_content == {"matches": True}

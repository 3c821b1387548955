"""Ids of every format are recognised by their table's shape: in arguments (the expander describes
the row an id in a list argument names) and in text (instructions are checked for ungrounded ids)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from generator import ids
from generator.compile.lower import lower
from generator.spec.load import load_spec
from generator.tasks.mentions import Mentions
from generator.tasks.text import ID_LIKE, ungrounded

TRAVEL = Path(__file__).resolve().parents[2] / "specs" / "travel.yaml"


class TableOf(Mentions):
    def of(self, table_name, key):  # the table the id was matched to, instead of a description
        return table_name


@pytest.fixture(scope="module")
def mentions() -> Mentions:
    return TableOf(lower(load_spec(TRAVEL)[1]), sqlite3.connect(":memory:"), lambda table: None)


def test_an_id_of_each_format_names_its_table(mentions):
    locator = ids.make_id("locator", None, "bookings", 1, "2026-05-15")
    assert mentions.of_id("M00001") == "members"
    assert mentions.of_id(locator) == "bookings"
    assert mentions.of_id("INV-2026-000042") == "invoices"


@pytest.mark.parametrize("value", ["F00017", "HELLOS", "123456", "INV00042", "M-2026-000001", 42, None])
def test_values_of_no_tables_shape_name_no_table(mentions, value):
    assert mentions.of_id(value) is None


def test_ids_of_every_format_are_found_in_text():
    text = "Move reservation ZF4K7Q, pay invoice INV-2026-000123 with PM00042, not 2026-05-15 or ACCEPT."
    assert ID_LIKE.findall(text) == ["ZF4K7Q", "INV-2026-000123", "PM00042"]
    assert ungrounded(text, {"ZF4K7Q", "PM00042"}) == ["INV-2026-000123"]

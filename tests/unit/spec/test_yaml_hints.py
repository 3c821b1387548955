"""YAML mistakes get a diagnostic that says how to fix them, not only where the parser stopped."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import SpecError
from generator.spec.load import parse
from generator.spec.source import Source

SYNTAX = {
    "description: Status: pending or shipped\n": 'must be quoted, e.g. description: "Status',
    "a:\n\tb: 1\n": "indent with spaces, not tabs",
    "description: @home\n": "cannot start with '@': quote the whole value",
    "description: *bold*\n": "read as an alias or anchor: quote it",
    "a:\n  message: {order_id} is gone\n": 'quoted as a whole, e.g. message: "{order_id} is gone"',
    "a: {type: text, description: Note: x}\n": 'quote a value that holds one, e.g. {description: "Price, in dollars"}',
    'a: "never closed\nb: 2\n': "add the closing quote",
    'a:\n  - "Lamp" in blue\n': "quote an item that goes on after a closing quote",
}


@pytest.mark.parametrize("text", SYNTAX, ids=range(len(SYNTAX)))
def test_yaml_syntax_error_suggests_the_fix(text: str) -> None:
    with pytest.raises(SpecError) as caught:
        Source(Path("spec.yaml"), text)
    assert SYNTAX[text] in caught.value.diagnostics[0].hint


SPEC = """name: shop
title: Shop
description: A shop.
now: {now}
tables:
  orders:
    description: Orders.
    primary_key: order_id
    columns:
      order_id: {{type: text, description: {description}}}
      gift: {{type: text, enum: [{enum}], description: Gift or not.}}
tools: {{}}
"""


@pytest.mark.parametrize(("now", "description", "enum", "fix"), [
    ("2026-03-01T09:00:00", "Order id.", '"yes"', 'YAML reads an unquoted date as a date: quote it, e.g. "2026-03-01T09:00:00"'),
    ('"2026-03-01T09:00:00"', "Price, in dollars", '"yes"', "quote that value, e.g. {description: \"Price, in dollars\"}"),
    ('"2026-03-01T09:00:00"', "Order id.", "yes", "yes/no, true/false or on/off as a boolean: quote it"),
    ('"2026-03-01T09:00:00"', "Order id.", "1.0", "YAML reads 1.0 as a number: quote it"),
])
def test_value_yaml_reads_otherwise_suggests_quoting(now: str, description: str, enum: str, fix: str) -> None:
    source = Source(Path("spec.yaml"), SPEC.format(now=now, description=description, enum=enum))
    with pytest.raises(SpecError) as caught:
        parse(source)
    assert any(fix in d.hint for d in caught.value.diagnostics), [d.hint for d in caught.value.diagnostics]

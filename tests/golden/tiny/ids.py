"""Generated ids: a table's id format turns the n-th number of its sequence into an id.

Formats: `counter` (prefix and a five-digit number: R00042), `dated` (prefix, the year of the
domain clock and a six-digit number: INV-2026-000042) and `locator` (six letters and digits, a
record locator: ZF4K7Q). A locator is the sequence number through a bijection of 30-bit numbers
keyed by the table, spelled in 32 symbols that cannot be misread (no I, O, 0 or 1), so distinct
numbers give distinct locators: unique by construction, deterministic, and not in order. A
number whose locator has no digit, no letter, or looks like a counter id (F00017) is skipped, so
every id format is told apart by its shape (`pattern`).

Standard library only: the seed generator uses this module and every server carries a copy
(`ids.py`), so the seed and the server's `new_id` make the same ids.
"""

from __future__ import annotations

import hashlib
import re

FORMATS = ("counter", "locator", "dated")
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols: a locator is read aloud and typed
BITS = 30  # six symbols of five bits
MASK = (1 << BITS) - 1
MULTIPLIERS = (0x2C1B3C6D, 0x297A2D39)  # odd, so multiplying is a bijection modulo 2**30
COUNTER_LIKE = re.compile(r"[A-Z]{1,4}\d{4,}")
SCENARIO_SERIALS = 90_000  # from here on: numbers of rows scenarios add (look-alikes), past the sequence


def _mix(x: int) -> int:
    for multiplier in MULTIPLIERS:
        x = (x * multiplier) & MASK
        x ^= x >> 15  # a shift by half the width undoes itself
    return x


def _unmix(x: int) -> int:
    for multiplier in reversed(MULTIPLIERS):
        x ^= x >> 15
        x = (x * pow(multiplier, -1, 1 << BITS)) & MASK
    return x


def _salt(table: str) -> int:
    return int.from_bytes(hashlib.sha256(table.encode()).digest()[:4], "big") & MASK


def locator(table: str, n: int) -> str:
    """The six symbols the number `n` of `table`'s sequence spells (valid or not)."""
    x = _mix((n + _salt(table)) & MASK)
    return "".join(ALPHABET[(x >> shift) & 31] for shift in range(25, -1, -5))


def make_id(fmt: str, prefix: str | None, table: str, n: int, today: str) -> str | None:
    """The id the number `n` of the sequence gives, or None when a locator must skip it.
    `today` is the domain clock's date (ISO), whose year a dated id carries."""
    if fmt == "dated":
        return f"{prefix}-{today[:4]}-{n:06d}"
    if fmt == "locator":
        code = locator(table, n)
        digit, letter = any(c.isdigit() for c in code), any(c.isalpha() for c in code)
        return code if digit and letter and not COUNTER_LIKE.fullmatch(code) else None
    return f"{prefix}{n:05d}"


def number(fmt: str, prefix: str | None, table: str, ident: str) -> int | None:
    """The sequence number that made `ident`, or None when this format did not make it."""
    if fmt == "locator":
        if len(ident) != 6 or any(c not in ALPHABET for c in ident):
            return None
        x = 0
        for c in ident:
            x = (x << 5) | ALPHABET.index(c)
        return (_unmix(x) - _salt(table)) & MASK
    start = re.escape(prefix or "")
    match = re.fullmatch(rf"{start}-\d{{4}}-(\d+)" if fmt == "dated" else rf"{start}(\d+)", ident)
    return int(match[1]) if match else None


def pattern(fmt: str, prefix: str | None) -> str:
    """A regular expression for the ids of a format (for finding them in text and arguments)."""
    if fmt == "locator":
        return LOCATOR
    if fmt == "dated":
        return rf"{re.escape(prefix or '')}-\d{{4}}-\d{{4,}}"
    return rf"{re.escape(prefix or '')}\d{{4,}}"


# six letters and digits, at least one of each, not shaped like a counter id (F00017)
LOCATOR = r"(?![A-Z]{1,4}[0-9]{4,}(?![A-Z0-9]))(?=[A-Z0-9]{0,5}[0-9])(?=[A-Z0-9]{0,5}[A-Z])[A-Z0-9]{6}"
ANY_ID = rf"[A-Z]{{1,4}}-\d{{4}}-\d{{4,}}|[A-Z]{{1,4}}\d{{4,}}|{LOCATOR}"  # an id of any format, in text


def scenario_id(fmt: str, prefix: str | None, table: str, n: int, today: str) -> str:
    """An id for a row a scenario adds, from a number (SCENARIO_SERIALS and up) the sequence does not reach."""
    while (ident := make_id(fmt, prefix, table, n, today)) is None:
        n += 100_000_000  # past every scenario number, still a distinct locator
    return ident

"""Naming and literal rules shared by checking, lowering and rendering.

Model class names from table names, the variable a loaded row gets, `table.column` refs,
message placeholders, and SQL and Python literals for spec values.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

PLACEHOLDER = re.compile(r"\{(\w+)(?:\.(\w+))?\}")
# the clock with an optional offset: `$now`, `$today + 1 day`, `$now - 60 days`
CLOCK = re.compile(r"^\$(now|today)(?:\s*([+-])\s*(\d+)\s*(minute|hour|day|week)s?)?$")


def singular(word: str) -> str:
    """English singular of a table name (`categories` -> `category`)."""
    for plural, single in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"), ("shes", "sh")):
        if word.endswith(plural):
            return word[: -len(plural)] + single
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def model_name(table: str) -> str:
    return camel(singular(table))


def words(name: str) -> str:
    return name.replace("_", " ")


def split_ref(ref: str | None) -> tuple[str, str] | None:
    return tuple(ref.split(".", 1)) if ref else None  # type: ignore[return-value]


def sql_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def entity_name(param: str, table: str, taken: set[str]) -> str:
    if param.endswith("_id"):
        return param[:-3]
    return singular(table) if singular(table) not in taken else f"{param}_{singular(table)}"


def clock_offset(value: Any) -> tuple[str, dict[str, int]] | None:
    """`("now", {"days": -60})` for `$now - 60 days`, `("today", {})` for `$today`; None for other values."""
    match = CLOCK.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    base, sign, amount, unit = match.groups()
    return base, ({f"{unit}s": int(amount) * (-1 if sign == "-" else 1)} if amount else {})


def shift(moment: str, **delta: int) -> str:
    """An ISO date (`YYYY-MM-DD`) or datetime moved by `delta` (timedelta keywords), in the same
    shape: the generated runtime's `db.now_plus`/`db.today_plus` compute exactly this."""
    if len(moment) == 10:
        return (datetime.fromisoformat(moment) + timedelta(**delta)).date().isoformat()
    return (datetime.fromisoformat(moment) + timedelta(**delta)).isoformat(timespec="seconds")


def clock_value(value: Any, now: str) -> str | None:
    """What a clock value (`$now`, `$today + 1 day`) is at `now`; None for any other value."""
    clock = clock_offset(value)
    if clock is None:
        return None
    base, delta = clock
    return shift(now if base == "now" else now[:10], **delta)


def hop_column(columns: dict[str, str | None], segment: str) -> str | None:
    """The foreign key column a path segment follows: `provider` is `provider_id` (else `provider`)
    among `columns` (column -> its `table.column` reference or None)."""
    return next((c for c in (f"{segment}_id", segment) if columns.get(c)), None)


def path_var(path: str) -> str:
    """The variable of a loaded row: `order` stays, one foreign key further `slot.provider` is `slot_provider`."""
    return path.replace(".", "_")


def value_expr(value: Any) -> str:
    """Python expression for a spec value: the clock (`$now`, `$today - 1 day`), `$const.NAME`, `$param`,
    `$entity.column` (`$slot.provider.specialty` one foreign key further) or a literal."""
    clock = clock_offset(value)
    if clock is not None:
        base, delta = clock
        if not delta:
            return f"db.{base}"
        return f"db.{base}_plus({', '.join(f'{k}={v}' for k, v in delta.items())})"
    if isinstance(value, str) and value.startswith("$"):
        ref = value[1:]
        if ref.startswith("const."):  # the server's constants module, imported by name
            return ref.removeprefix("const.")
        if "." in ref:
            entity, column = ref.rsplit(".", 1)
            return f"{path_var(entity)}[{column!r}]"
        return ref
    if isinstance(value, list):
        return "(" + "".join(f"{value_expr(v)}, " for v in value).rstrip(" ") + ")"
    return repr(value)


def template_names(message: str) -> list[str]:
    return sorted({m.group(1) for m in PLACEHOLDER.finditer(message)})


def script_name(domain: str) -> str:
    """The console script and distribution name of a domain's server package: `scaleenv-pet-clinic`."""
    return "scaleenv-" + domain.replace("_", "-")

"""Naming and literal rules shared by checking, lowering and rendering.

Model class names from table names, the variable a loaded row gets, `table.column` refs,
message placeholders, and SQL and Python literals for spec values.
"""

from __future__ import annotations

import re
from typing import Any

PLACEHOLDER = re.compile(r"\{(\w+)(?:\.(\w+))?\}")


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


def value_expr(value: Any) -> str:
    """Python expression for a spec value: `$now`, `$today`, `$const.NAME`, `$param`, `$entity.column` or a literal."""
    if isinstance(value, str) and value.startswith("$"):
        ref = value[1:]
        if ref in ("now", "today"):
            return f"db.{ref}"
        if ref.startswith("const."):  # the server's constants module, imported by name
            return ref.removeprefix("const.")
        if "." in ref:
            entity, column = ref.split(".", 1)
            return f"{entity}[{column!r}]"
        return ref
    if isinstance(value, list):
        return "(" + "".join(f"{value_expr(v)}, " for v in value).rstrip(" ") + ")"
    return repr(value)


def template_names(message: str) -> list[str]:
    return sorted({m.group(1) for m in PLACEHOLDER.finditer(message)})


def script_name(domain: str) -> str:
    """The console script and distribution name of a domain's server package: `scaleenv-pet-clinic`."""
    return "scaleenv-" + domain.replace("_", "-")

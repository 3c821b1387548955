"""Fixes to suggest for YAML mistakes: what to write instead, not what the parser was doing.

PyYAML says where it stopped ("did not find expected ',' or '}'"); a spec author needs the
usual cause, which is nearly always an unquoted value: one with ": ", a comma inside `{...}`,
a leading `{`, `@` or `*`, or a word YAML reads as a boolean, number or date.
"""

from __future__ import annotations

from typing import Any

import yaml

QUOTE_COLON = 'a value containing ": " must be quoted, e.g. description: "Status: pending or shipped"'
QUOTE_FLOW = ('inside {...} and [...] a comma or ": " ends the value: quote a value that holds one, '
              'e.g. {description: "Price, in dollars"}; and close every { and [')
QUOTE_START = ("check this line's indentation against the keys above it; a value that starts with {, [ or a quote "
               'must be quoted as a whole, e.g. message: "{order_id} is gone"')
SYNTAX = [  # (words of PyYAML's problem, the fix), first match wins
    ("mapping values are not allowed", QUOTE_COLON),
    ("expected ',' or '}'", QUOTE_FLOW),
    ("expected ',' or ']'", QUOTE_FLOW),
    ("did not find expected key", QUOTE_START),
    ("expected '-' indicator", 'items of a list start with "- " at the same indentation; quote an item that goes on '
                               'after a closing quote, e.g. - \'"Lamp" in blue\''),
    ("could not find expected ':'", 'a key needs ": " after it; write a long value in quotes, or after | on lines '
                                    'of its own'),
    ("found unexpected end of stream", "a quoted value is never closed: add the closing quote"),
    ("scanning an alias", "a value starting with * or & is read as an alias or anchor: quote it, e.g. \"*new*\""),
    ("scanning an anchor", "a value starting with * or & is read as an alias or anchor: quote it, e.g. \"*new*\""),
]


def syntax_hint(exc: yaml.YAMLError, text: str) -> str:
    """The likely fix of a YAML syntax error in `text`, or ''."""
    problem = f"{getattr(exc, 'problem', '')} {getattr(exc, 'context', '')}"
    mark = getattr(exc, "problem_mark", None)
    lines = text.splitlines()
    found = lines[mark.line][mark.column:mark.column + 1] if mark and mark.line < len(lines) else ""
    if found == "\t":
        return "indent with spaces, not tabs"
    if "cannot start any token" in problem and found:
        return f"a plain value cannot start with {found!r}: quote the whole value, e.g. \"{found}...\""
    return next((fix for words, fix in SYNTAX if words in problem), "")


def value_hint(error: dict[str, Any]) -> str:
    """The likely fix when a parsed value has the wrong shape because of how YAML read it, or ''."""
    value = error.get("input")
    if error["type"] == "extra_forbidden" and value is None:
        return ("if it is the rest of a value cut at a comma inside {...}, quote that value, "
                'e.g. {description: "Price, in dollars"}; else remove it or check its spelling')
    if error["type"] == "list_type" and isinstance(value, str):
        items = ", ".join(part.strip() for part in value.split(",")) if "," in value else value
        return f"write a list in brackets, e.g. [{items}], or as lines starting with \"- \""
    if error["type"] in ("model_type", "dict_type") and isinstance(value, (str, int, float, bool)):
        return "this needs a mapping of fields in {...} or indented lines, e.g. {type: text, description: ...}"
    if error["type"] != "string_type":
        return ""
    if isinstance(value, bool):
        return 'YAML reads an unquoted yes/no, true/false or on/off as a boolean: quote it, e.g. "yes"'
    if hasattr(value, "isoformat"):
        return f'YAML reads an unquoted date as a date: quote it, e.g. "{value.isoformat()}"'
    if isinstance(value, (int, float)):
        return f'YAML reads {value!r} as a number: quote it to keep it text, e.g. "{value}"'
    return ""

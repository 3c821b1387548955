"""A spec file as read: its text, the parsed YAML data and the line of every key.

Every diagnostic is located through `Source.diagnostic`; loading and checking both use it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from generator.errors import Diagnostic, SpecError
from generator.spec.yaml_hints import syntax_hint


def line_map(node: yaml.Node, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], int]:
    """1-based line of every mapping key and sequence item, keyed by its path."""
    lines = {prefix: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            path = prefix + (str(key.value),)
            lines.update(line_map(value, path))
            lines[path] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines.update(line_map(item, prefix + (str(i),)))
    return lines


class Source:
    """A spec file's text, parsed data and line map."""

    def __init__(self, path: Path, text: str):
        self.path = path
        self.text = text
        self.file = path.as_posix()
        try:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is ~10x faster
            node = yaml.compose(text, Loader=loader)
            self.data: Any = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark else 0
            problem = getattr(exc, "problem", None) or str(exc)
            where = f" (column {mark.column + 1})" if mark else ""
            hint = syntax_hint(exc, text) or getattr(exc, "context", None) or ""
            raise SpecError([Diagnostic(self.file, line, "<yaml>", f"not valid YAML: {problem}{where}", hint)]) from None
        self.lines = line_map(node) if node is not None else {}

    def line(self, path: tuple[Any, ...]) -> int:
        path = tuple(str(p) for p in path)
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 0)

    def diagnostic(self, path: tuple[Any, ...], message: str, hint: str = "", level: str = "error") -> Diagnostic:
        return Diagnostic(self.file, self.line(path), ".".join(str(p) for p in path) or "<root>", message, hint, level)

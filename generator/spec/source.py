"""A spec file as read: its text, the parsed YAML data and the line of every key.

Every diagnostic is located through `Source.diagnostic`; loading and checking both use it.
Input that would hang or exhaust the loader is refused with a located diagnostic first: files
over MAX_BYTES, text that is not UTF-8 (`decode`), YAML with over MAX_EVENTS values as written
and YAML whose aliases expand past MAX_NODES (a few hundred bytes of nested aliases can stand
for billions of nodes).
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


MAX_BYTES = 8 << 20  # a rich domain's spec is ~100 kB
MAX_NODES = 200_000  # YAML nodes after expanding every alias
MAX_EVENTS = 100_000  # YAML parse events as written (a rich domain's spec has ~10,000)
BOMS = {b"\xff\xfe\x00\x00": "UTF-32", b"\x00\x00\xfe\xff": "UTF-32", b"\xff\xfe": "UTF-16", b"\xfe\xff": "UTF-16"}


def decode(file: str, data: bytes) -> str:
    """A spec file's bytes as text: UTF-8 (a UTF-8 byte-order mark is dropped), else a located SpecError."""
    for bom, name in BOMS.items():
        if data.startswith(bom):
            raise SpecError([Diagnostic(file, 1, "<file>", f"the file is {name}, not UTF-8", "save it as UTF-8")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - data.rfind(b"\n", 0, exc.start)
        raise SpecError([Diagnostic(file, line, "<file>", f"byte 0x{data[exc.start]:02x} (column {column}) is not UTF-8",
                                    "save the file as UTF-8 (it looks like Latin-1 or another legacy encoding)")]) from None


def expanded_size(node: yaml.Node, sizes: dict[int, int]) -> int:
    """How many nodes `node` stands for with every alias expanded (shared nodes counted once each time)."""
    if id(node) not in sizes:
        sizes[id(node)] = MAX_NODES + 1  # a cycle expands without end
        children = [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else (
            node.value if isinstance(node, yaml.SequenceNode) else [])
        sizes[id(node)] = min(MAX_NODES + 1, 1 + sum(expanded_size(c, sizes) for c in children))
    return sizes[id(node)]


class Source:
    """A spec file's text, parsed data and line map."""

    def __init__(self, path: Path, text: str):
        self.path = path
        self.text = text
        self.file = path.as_posix()
        if len(text) > MAX_BYTES:
            raise SpecError([Diagnostic(self.file, 0, "<file>", f"the spec has {len(text):,} characters; a spec is at "
                                        f"most {MAX_BYTES:,}", "split fixed seed rows into data files")])
        try:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is ~10x faster
            for count, event in enumerate(yaml.parse(text, Loader=loader)):  # cheap, where composing is not
                if count > MAX_EVENTS:
                    raise SpecError([Diagnostic(self.file, event.start_mark.line + 1, "<yaml>", f"the YAML has over "
                                                f"{MAX_EVENTS:,} values", "a spec this large is not a domain; split it")])
            node = yaml.compose(text, Loader=loader)
            if node is not None and expanded_size(node, {}) > MAX_NODES:
                raise SpecError([Diagnostic(self.file, 1, "<yaml>", f"the YAML expands to over {MAX_NODES:,} nodes "
                                            "through its aliases (&anchor / *alias)", "write the values out, or use fewer aliases")])
            self.data: Any = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
        except RecursionError:
            raise SpecError([Diagnostic(self.file, 0, "<yaml>", "the YAML is nested too deeply", "flatten it")]) from None
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

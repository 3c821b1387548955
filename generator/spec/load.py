"""Read a domain spec from YAML into a DomainSpec, with line numbers for every diagnostic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from generator.errors import Diagnostic, SpecError
from generator.spec.models import DomainSpec

DOMAINS = Path(__file__).resolve().parents[2] / "domains"


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
            hint = getattr(exc, "context", None) or ""
            raise SpecError([Diagnostic(self.file, line, "<yaml>", f"not valid YAML: {problem}{where}", hint)]) from None
        self.lines = line_map(node) if node is not None else {}

    def line(self, path: tuple[Any, ...]) -> int:
        path = tuple(str(p) for p in path)
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 0)

    def diagnostic(self, path: tuple[Any, ...], message: str, hint: str = "", level: str = "error") -> Diagnostic:
        return Diagnostic(self.file, self.line(path), ".".join(str(p) for p in path) or "<root>", message, hint, level)


def resolve(domain: str | Path) -> Path:
    """A domain name (`airline`) or a path to a spec file."""
    path = Path(domain)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    return DOMAINS / f"{domain}.yaml"


def read_source(domain: str | Path) -> Source:
    path = resolve(domain)
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in DOMAINS.glob("*.yaml")))
        raise SpecError([Diagnostic(str(path), 0, "<file>", "no such spec file", f"known domains: {known}")])
    return Source(path, path.read_text())


def parse(source: Source) -> DomainSpec:
    """Validate the YAML data against the spec models; every problem at once."""
    if not isinstance(source.data, dict):
        raise SpecError([source.diagnostic((), "a spec is a mapping with name, tables, tools, ...")])
    try:
        return DomainSpec.model_validate(source.data)
    except ValidationError as exc:
        found = []
        for err in exc.errors():
            loc = tuple(str(p) for p in err["loc"] if not str(p).startswith("function-after"))
            message = err["msg"]
            hint = ""
            if err["type"] == "extra_forbidden":
                message = f"unknown field {loc[-1]!r}"
                hint = "remove it, or check its spelling against spec.schema.json"
            elif err["type"] == "missing":
                message = f"missing required field {loc[-1]!r}"
            elif err["type"] == "literal_error":
                message = f"{message} (got {err.get('input')!r})"
            found.append(source.diagnostic(loc, message, hint))
        raise SpecError(found) from None


def load_spec(domain: str | Path) -> tuple[Source, DomainSpec]:
    """Read, parse and check a spec; raises SpecError with every diagnostic."""
    from generator.spec.check import check_spec

    source = read_source(domain)
    spec = parse(source)
    problems = [d for d in check_spec(spec, source) if d.level == "error"]
    if problems:
        raise SpecError(problems)
    return source, spec

"""Read a domain spec: resolve a name to its file, parse the YAML into a DomainSpec, check it.

Every problem is reported at once, located by the `Source` line map (`spec/source.py`).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from generator.errors import Diagnostic, SpecError
from generator.spec.data import with_seed_files
from generator.spec.models import DomainSpec
from generator.spec.source import MAX_BYTES, Source, decode
from generator.spec.yaml_hints import value_hint

DOMAINS = Path(__file__).resolve().parents[2] / "domains"


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
    if path.is_dir():
        raise SpecError([Diagnostic(str(path), 0, "<file>", "is a folder, not a spec file", "give a .yaml file")])
    try:
        if path.stat().st_size > MAX_BYTES:
            raise SpecError([Diagnostic(str(path), 0, "<file>", f"the file has {path.stat().st_size:,} bytes; a spec is at "
                                        f"most {MAX_BYTES:,}", "split fixed seed rows into data files")])
        data = path.read_bytes()
    except OSError as exc:
        raise SpecError([Diagnostic(str(path), 0, "<file>", f"cannot read the file: {exc.strerror}")]) from None
    return Source(path, decode(path.as_posix(), data))


def parse(source: Source) -> DomainSpec:
    """Validate the YAML data against the spec models; every problem at once."""
    if not isinstance(source.data, dict):
        raise SpecError([source.diagnostic((), "a spec is a mapping with name, tables, tools, ...")])
    try:
        spec = DomainSpec.model_validate(source.data)
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
            hint = value_hint(err) or hint
            found.append(source.diagnostic(loc, message, hint))
        raise SpecError(found) from None
    return with_seed_files(spec, source)  # rows given in data files join the spec's given rows


def load_spec(domain: str | Path) -> tuple[Source, DomainSpec]:
    """Read, parse and check a spec; raises SpecError with every diagnostic."""
    from generator.spec.check import check_spec  # here: the checker pulls in Faker and networkx

    source = read_source(domain)
    spec = parse(source)
    problems = [d for d in check_spec(spec, source) if d.level == "error"]
    if problems:
        raise SpecError(problems)
    return source, spec

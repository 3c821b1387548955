"""The compile pipeline for one domain, and writing or diffing its output folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator.compile.ir import DomainIR
from generator.compile.lower import lower
from generator.compile.render import render
from generator.compile.seed import generate
from generator.spec.load import load_spec
from generator.spec.models import DomainSpec

ROOT = Path(__file__).resolve().parents[2]
SERVERS = ROOT / "generated_servers"


@dataclass(frozen=True)
class Build:
    spec: DomainSpec
    ir: DomainIR
    files: dict[str, str]


def compile_domain(domain: str | Path) -> Build:
    """Spec file -> checked spec -> IR (+ seed rows) -> rendered files."""
    source, spec = load_spec(domain)
    ir = lower(spec)
    rows = generate(spec, ir)
    return Build(spec, ir, render(ir, rows, source.text))


def write(files: dict[str, str], out: Path) -> list[str]:
    """Write the files into `out`, removing files the render no longer produces; returns changes."""
    out.mkdir(parents=True, exist_ok=True)
    changed = []
    for stale in sorted(p for p in out.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        if stale.relative_to(out).as_posix() not in files:
            stale.unlink()
            changed.append(f"removed {stale.relative_to(out)}")
    for path, text in files.items():
        target = out / path
        if not target.exists() or target.read_text() != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            changed.append(f"wrote {path}")
    return changed


def drift(files: dict[str, str], out: Path) -> list[str]:
    """How `out` differs from the render: missing, extra and changed files."""
    found = []
    on_disk = {
        p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    } if out.exists() else set()
    for path in sorted(set(files) | on_disk):
        if path not in on_disk:
            found.append(f"missing {path}")
        elif path not in files:
            found.append(f"extra {path}")
        elif (out / path).read_text() != files[path]:
            found.append(f"changed {path}")
    return found

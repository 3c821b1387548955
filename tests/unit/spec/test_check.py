"""Diagnostics of `python -m generator check`: snapshots of broken specs, and clean real specs.

Each `tests/specs/broken/<case>.yaml` holds a few deliberate mistakes; `<case>.expected`
is exactly what the CLI prints to stderr for it. After an intended change of messages,
regenerate the snapshots with `UPDATE_SNAPSHOTS=1 python -m pytest tests/unit/spec/test_check.py`
and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator.cli import main
from generator.spec.check import check_spec
from generator.spec.load import parse, read_source
from generator.spec.schema import spec_json_schema

ROOT = Path(__file__).resolve().parents[3]
BROKEN = sorted((ROOT / "tests" / "specs" / "broken").glob("*.yaml"))
DOMAINS = sorted((ROOT / "domains").glob("*.yaml"))


def errors(path: Path) -> list[str]:
    source = read_source(path)
    return [str(d) for d in check_spec(parse(source), source) if d.level == "error"]


def test_there_are_broken_cases() -> None:
    assert len(BROKEN) >= 10


@pytest.mark.parametrize("spec", BROKEN, ids=lambda p: p.stem)
def test_broken_spec_diagnostics(spec: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # diagnostics name the file as given: keep it relative
    code = main(["check", spec.relative_to(ROOT).as_posix()])
    printed = capsys.readouterr()
    expected = spec.with_suffix(".expected")
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        expected.write_text(printed.err)
    assert code == 2
    assert printed.out == ""
    assert "internal error" not in printed.err
    assert printed.err == expected.read_text()


def test_tiny_has_no_errors() -> None:
    assert errors(ROOT / "tests" / "specs" / "tiny.yaml") == []


@pytest.mark.parametrize("spec", DOMAINS, ids=lambda p: p.stem)
def test_domain_has_no_errors(spec: Path) -> None:
    assert errors(spec) == []


def test_committed_json_schema_is_current() -> None:
    committed = (ROOT / "spec.schema.json").read_text()
    assert committed == spec_json_schema(), "regenerate spec.schema.json (see generator/spec/schema.py)"

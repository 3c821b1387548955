"""The spec author's guide (`docs/spec-guide.md`) stays true to the code.

Every complete spec in it passes `check` and its tools pass the procedural tests; every field
of `spec.schema.json` is listed in its field index (so a new field fails here until it is
documented); the `expr` scope, the body API and the automatic errors it lists are the real
ones; and the diagnostics it quotes are ones the checker prints (its broken-spec snapshots).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from generator.compile.lower import auto_errors
from generator.probe.run import run_probe
from generator.sandbox import DB_API, SEED_NAMES
from generator.spec.load import load_spec
from generator.spec.models import DomainSpec

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "spec-guide.md").read_text()
SPECS = [block for block in re.findall(r"```yaml\n(.*?)```", GUIDE, re.DOTALL) if block.startswith("name:")]


def section(number: str) -> str:
    """The text of `## <number>. ...` (or `### <number> ...`) up to the next heading of its level."""
    level = "##" if "." not in number else "###"
    match = re.search(rf"^{level} {re.escape(number)}\.? .*?(?=^{level} |\Z)", GUIDE, re.MULTILINE | re.DOTALL)
    assert match, f"no section {number} in the guide"
    return match.group(0)


def test_the_guide_holds_a_complete_spec() -> None:
    assert SPECS, "the guide's walkthrough spec is a ```yaml block starting with name:"


@pytest.mark.parametrize("text", SPECS, ids=lambda t: t.split("\n", 1)[0].removeprefix("name: "))
def test_every_complete_spec_in_the_guide_checks_and_passes_its_procedural_tests(text: str, tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    load_spec(path)  # raises SpecError with every diagnostic
    report = run_probe(path)
    assert report.unexpected == 0, [o for o in report.outcomes if o.verdict != "success" and "rejection" not in o.verdict]


def test_every_schema_field_is_in_the_field_index() -> None:
    schema = json.loads((ROOT / "spec.schema.json").read_text())
    models = {schema["title"]: schema["properties"]} | {
        name: spec.get("properties", {}) for name, spec in schema["$defs"].items()}
    index = {row[0].strip("` "): set(re.findall(r"`(\w+)`", row[2]))
             for row in (line.strip("|").split("|") for line in section("11").splitlines() if line.startswith("| `"))}
    for model, fields in models.items():
        assert model in index, f"the field index has no row for {model}: add one"
        missing = sorted(set(fields) - index[model])
        assert not missing, f"{model} fields missing from the guide's field index: {missing} (document them)"
        extra = sorted(index[model] - set(fields))
        assert not extra, f"the field index lists {model} fields the spec does not have: {extra}"


def test_the_expr_scope_the_guide_lists_is_the_seeders() -> None:
    first_cells = [line.split("|")[1] for line in section("4.3").splitlines() if line.startswith("| `")]
    listed = {name for cell in first_cells for name in re.findall(r"`(\w+)", cell)}
    assert listed == set(SEED_NAMES) - {"None", "True", "False"}


def test_the_body_api_the_guide_lists_is_the_runtimes() -> None:
    listed = set(re.findall(r"`(?:await )?db\.(\w+)", section("7")))
    assert listed == set(DB_API)


def test_the_automatic_errors_the_guide_lists_are_the_generators() -> None:
    spec = DomainSpec.model_validate({
        "name": "x", "title": "x", "description": "x", "now": "2026-01-01T00:00:00", "tools": {},
        "tables": {"widgets": {"description": "x", "primary_key": "widget_id", "status_column": "state",
                              "columns": {"widget_id": {"type": "text"}, "state": {"type": "text", "enum": ["a"]}}}}})
    text = section("5.5")
    for code, message in auto_errors(spec).items():
        assert code.replace("widget", "<singular>") in text
        assert message.replace(" widget ", " <thing> ") in text


def test_the_diagnostics_the_guide_quotes_are_the_checkers() -> None:
    printed = "".join(p.read_text() for p in (ROOT / "tests" / "specs" / "broken").glob("*.expected"))
    quoted = [line for block in re.findall(r"```text\n(.*?)```", section("10"), re.DOTALL)
              for line in block.splitlines() if re.match(r"(\S+:\d+: )?(error|warning): |    hint: ", line)]
    assert len(quoted) >= 40
    for line in quoted:
        message = re.sub(r"^\S+:\d+: ", "", line)
        assert message in printed, f"the guide quotes a diagnostic no broken spec produces: {line}"


def test_the_guides_example_of_every_rule_form_is_the_tested_spec() -> None:
    assert (ROOT / "tests" / "specs" / "stays.yaml").read_text() in SPECS, "copy tests/specs/stays.yaml into 5.4"

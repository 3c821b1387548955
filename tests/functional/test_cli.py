"""The command line: every command explains itself, user mistakes never end in a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from generator.cli import main, parser
from tests.support import CATALOG, ROOT

COMMANDS = sorted(parser()._subparsers._group_actions[0].choices)  # noqa: SLF001 - argparse keeps them here


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "example: python -m generator " + command in text.replace("\n", " ")


def test_unknown_domain_is_a_located_error_not_a_traceback():
    done = subprocess.run([sys.executable, "-m", "generator", "build", "no_such_domain"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "no such spec file" in done.stderr and f"known domains: {', '.join(CATALOG)}" in done.stderr
    assert "Traceback" not in done.stderr


def test_build_check_reports_no_drift_for_the_committed_servers(capsys):
    assert main(["build", "--check"]) == 0
    assert capsys.readouterr().out.count("up to date") == len(CATALOG)


def test_verify_says_which_server_package_cannot_be_imported_instead_of_a_traceback(tmp_path):
    scenario = (ROOT / "tasks" / CATALOG[0] / "scenarios.jsonl").read_text().splitlines()[0]
    (tmp_path / "one.jsonl").write_text(scenario + "\n")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "__init__.py").write_text("raise RuntimeError('half written')\n")
    (tmp_path / "bad.jsonl").write_text('{"not": "a scenario"}\n')
    for extra, expected in ((["--package", "no_such_package"], "cannot import the server package 'no_such_package'"),
                            (["--package", "broken"], "RuntimeError: half written"), ([], "cannot read scenarios")):
        paths = [str(tmp_path / ("bad.jsonl" if not extra else "one.jsonl"))]
        done = subprocess.run([sys.executable, "-m", "generator", "verify", *paths, *extra], cwd=ROOT, text=True,
                              capture_output=True, env={"PYTHONPATH": f"{ROOT}:{tmp_path}", "PATH": "/usr/bin:/bin"})
        assert done.returncode == 2 and expected in done.stderr and "Traceback" not in done.stderr, done.stderr[-1500:]

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

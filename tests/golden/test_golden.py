"""Golden record: the tiny spec's generated package, committed under tests/golden/tiny/.

Regenerate with `UPDATE_GOLDEN=1 pytest tests/golden` after an intended change.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

from generator.compile.build import compile_domain, drift, write
from tests.support import ROOT, TINY

GOLDEN = Path(__file__).parent / "tiny"


def test_generated_package_matches_the_golden_record():
    files = compile_domain(TINY).files
    if os.environ.get("UPDATE_GOLDEN"):
        write(files, GOLDEN)
    assert drift(files, GOLDEN) == []


def test_same_spec_and_seed_render_byte_identical_trees():
    assert compile_domain(TINY).files == compile_domain(TINY).files


@pytest.mark.parametrize("today", [
    dt.datetime(2031, 2, 3, 23, 59, tzinfo=ZoneInfo("Pacific/Kiritimati")),  # UTC+14, years after the domain's clock
    dt.datetime(2019, 7, 1, 0, 1, tzinfo=ZoneInfo("America/Adak")),  # UTC-10, years before it
])
def test_build_does_not_depend_on_the_machine_date_or_time_zone(today):
    """Faker's relative dates (airline's `date_of_birth`) are drawn on the domain's clock."""
    with time_machine.travel(today, tick=False):
        files = compile_domain("airline").files
        assert dt.date.today() == today.date()  # the machine's clock is back once seeding ends
    assert drift(files, ROOT / "generated_servers" / "airline") == []


def test_generated_code_passes_ruff_check_and_format():
    targets = [str(GOLDEN), str(ROOT / "generated_servers")]
    for args in (["check", "--no-cache", "--isolated", "--line-length", "110"], ["format", "--check", "--no-cache", "--isolated", "--line-length", "110"]):
        done = subprocess.run([sys.executable, "-m", "ruff", *args, *targets], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr

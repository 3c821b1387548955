"""Hostile spec files: each gets a located diagnostic, quickly, and never a traceback or a hang."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from generator.errors import SpecError
from generator.spec.load import load_spec
from tests.support import ROOT, TINY

BOMB = "".join(f"{k}: &{k} [{', '.join([f'*{p}'] * 9 if p else ['lol'] * 9)}]\n"
               for p, k in zip(["", *"abcdefgh"], "abcdefghi", strict=True))  # fmt: skip  # 9^9 nodes in 330 bytes
HOSTILE = {
    "alias_bomb": (BOMB.encode(), 1, "expands to over 200,000 nodes"),
    "latin1": ("name: café\n".encode("latin-1"), 1, "byte 0xe9 (column 10) is not UTF-8"),
    "latin1_later_line": (b"name: x\ntitle: \xc0 la carte\n", 2, "byte 0xc0 (column 8) is not UTF-8"),
    "utf16": ("name: x\n".encode("utf-16"), 1, "the file is UTF-16, not UTF-8"),
    "utf32": ("name: x\n".encode("utf-32"), 1, "the file is UTF-32, not UTF-8"),
    "oversized": (b"# padding\n" * 900_000, 0, "a spec is at most 8,388,608"),
    "deep_nesting": (b"[" * 100_000, 1, "not valid YAML"),
    "many_values": (b"rows:\n" + b"  - {a: 1, b: 2}\n" * 120_000, 16_668, "the YAML has over 100,000 values"),
    "not_a_mapping": (b"- just\n- a list\n", 1, "a spec is a mapping"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_spec_file_gets_a_located_diagnostic_within_a_second(tmp_path, name):
    data, line, expected = HOSTILE[name]
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(data)
    start = time.perf_counter()
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    took = time.perf_counter() - start
    first = caught.value.diagnostics[0]
    assert expected in first.message and first.line == line and first.file == path.as_posix(), str(first)
    assert took < 1.5, f"{name} took {took:.2f} s"


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + TINY.read_bytes())
    assert load_spec(path)[1].name == "tiny"


def test_the_cli_reports_a_bad_spec_without_a_traceback(tmp_path):
    for name in ("alias_bomb", "latin1", "utf16"):
        path = tmp_path / f"{name}.yaml"
        path.write_bytes(HOSTILE[name][0])
        done = subprocess.run([sys.executable, "-m", "generator", "check", str(path)], cwd=ROOT, capture_output=True,
                              text=True, timeout=60)  # fmt: skip
        assert done.returncode != 0 and "Traceback" not in done.stderr + done.stdout, done.stderr[-2000:]
        assert HOSTILE[name][2] in done.stdout + done.stderr

"""Shared helpers for tests: build a spec into a scratch package and import it."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from generator.compile.build import Build, compile_domain
from generator.probe.run import load_package

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "specs" / "tiny.yaml"
CATALOG = sorted(p.stem for p in (ROOT / "domains").glob("*.yaml"))  # tests never hard-code the domain list


def build_package(spec: Path, root: Path) -> tuple[Build, Any, Any]:
    """Compile `spec`, write it under `root` and import its server and runtime modules."""
    build = compile_domain(spec)
    server, runtime = load_package(build, root)
    return build, server, runtime


def seeded_file(runtime: Any, path: Path) -> Path:
    """A database file at `path` holding the server's seed (what `--db` starts from)."""
    runtime.create_file(path, runtime.seed_image())
    return path


def query(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> None:
    """Until something accepts connections on the loopback `port` (or `timeout` seconds pass)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)


@contextmanager
def serve_http(module: str, root: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run `python -m module --transport http` from `root` on a free port (with `env` added to its
    minimal environment); yields its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", module, "--transport", "http", "--port", str(port), *args],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin", **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)

"""A domain's episode server (`python -m generated_servers.<domain> --transport http`) as a managed subprocess.

Adapters whose framework talks HTTP to a resource server start one here when the user gives no
URL; the process ends with the interpreter that started it.
"""

from __future__ import annotations

import atexit
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@cache
def episode_server(domain: str, timeout: float = 60.0) -> str:
    """The base URL of this process's episode server for `domain`, started on first use."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", domain) or not (ROOT / "generated_servers" / domain).is_dir():
        raise ValueError(f"no generated server for {domain!r} under {ROOT / 'generated_servers'}")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", f"generated_servers.{domain}", "--transport", "http", "--port", str(port)],
        cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    atexit.register(stop, proc)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the {domain} episode server exited with status {proc.returncode}")
        try:
            urllib.request.urlopen(f"{url}/episodes/none", timeout=1)
        except urllib.error.HTTPError:
            return url  # any HTTP answer means it is serving
        except OSError:
            time.sleep(0.1)
    stop(proc)
    raise RuntimeError(f"the {domain} episode server did not answer within {timeout:.0f}s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()

"""What confines a worker that runs LLM-written code (seed recipes, tool bodies, test setups).

The static allow-list (`generator/sandbox.py`) and the server's SQLite guard come first; this
is the wall behind them, for what they miss. The parent starts the worker with `worker_env`
(no API keys or other secrets: only what Python needs) and `limit_resources` (CPU seconds,
address space, file size, no core dumps); the worker calls `confine` before it loads any
generated code: an audit hook then refuses network access, new processes (but `ruff format` on stdin), native code
(ctypes), reading other processes' /proc files (a parent's environment holds its keys) and
any write outside the folders the worker owns. A refusal raises PermissionError naming what
was refused, which the worker reports like any other failure.
"""

from __future__ import annotations

import os
import resource
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

KEEP_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SYSTEMROOT")
CPU_SECONDS = 600
ADDRESS_SPACE = 4 << 30  # bytes: threads reserve stacks, so this is well above the real need
FILE_SIZE = 64 << 20  # bytes of any one file the worker writes
DENIED = ("socket.", "subprocess.", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
          "pty.spawn", "ctypes.", "os.kill", "os.killpg", "signal.pthread_kill", "webbrowser.")  # fmt: skip
ALLOWED_SOCKET = ("socket.__new__", "socket.socketpair")  # asyncio's own wake-up pipe, never a network peer
PATH_EVENTS = {"os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.symlink", "os.link", "os.chmod", "os.chown",
               "os.truncate", "os.utime", "shutil.rmtree", "shutil.move", "shutil.copyfile", "sqlite3.connect"}  # fmt: skip
TWO_PATHS = {"os.rename", "os.symlink", "os.link", "shutil.move", "shutil.copyfile"}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def worker_env(root: Path, tmp: Path) -> dict[str, str]:
    """The worker's environment: the few variables Python needs, never the parent's secrets."""
    env = {k: os.environ[k] for k in KEEP_ENV if k in os.environ}
    return env | {"PYTHONPATH": str(root), "TMPDIR": str(tmp), "HOME": str(tmp), "PYTHONDONTWRITEBYTECODE": "1",
                  "PYTHONHASHSEED": "0", "PYTHONNOUSERSITE": "1"}  # fmt: skip


def limit_resources() -> None:
    """Run in the child before exec: bound CPU, memory and file size; no core files."""
    for which, value in ((resource.RLIMIT_CPU, CPU_SECONDS), (resource.RLIMIT_AS, ADDRESS_SPACE),
                         (resource.RLIMIT_FSIZE, FILE_SIZE), (resource.RLIMIT_CORE, 0)):  # fmt: skip
        soft, hard = resource.getrlimit(which)
        cap = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (cap, cap if hard == resource.RLIM_INFINITY else hard))


def _inside(path: Any, roots: tuple[str, ...]) -> bool:
    if isinstance(path, int) or path in (":memory:", "", b""):
        return True  # an inherited descriptor, or an in-memory database
    real = os.path.realpath(os.fsdecode(path))
    return any(real == root or real.startswith(root + os.sep) for root in roots)


def _writes(mode: Any, flags: Any) -> bool:
    if isinstance(mode, str):
        return any(c in mode for c in "wax+")
    return isinstance(flags, int) and bool(flags & WRITE_FLAGS)


def _formatter(argv: Any) -> bool:
    """The one process a worker starts: rendering pipes code through `ruff format - ` (stdin to stdout)."""
    argv = [os.fsdecode(a) for a in argv] if isinstance(argv, list | tuple) else []
    return argv[:4] == [sys.executable, "-m", "ruff", "format"] and argv[-1] == "-"


def confine(writable: Iterable[Path]) -> None:
    """From now on, in this process: no network, processes or native code, writes only under `writable`."""
    roots = tuple(os.path.realpath(p) for p in writable)

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "subprocess.Popen" and _formatter(args[1]):
            return
        if event.startswith(DENIED) and event not in ALLOWED_SOCKET:
            raise PermissionError(f"synthesized code may not use {event} (no network, processes or native code)")
        if event == "open" and args:
            path = os.fsdecode(args[0]) if not isinstance(args[0], int) else ""
            if path.startswith("/proc/") and not path.startswith(("/proc/self/", "/proc/thread-self/")):
                raise PermissionError(f"synthesized code may not read {path}")
            if _writes(args[1] if len(args) > 1 else None, args[2] if len(args) > 2 else None) and not _inside(args[0], roots):
                raise PermissionError(f"synthesized code may not write {path}: only its work folder")
        elif event in PATH_EVENTS:
            for path in args[: 2 if event in TWO_PATHS else 1]:
                if isinstance(path, str | bytes | os.PathLike) and not _inside(path, roots):
                    raise PermissionError(f"synthesized code may not {event.split('.')[-1]} {os.fsdecode(path)}")

    sys.addaudithook(hook)

"""How the Airline customer service server meets the wire: stdio lines and the checks on every HTTP request.

stdio: JSON that escapes an unpaired UTF-16 surrogate (`"\\ud800"`) is valid JSON but not valid
Unicode, which the SDK's parser refuses without an answer; such a line is repaired so the caller
gets one (a tool call: a ToolError saying which argument is wrong). stdin is read without a
thread, so Ctrl-C stops the server at once.

HTTP: a server on a loopback address with no control token accepts only loopback Host and
Origin headers on every route, the episode API included (DNS rebinding: a web page must not
reach it through a name that resolves to 127.0.0.1), and no POST with a form or text body
(what a browser may send cross-site without asking).
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import stat
import sys
from collections.abc import AsyncIterator
from typing import Any

import anyio
from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from .runtime import argument_problem

INVALID_ARGUMENTS = "invalid_arguments"  # request meta key a repaired tool call carries
MAX_LINE = 64 << 20  # bytes of one stdio message
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
FORM_TYPES = ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data")


def _spell_surrogates(value: Any) -> Any:
    """`value` with every unpaired surrogate written out as the text `\\udXXX`."""
    if isinstance(value, str):
        return "".join(f"\\u{ord(c):04x}" if "\ud800" <= c <= "\udfff" else c for c in value)
    if isinstance(value, list):
        return [_spell_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_spell_surrogates(k): _spell_surrogates(v) for k, v in value.items()}
    return value


def repair(line: str) -> str:
    """A stdio line as the SDK can parse it: unchanged unless its JSON escapes an unpaired surrogate."""
    if "\\ud" not in line.lower():
        return line
    try:
        message = json.loads(line)
    except ValueError:
        return line  # the SDK answers what it cannot parse
    if _spell_surrogates(message) == message:
        return line  # only valid pairs
    params = message.get("params") if isinstance(message, dict) else None
    if isinstance(params, dict) and message.get("method") == "tools/call":
        problem = argument_problem(params.get("arguments", {})) or "the tool name is not valid Unicode text"
        params["arguments"] = {}
        meta = params.get("_meta") if isinstance(params.get("_meta"), dict) else {}
        params["_meta"] = meta | {INVALID_ARGUMENTS: problem}
    return json.dumps(_spell_surrogates(message))


async def wire_lines() -> AsyncIterator[str]:
    """stdin's lines, repaired, read on the event loop (not a thread) where the platform allows;
    fd 0 then points at the null device, so nothing else reads the wire."""
    wire = os.fdopen(os.dup(0), "rb", buffering=0)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    reader = asyncio.StreamReader(limit=MAX_LINE)
    mode = os.fstat(wire.fileno()).st_mode
    pollable = stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or wire.isatty()  # not /dev/null, not a file
    try:
        if not pollable:
            raise ValueError("stdin cannot be polled")
        await asyncio.get_running_loop().connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), wire)
    except (OSError, ValueError):  # a regular file or the null device on stdin: read it through a thread
        async for line in anyio.wrap_file(io.TextIOWrapper(wire, encoding="utf-8", errors="replace")):
            yield repair(line)
        return
    while line := await reader.readline():
        yield repair(line.decode("utf-8", errors="replace"))


def loopback_security(host: str) -> TransportSecuritySettings:
    """The SDK's DNS-rebinding settings for a server bound to `host`: loopback names only when
    `host` is a loopback address, none otherwise (a remote bind needs a token or an explicit opt-out)."""
    own = f"[{host}]" if ":" in host else host
    if not (host in ("localhost", "::1") or host.startswith("127.")):
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    names = sorted({*LOOPBACK, own})
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[*names, *(f"{n}:*" for n in names)],
        allowed_origins=[
            f"{scheme}://{n}{port}" for scheme in ("http", "https") for n in names for port in ("", ":*")
        ],
    )


class RequestGuard:
    """ASGI middleware: Host and Origin checked on every HTTP route as the SDK checks /mcp, and no
    POST with a form or text body; each refusal is a JSON error saying what to send."""

    def __init__(self, app: ASGIApp, settings: TransportSecuritySettings):
        self.app = app
        self.check = TransportSecurityMiddleware(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            refused = await self.check.validate_request(request)
            content_type = request.headers.get("content-type", "").lower()
            if refused is not None:
                message, status = (
                    f"{bytes(refused.body).decode()}: send a loopback Host and Origin",
                    refused.status_code,
                )
            elif request.method == "POST" and content_type.startswith(FORM_TYPES):
                message, status = "send the body as JSON with Content-Type: application/json", 415
            else:
                await self.app(scope, receive, send)
                return
            print(f"refused {request.method} {request.url.path}: {message}", file=sys.stderr)
            await JSONResponse({"error": message}, status_code=status)(scope, receive, send)
            return
        await self.app(scope, receive, send)

"""Episodes of the Airline customer service server: many isolated databases in one process.

An episode is a private in-memory database made from a scenario: a copy of the seed with the
scenario's initial-state statements and clock applied (its prepared image, made once per
distinct initial state and clock, is what whole-state checks compare against), with its own
clock and id sequence. A closed episode's database, rolled back to the seed, serves the next
episode of any scenario (see Episodes). Tool calls reach an episode through the `X-Episode-Id` header
(HTTP) or the `episode_id` request meta (in process); without either they use the session's
default database. Episode control and verification live outside the MCP tool list, so an
agent can never see the checks or call the verifier:

    POST   /episodes                 {"scenario": {...}} or {"scenario_id": "..."} (or {}: the seed) -> {"episode_id"}
    POST   /episodes/{id}/verify     {"transcript": "..."}? -> {"reward", "checks": [...]}
    GET    /episodes/{id}/state      the database file, for offline inspection
    DELETE /episodes/{id}

What the API guarantees: episode ids are unguessable (`ep-` and 128 random bits); with a
control token every HTTP route, /mcp included, needs `Authorization: Bearer TOKEN`; a
`scenario_id` names one of the committed scenarios, never a file; a posted scenario is
checked for shape, and its SQL (initial state and checks) runs under an authorizer (no
ATTACH, DETACH, VACUUM, transaction control, PRAGMA writes, schema changes or
load_extension; checks read only) with a bound on work; bodies over MAX_BODY bytes get 413,
anything but a JSON object 400.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import sqlite3
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.stdio import stdio_server
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from .judge import carries, judge
from .runtime import (
    SqlRefused,
    Store,
    argument_problem,
    committed_scenario,
    guarded,
    request_of,
    scenario_image,
    seed_image,
)
from .transport import INVALID_ARGUMENTS, RequestGuard, loopback_security, wire_lines

MAX_TRANSCRIPT = 1 << 20  # characters of agent text an answer check reads
MAX_BODY = 16 << 20  # bytes of one request body to the episode API
MAX_STATEMENTS = 10_000  # initial-state statements of one scenario
MAX_CHECKS = 1_000  # checks of one scenario
MAX_IMAGES = 256  # prepared initial states kept
MAX_IMAGE_BYTES = 1 << 30  # bytes of prepared initial states kept
VERIFY_EXAMPLE = '{"transcript": "what the agent told the user"} (or {})'
CREATE_EXAMPLE = '{"scenario": {...}} or {"scenario_id": "..."} ({} for the seed database)'


class EpisodeError(LookupError):
    """A request about episodes that cannot be served; the message says what to change."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass
class Episode:
    id: str
    store: Store
    scenario: dict[str, Any] | None
    initial: bytes  # the initial state, which whole-state checks compare against
    size: int
    recycle: bool  # whether its database, rolled back, is the seed (see Episodes.create)
    last_used: float = field(default_factory=time.monotonic)


def new_episode_id() -> str:
    """An unguessable episode id: knowing one episode's id says nothing about another's."""
    return f"ep-{secrets.token_urlsafe(16)}"


def _need(ok: bool, where: str, what: str) -> None:
    if not ok:
        raise EpisodeError(f"{where} must be {what}")


def check_scenario(scenario: Any) -> dict[str, Any]:
    """`scenario` if it has the shape the server uses (id, now, initial_state.statements[].sql/params,
    checks[]), else an EpisodeError naming the first field that is wrong."""
    _need(isinstance(scenario, dict), "scenario", "a JSON object (a scenario as stored in tasks/airline/)")
    _need(isinstance(scenario.get("id"), str) and scenario["id"] != "", "scenario.id", "a non-empty string")
    _need(isinstance(scenario.get("now"), str), "scenario.now", "a timestamp string (the episode's clock)")
    initial = scenario.get("initial_state")
    _need(isinstance(initial, dict), "scenario.initial_state", 'an object: {"statements": [...]}')
    statements = initial.get("statements")
    _need(isinstance(statements, list), "scenario.initial_state.statements", "a list")
    _need(
        len(statements) <= MAX_STATEMENTS,
        "scenario.initial_state.statements",
        f"at most {MAX_STATEMENTS} long",
    )
    for number, statement in enumerate(statements):
        where = f"scenario.initial_state.statements[{number}]"
        _need(isinstance(statement, dict), where, 'an object: {"sql": "...", "params": [...]}')
        _need(isinstance(statement.get("sql"), str), f"{where}.sql", "a string")
        _need(isinstance(statement.get("params", []), list | dict), f"{where}.params", "a list or an object")
    checks = scenario.get("checks")
    _need(isinstance(checks, list), "scenario.checks", "a list")
    _need(len(checks) <= MAX_CHECKS, "scenario.checks", f"at most {MAX_CHECKS} long")
    for number, check in enumerate(checks):
        where = f"scenario.checks[{number}]"
        _need(isinstance(check, dict), where, "an object")
        _need(isinstance(check.get("id"), str), f"{where}.id", "a string")
        kind = check.get("kind", "sql")
        _need(kind in ("sql", "answer", "text"), f"{where}.kind", '"sql", "answer" or "text"')
        if kind in ("sql", "text"):
            _need(isinstance(check.get("sql"), str), f"{where}.sql", "a string")
            _need(isinstance(check.get("params", {}), list | dict), f"{where}.params", "a list or an object")
            _need(isinstance(check.get("expect"), list), f"{where}.expect", "a list of rows")
            _need(isinstance(check.get("table"), str | None), f"{where}.table", "a string or null")
        if kind in ("answer", "text"):
            accept = check.get("accept", [])
            _need(
                isinstance(accept, list)
                and all(isinstance(g, list) and all(isinstance(p, str) for p in g) for g in accept),
                f"{where}.accept",
                "a list of lists of phrases",
            )
            reject = check.get("reject", [])
            _need(
                isinstance(reject, list) and all(isinstance(p, str) for p in reject),
                f"{where}.reject",
                "a list of phrases",
            )
    return scenario


def image_key(scenario: dict[str, Any]) -> str:
    """A content hash of what a scenario's prepared image is made from: its initial state and clock."""
    state = [
        scenario["now"],
        [[s["sql"], s.get("params", [])] for s in scenario["initial_state"]["statements"]],
    ]
    return hashlib.sha256(
        json.dumps(state, sort_keys=True, separators=(",", ":"), default=repr).encode()
    ).hexdigest()


def run_checks(
    conn: sqlite3.Connection, initial: bytes, checks: list[dict[str, Any]], said: str | None
) -> list[dict[str, Any]]:
    """Evaluate a scenario's checks: SQL checks on the end state `conn` with the initial state
    attached as schema `initial`, read only and guarded (see runtime.guarded), answer checks on
    what the agent said, text checks on the facts a composed text carries. A check the guard
    refuses raises SqlRefused naming it."""
    conn.execute("ATTACH DATABASE ':memory:' AS initial")
    conn.deserialize(initial, name="initial")
    conn.execute("PRAGMA query_only = ON")
    results = []
    with guarded(conn, writes=False) as run:
        for check in checks:
            kind = check.get("kind", "sql")
            if kind in ("sql", "text"):
                try:
                    rows = [list(row) for row in run(check["sql"], check.get("params", {}))]
                except SqlRefused as exc:
                    raise SqlRefused(f"check {check['id']}: {exc}") from None
                except sqlite3.Error as exc:
                    results.append({"id": check["id"], "passed": False, "error": str(exc)})
                    continue
                if kind == "text":
                    verdicts = [
                        carries("" if row[0] is None else str(row[0]), check.get("accept", []))
                        for row in rows
                        if row
                    ] or [(False, "no text written")]
                    passed = any(ok for ok, _ in verdicts)
                    results.append(
                        {
                            "id": check["id"],
                            "passed": passed,
                            "got": rows,
                            "expect": check["expect"],
                            "reason": "ok" if passed else verdicts[0][1],
                        }
                    )
                    continue
                result = {
                    "id": check["id"],
                    "passed": rows == check["expect"],
                    "got": rows,
                    "expect": check["expect"],
                }
                if check.get("table") and rows != check["expect"]:
                    result["table"] = check["table"]
                    result["unexpected"] = [row for row in rows if row not in check["expect"]]
                    result["missing"] = [row for row in check["expect"] if row not in rows]
                results.append(result)
            else:
                passed, reason = judge(said or "", check.get("accept", []), check.get("reject", []))
                results.append({"id": check["id"], "passed": passed, "reason": reason})
    return results


class Episodes:
    """The episodes of one process, with limits on count and bytes, idle reaping, and closed episodes'
    databases kept (up to `spare_bytes`) for new ones: a recycled database has its schema parsed and
    the statements its earlier episodes ran prepared, which a new connection would redo."""

    def __init__(
        self,
        max_episodes: int = 4096,
        max_bytes: int = 4 << 30,
        idle_seconds: float = 1800.0,
        spare_bytes: int = 512 << 20,
    ):
        self.max_episodes = max_episodes
        self.max_bytes = max_bytes
        self.idle_seconds = idle_seconds
        self.episodes: OrderedDict[str, Episode] = OrderedDict()  # least recently used first
        self.used = 0  # bytes of the episodes' initial images
        self.images: OrderedDict[str, bytes] = OrderedDict()  # prepared initial states, by image_key
        self.image_bytes = 0
        # Closed episodes' databases, rolled back to the seed, for new episodes of any scenario: a recycled
        # database has its schema parsed and its statements prepared.
        self.spare_bytes = spare_bytes  # at most this many bytes of seed databases kept spare
        self.spares: deque[Store] = deque()  # most recently closed last

    async def image(self, scenario: dict[str, Any] | None) -> bytes:
        """The prepared initial state of `scenario`, cached by content (never by the id a client sends)."""
        if scenario is None:
            return seed_image()
        key = image_key(scenario)
        if key not in self.images:
            try:
                image = await asyncio.to_thread(scenario_image, scenario)
            except (SqlRefused, sqlite3.Error) as exc:
                raise EpisodeError(f"cannot start scenario {scenario['id'][:80]!r}: {exc}") from None
            self.images[key] = image
            self.image_bytes += len(image)
            while len(self.images) > MAX_IMAGES or self.image_bytes > MAX_IMAGE_BYTES:
                self.image_bytes -= len(self.images.popitem(last=False)[1])
            return image
        self.images.move_to_end(key)
        return self.images[key]

    async def create(self, scenario: dict[str, Any] | None = None) -> Episode:
        """A new episode on the scenario's initial state (or the seed), with the scenario's clock."""
        await self.reap()
        if len(self.episodes) >= self.max_episodes:
            raise EpisodeError(
                f"episode limit reached ({self.max_episodes}); delete finished episodes first", 429
            )
        if scenario is not None:
            check_scenario(scenario)
        image = await self.image(scenario)  # checks the scenario's SQL, once per initial state
        if self.used + len(image) > self.max_bytes:
            raise EpisodeError(
                f"episode memory limit reached ({self.used} of {self.max_bytes} bytes); delete episodes", 429
            )
        store, recycle = await self.seed_store(), True
        if scenario is not None:
            try:
                await store.setup(scenario["initial_state"]["statements"], scenario["now"])
            except sqlite3.IntegrityError:  # a state the foreign keys refuse (images are made without them)
                await self.keep_spare(store)  # rolled back to the seed
                store, recycle = await Store.open(image=image), False  # a database of its own, on the image
            except (SqlRefused, sqlite3.Error) as exc:
                await self.keep_spare(store)
                raise EpisodeError(f"cannot start scenario {scenario['id'][:80]!r}: {exc}") from None
        episode = Episode(new_episode_id(), store, scenario, image, len(image), recycle)
        self.episodes[episode.id] = episode
        self.used += episode.size
        return episode

    @property
    def spare_used(self) -> int:
        """Bytes of seed images the spare databases hold."""
        return len(self.spares) * len(seed_image())

    async def seed_store(self) -> Store:
        """A database on the seed: the most recently closed spare, else a new one."""
        if self.spares:
            return self.spares.pop()
        return await Store.open(image=seed_image())

    async def keep_spare(self, store: Store) -> None:
        """Keep a closed episode's database, rolled back to the seed, for a next episode, within
        `spare_bytes`, dropping the oldest spares first (with `spare_bytes=0`, this one)."""
        spare = await store.release()
        if spare is None:
            return
        self.spares.append(spare)
        while self.spare_used > self.spare_bytes:
            await self.spares.popleft().close()

    def get(self, episode_id: str) -> Episode:
        episode = self.episodes.get(episode_id)
        if episode is None:
            raise EpisodeError(f"no episode {str(episode_id)[:80]!r}: create one with POST /episodes", 404)
        episode.last_used = time.monotonic()
        self.episodes.move_to_end(episode_id)
        return episode

    def intact(self, episode_id: str) -> Episode:
        """The episode, if its database still holds what its calls wrote (see Store.lost)."""
        episode = self.get(episode_id)
        if episode.store.lost:
            raise EpisodeError(
                f"episode {episode_id} lost its changes: a write statement was stopped after too much work;"
                " start a new episode",
                410,
            )
        return episode

    async def verify(self, episode_id: str, said: str | None = None) -> dict[str, Any]:
        """Reward 1.0 when every check passes, else 0.0, with the result of each check."""
        episode = self.intact(episode_id)
        if episode.scenario is None:
            raise EpisodeError(f"episode {episode_id} was not made from a scenario: nothing to verify")
        if said is not None and not isinstance(said, str):
            raise EpisodeError(
                f"the transcript must be text (what the agent told the user), not {type(said).__name__}"
            )
        if said is not None and len(said) > MAX_TRANSCRIPT:
            raise EpisodeError(
                f"the transcript has {len(said)} characters; send at most {MAX_TRANSCRIPT}", 413
            )
        conn = await episode.store.snapshot()
        try:
            checks = await asyncio.to_thread(
                run_checks, conn, episode.initial, episode.scenario["checks"], said
            )
        except SqlRefused as exc:
            raise EpisodeError(f"cannot verify episode {episode_id}: {exc}") from None
        finally:
            conn.close()
        passed = all(c["passed"] for c in checks)
        return {"episode_id": episode_id, "reward": 1.0 if passed else 0.0, "checks": checks}

    async def state(self, episode_id: str) -> bytes:
        conn = await self.intact(episode_id).store.snapshot()
        try:
            return conn.serialize()
        finally:
            conn.close()

    async def close(self, episode_id: str) -> None:
        episode = self.get(episode_id)
        del self.episodes[episode_id]
        self.used -= episode.size
        if episode.recycle:
            await self.keep_spare(episode.store)
        else:
            await episode.store.close()

    async def close_all(self) -> None:
        """Close every episode and drop every spare database."""
        for episode_id in list(self.episodes):
            await self.close(episode_id)
        while self.spares:
            await self.spares.pop().close()

    async def reap(self) -> int:
        """Close episodes idle for longer than `idle_seconds`; returns how many."""
        cutoff = time.monotonic() - self.idle_seconds
        idle = []
        for episode in self.episodes.values():  # least recently used first: stop at the first one in use
            if episode.last_used >= cutoff:
                break
            idle.append(episode.id)
        for episode_id in idle:
            await self.close(episode_id)
        return len(idle)


class ControlToken:
    """ASGI middleware: every HTTP request, to /mcp and the episode API alike, needs `Authorization: Bearer TOKEN`."""

    def __init__(self, app: ASGIApp, token: str):
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            given = next((value for name, value in scope["headers"] if name == b"authorization"), b"")
            if not hmac.compare_digest(given, self.expected):
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                    return
                message = "this server needs its control token: send the header `Authorization: Bearer TOKEN`"
                response = JSONResponse(
                    {"error": message}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class EpisodeServer(MCPServer):
    """An MCPServer whose HTTP apps put every route, /mcp included, behind `control_token` when it is set."""

    control_token: str | None = None

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        """Every tool call, on every transport: arguments no tool can take get a ToolError saying why."""
        try:
            meta = request_of(context).meta or {}
        except (AttributeError, ValueError):  # called in process, outside a request
            meta = {}
        problem = meta.get(INVALID_ARGUMENTS) or argument_problem(arguments)
        if problem is not None:
            raise ToolError(f"Error executing tool {name}: {problem}")
        return await super().call_tool(name, arguments, context)

    async def run_stdio_async(self) -> None:
        """Serve stdio, reading stdin as transport.wire_lines does (repaired lines, no thread)."""
        async with stdio_server(stdin=wire_lines()) as (read_stream, write_stream):
            options = self._lowlevel_server.create_initialization_options()
            await self._lowlevel_server.run(read_stream, write_stream, options)

    def streamable_http_app(self, **kwargs: Any) -> Starlette:
        settings = kwargs.get("transport_security") or loopback_security(kwargs.get("host", "127.0.0.1"))
        app = super().streamable_http_app(**kwargs | {"transport_security": settings})
        app.add_middleware(RequestGuard, settings=settings)
        return self._guard(app)

    def sse_app(self, **kwargs: Any) -> Starlette:
        return self._guard(super().sse_app(**kwargs))

    def _guard(self, app: Starlette) -> Starlette:
        if self.control_token:
            app.add_middleware(ControlToken, token=self.control_token)
        return app


async def read_json(request: Request, example: str) -> dict[str, Any]:
    """The request body as a JSON object (an empty body is {}); 413 past MAX_BODY bytes, 400 unless an object."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise EpisodeError(f"the request body has {declared} bytes; send at most {MAX_BODY}", 413)
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY:
            raise EpisodeError(f"the request body is over {MAX_BODY} bytes; send at most {MAX_BODY}", 413)
    if not data.strip():
        return {}
    try:
        body = json.loads(data)
    except (ValueError, RecursionError) as exc:  # bad JSON, bad UTF-8, nesting too deep
        raise EpisodeError(
            f"the request body is not JSON ({str(exc)[:200]}); send a JSON object, e.g. {example}"
        ) from None
    if not isinstance(body, dict):
        raise EpisodeError(f"send a JSON object, e.g. {example}, not {type(body).__name__}")
    return body


async def requested_scenario(body: dict[str, Any]) -> dict[str, Any] | None:
    """The scenario a request body names: `scenario` (checked for shape), `scenario_id` (a committed one), or neither."""
    if "scenario" in body and "scenario_id" in body:
        raise EpisodeError("send either scenario or scenario_id, not both")
    if "scenario" in body:
        return check_scenario(body["scenario"])
    if "scenario_id" in body:
        try:
            return await asyncio.to_thread(committed_scenario, body["scenario_id"])
        except FileNotFoundError as exc:
            raise EpisodeError(str(exc), 404) from None
    return None


def add_routes(server: EpisodeServer, episodes: Episodes, token: str | None = None) -> None:
    """The HTTP episode API beside /mcp; with `token`, every HTTP route needs `Authorization: Bearer TOKEN`."""
    server.control_token = token

    def error(exc: EpisodeError) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=exc.status)

    @server.custom_route("/episodes", methods=["POST"], include_in_schema=False)
    async def create_episode(request: Request) -> Response:
        try:
            body = await read_json(request, CREATE_EXAMPLE)
            if unknown := sorted(set(body) - {"scenario", "scenario_id"}):
                raise EpisodeError(f"unknown field(s) {unknown}: send {CREATE_EXAMPLE}")
            episode = await episodes.create(await requested_scenario(body))
        except EpisodeError as exc:
            return error(exc)
        except (KeyError, TypeError, ValueError, sqlite3.Error) as exc:
            return JSONResponse({"error": f"cannot start that scenario: {exc}"}, status_code=400)
        return JSONResponse({"episode_id": episode.id}, status_code=201)

    @server.custom_route("/episodes/{episode_id}/verify", methods=["POST"], include_in_schema=False)
    async def verify_episode(request: Request) -> Response:
        try:
            body = await read_json(request, VERIFY_EXAMPLE)
            if unknown := sorted(set(body) - {"transcript"}):
                raise EpisodeError(f"unknown field(s) {unknown}: send {VERIFY_EXAMPLE}")
            return JSONResponse(
                await episodes.verify(request.path_params["episode_id"], body.get("transcript"))
            )
        except EpisodeError as exc:
            return error(exc)

    @server.custom_route("/episodes/{episode_id}/state", methods=["GET"], include_in_schema=False)
    async def episode_state(request: Request) -> Response:
        try:
            data = await episodes.state(request.path_params["episode_id"])
        except EpisodeError as exc:
            return error(exc)
        return Response(data, media_type="application/vnd.sqlite3")

    @server.custom_route("/episodes/{episode_id}", methods=["DELETE"], include_in_schema=False)
    async def delete_episode(request: Request) -> Response:
        try:
            await episodes.close(request.path_params["episode_id"])
        except EpisodeError as exc:
            return error(exc)
        return Response(status_code=204)

"""Episodes of the CareBridge telemedicine server: many isolated databases in one process.

An episode is a private in-memory database made from a scenario (its initial state is
prepared once per scenario and copied, never re-seeded), with its own clock and id
sequence. Tool calls reach an episode through the `X-Episode-Id` header (HTTP) or the
`episode_id` request meta (in process); without either they use the session's default
database. Episode control and verification live outside the MCP tool list, so an agent
can never see the checks or call the verifier:

    POST   /episodes                 {"scenario": {...}} or {"scenario_id": "..."} -> {"episode_id"}
    POST   /episodes/{id}/verify     {"transcript": "..."}? -> {"reward", "checks": [...]}
    GET    /episodes/{id}/state      the database file, for offline inspection
    DELETE /episodes/{id}
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from mcp.server import MCPServer
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .judge import judge
from .runtime import Store, find_scenario, scenario_image, seed_image

MAX_TRANSCRIPT = 1 << 20  # characters of agent text an answer check reads


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
    last_used: float = field(default_factory=time.monotonic)


def run_checks(
    conn: sqlite3.Connection, initial: bytes, checks: list[dict[str, Any]], said: str | None
) -> list[dict[str, Any]]:
    """Evaluate a scenario's checks: SQL checks on the end state `conn` with the initial state
    attached as schema `initial`, answer checks on what the agent said."""
    conn.execute("ATTACH DATABASE ':memory:' AS initial")
    conn.deserialize(initial, name="initial")
    conn.execute("PRAGMA query_only = ON")
    results = []
    for check in checks:
        if check.get("kind", "sql") == "sql":
            try:
                rows = [list(row) for row in conn.execute(check["sql"], check.get("params", {}))]
            except sqlite3.Error as exc:
                results.append({"id": check["id"], "passed": False, "error": str(exc)})
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
    """The episodes of one process, with limits on count and bytes and idle reaping."""

    def __init__(self, max_episodes: int = 4096, max_bytes: int = 4 << 30, idle_seconds: float = 1800.0):
        self.max_episodes = max_episodes
        self.max_bytes = max_bytes
        self.idle_seconds = idle_seconds
        self.episodes: dict[str, Episode] = {}
        self.images: OrderedDict[str, bytes] = OrderedDict()  # prepared initial states, by scenario id
        self.counter = itertools.count(1)

    def image(self, scenario: dict[str, Any] | None) -> bytes:
        if scenario is None:
            return seed_image()
        key = scenario["id"]
        if key not in self.images:
            self.images[key] = scenario_image(scenario)
            if len(self.images) > 256:
                self.images.popitem(last=False)
        self.images.move_to_end(key)
        return self.images[key]

    async def create(self, scenario: dict[str, Any] | None = None) -> Episode:
        """A new episode on the scenario's initial state (or the seed), with the scenario's clock."""
        await self.reap()
        if len(self.episodes) >= self.max_episodes:
            raise EpisodeError(
                f"episode limit reached ({self.max_episodes}); delete finished episodes first", 429
            )
        image = self.image(scenario)
        used = sum(e.size for e in self.episodes.values())
        if used + len(image) > self.max_bytes:
            raise EpisodeError(
                f"episode memory limit reached ({used} of {self.max_bytes} bytes); delete episodes", 429
            )
        episode = Episode(
            f"ep-{next(self.counter):06d}", await Store.open(image=image), scenario, image, len(image)
        )
        self.episodes[episode.id] = episode
        return episode

    def get(self, episode_id: str) -> Episode:
        episode = self.episodes.get(episode_id)
        if episode is None:
            raise EpisodeError(f"no episode {episode_id!r}: create one with POST /episodes", 404)
        episode.last_used = time.monotonic()
        return episode

    async def verify(self, episode_id: str, said: str | None = None) -> dict[str, Any]:
        """Reward 1.0 when every check passes, else 0.0, with the result of each check."""
        episode = self.get(episode_id)
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
            checks = run_checks(conn, episode.initial, episode.scenario["checks"], said)
        finally:
            conn.close()
        passed = all(c["passed"] for c in checks)
        return {"episode_id": episode_id, "reward": 1.0 if passed else 0.0, "checks": checks}

    async def state(self, episode_id: str) -> bytes:
        conn = await self.get(episode_id).store.snapshot()
        try:
            return conn.serialize()
        finally:
            conn.close()

    async def close(self, episode_id: str) -> None:
        episode = self.get(episode_id)
        del self.episodes[episode_id]
        await episode.store.close()

    async def close_all(self) -> None:
        for episode_id in list(self.episodes):
            await self.close(episode_id)

    async def reap(self) -> int:
        """Close episodes idle for longer than `idle_seconds`; returns how many."""
        cutoff = time.monotonic() - self.idle_seconds
        idle = [e.id for e in self.episodes.values() if e.last_used < cutoff]
        for episode_id in idle:
            await self.close(episode_id)
        return len(idle)


def add_routes(server: MCPServer, episodes: Episodes, token: str | None = None) -> None:
    """The HTTP episode API beside /mcp; with `token`, every call needs `Authorization: Bearer TOKEN`."""

    def refused(request: Request) -> Response | None:
        if token and request.headers.get("authorization") != f"Bearer {token}":
            return JSONResponse({"error": "episode control needs the control token"}, status_code=401)
        return None

    def error(exc: EpisodeError) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=exc.status)

    @server.custom_route("/episodes", methods=["POST"], include_in_schema=False)
    async def create_episode(request: Request) -> Response:
        if (denied := refused(request)) is not None:
            return denied
        try:
            body = json.loads(await request.body() or b"{}")
        except json.JSONDecodeError:
            return JSONResponse(
                {"error": "send a JSON object: {'scenario': {...}} or {'scenario_id': '...'}"}, 400
            )
        try:
            if "scenario" in body:
                scenario = body["scenario"]
            elif "scenario_id" in body:
                scenario = find_scenario(str(body["scenario_id"]))
            else:
                scenario = None
            episode = await episodes.create(scenario)
        except EpisodeError as exc:
            return error(exc)
        except (FileNotFoundError, KeyError, TypeError, sqlite3.Error) as exc:
            return JSONResponse({"error": f"cannot start that scenario: {exc}"}, status_code=400)
        return JSONResponse({"episode_id": episode.id}, status_code=201)

    @server.custom_route("/episodes/{episode_id}/verify", methods=["POST"], include_in_schema=False)
    async def verify_episode(request: Request) -> Response:
        if (denied := refused(request)) is not None:
            return denied
        try:
            body = json.loads(await request.body() or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            return JSONResponse(
                {"error": 'send a JSON object, e.g. {"transcript": "what the agent said"}'}, 400
            )
        try:
            return JSONResponse(
                await episodes.verify(request.path_params["episode_id"], body.get("transcript"))
            )
        except EpisodeError as exc:
            return error(exc)

    @server.custom_route("/episodes/{episode_id}/state", methods=["GET"], include_in_schema=False)
    async def episode_state(request: Request) -> Response:
        if (denied := refused(request)) is not None:
            return denied
        try:
            data = await episodes.state(request.path_params["episode_id"])
        except EpisodeError as exc:
            return error(exc)
        return Response(data, media_type="application/vnd.sqlite3")

    @server.custom_route("/episodes/{episode_id}", methods=["DELETE"], include_in_schema=False)
    async def delete_episode(request: Request) -> Response:
        if (denied := refused(request)) is not None:
            return denied
        try:
            await episodes.close(request.path_params["episode_id"])
        except EpisodeError as exc:
            return error(exc)
        return Response(status_code=204)

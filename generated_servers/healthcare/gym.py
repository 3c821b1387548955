"""NeMo Gym's resource-server contract on the CareBridge telemedicine server's episode API.

NeMo Gym (and verifiers' NeMo Gym taskset) seed a session per rollout, call its tools (NeMo Gym's
agents POST each call to /<tool name> with the session cookie; MCP clients use /mcp with the headers
the seeding returns), and post the finished response to /verify:

    POST /seed_session  a row: `scenario_id` (a committed scenario) or `scenario`, plus anything else
                        (`responses_create_params`, ...) -> {"episode_id", "mcp": {"url_path", "headers"}},
                        and a session cookie naming the episode
    POST /<tool name>   the call's arguments (a JSON object) -> the tool's result as JSON (400 with the
                        message when the tool refuses the call), on the session's episode
    POST /verify        the row plus `response` (a Responses API object; its assistant messages are
                        what the agent told the user) -> the row, `reward` and `checks`; the episode ends
"""

from __future__ import annotations

import asyncio
from typing import Any

from mcp import Client
from mcp.server import MCPServer
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from .episodes import EpisodeError, Episodes, EpisodeServer, read_json, requested_scenario

COOKIE = "episode_id"
SEED_EXAMPLE = '{"scenario_id": "...", "responses_create_params": {...}}'
CALL_EXAMPLE = '{"argument": "value", ...}'
VERIFY_EXAMPLE = '{"response": {"output": [...]}, ...the seeded row}'


def said(response: Any) -> str:
    """The text of a Responses API object's assistant messages, in order."""
    output = response.get("output") if isinstance(response, dict) else None
    if not isinstance(output, list):
        raise EpisodeError(
            f"`response` must be a Responses API object with an `output` list: send {VERIFY_EXAMPLE}"
        )
    texts = []
    for item in output:
        if (
            isinstance(item, dict)
            and item.get("type") == "message"
            and item.get("role", "assistant") == "assistant"
        ):
            for part in item.get("content") or []:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    texts.append(part["text"])
    return "\n".join(texts)


def session_of(request: Request, body: dict[str, Any] | None = None) -> str:
    """The episode a NeMo Gym request is about: its session cookie, else an `X-Episode-Id` header or `episode_id`."""
    episode_id = (
        request.cookies.get(COOKIE) or request.headers.get("x-episode-id") or (body or {}).get("episode_id")
    )
    if not isinstance(episode_id, str):
        raise EpisodeError("no session: seed one with POST /seed_session and send its cookie (or episode_id)")
    return episode_id


def add_gym_routes(server: EpisodeServer, episodes: Episodes) -> None:
    """/seed_session, /verify and a route per tool beside the episode API (the same control token covers them)."""

    @server.custom_route("/seed_session", methods=["POST"], include_in_schema=False)
    async def seed_session(request: Request) -> Response:
        try:
            scenario = await requested_scenario(await read_json(request, SEED_EXAMPLE))
            if scenario is None:
                raise EpisodeError(f"name the task: send {SEED_EXAMPLE}")
            episode = await episodes.create(scenario)
        except EpisodeError as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        mcp = {"url_path": "/mcp", "headers": {"X-Episode-Id": episode.id}}
        response = JSONResponse({"episode_id": episode.id, "mcp": mcp})
        response.set_cookie(COOKIE, episode.id, httponly=True, samesite="strict")
        return response

    @server.custom_route("/verify", methods=["POST"], include_in_schema=False)
    async def verify(request: Request) -> Response:
        try:
            body = await read_json(request, VERIFY_EXAMPLE)
            episode_id = session_of(request, body)
            result = await episodes.verify(episode_id, said(body.get("response")))
            await episodes.close(episode_id)
        except EpisodeError as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        return JSONResponse({**body, "reward": result["reward"], "checks": result["checks"]})

    session = HeldSession(server)

    # Registered last: custom routes match after /mcp and the routes above.
    @server.custom_route("/{tool_name}", methods=["POST"], include_in_schema=False)
    async def call_tool(request: Request) -> Response:
        try:
            episode_id = session_of(request)
            episodes.get(episode_id)
            arguments = await read_json(request, CALL_EXAMPLE)
        except EpisodeError as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        client = await session.client()
        result = await client.call_tool(
            request.path_params["tool_name"], arguments, meta={"episode_id": episode_id}
        )
        if result.is_error:
            return PlainTextResponse(
                "\n".join(getattr(c, "text", "") for c in result.content), status_code=400
            )
        if result.structured_content is not None:
            return JSONResponse(result.structured_content)
        return PlainTextResponse("\n".join(getattr(c, "text", "") for c in result.content))


class HeldSession:
    """One in-memory MCP session to the server, opened on first use and held by a task of its own
    (a session per call costs about seven times the call); each call names its episode in the meta."""

    def __init__(self, server: MCPServer):
        self.server = server
        self.held: Client | None = None
        self.lock = asyncio.Lock()
        self.task: asyncio.Task[None] | None = None

    async def client(self) -> Client:
        async with self.lock:
            if self.held is None:
                ready = asyncio.Event()
                self.task = asyncio.create_task(self.hold(ready))
                waiting = asyncio.create_task(ready.wait())
                await asyncio.wait({self.task, waiting}, return_when=asyncio.FIRST_COMPLETED)
                if self.held is None:
                    waiting.cancel()
                    self.task.result()  # the session could not open: raise why
                    raise RuntimeError("the in-memory MCP session closed before it opened")
            return self.held

    async def hold(self, ready: asyncio.Event) -> None:
        async with Client(self.server) as client:
            self.held = client
            ready.set()
            await asyncio.Event().wait()  # open for the life of the server

"""In-process use of the Tiny shop server for harnesses and trainers.

One MCP session (in-memory transport) serves every episode; each call carries its
episode in the request meta, so episodes stay isolated without a process or a server each.

    import asyncio, json
    from generated_servers.tiny import LocalEnvironment

    async def main():
        scenario = json.loads(open("tasks/tiny/scenarios.jsonl").readline())
        async with LocalEnvironment() as env:
            episode = await env.create(scenario)
            client = env.client(episode)
            tools = await client.list_tools()
            for action in scenario["gold_actions"]:
                await client.call_tool(action["tool"], action["arguments"])
            print(await env.verify(episode))  # {"reward": 1.0, "checks": [...]}
            await env.close(episode)

    asyncio.run(main())

Trainers that own the loop can skip the JSON-RPC round trip: `env.direct(episode)` has the
same `call_tool` and returns the same result an MCP client receives (text and structured
content, tool errors as `is_error` results), about ten times faster.
"""

from __future__ import annotations

from typing import Any, Self

from mcp import Client
from mcp.server import MCPServer
from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolRequest, CallToolRequestParams, CallToolResult, ListToolsResult, TextContent

from .episodes import Episodes
from .runtime import Session
from .server import build_server


class EpisodeClient:
    """An MCP client session bound to one episode: every call acts on that episode's database.

    With `validate=False` results skip the client's JSON Schema check of structured output
    (about half the cost of a call); the server already builds them from validated models.
    """

    def __init__(self, client: Client, episode_id: str, validate: bool = True):
        self.client = client
        self.episode_id = episode_id
        self.validate = validate

    async def list_tools(self) -> ListToolsResult:
        return await self.client.list_tools()

    async def call_tool(self, name: str, arguments: dict[str, Any] | None = None) -> CallToolResult:
        meta = {"episode_id": self.episode_id}
        if self.validate:
            return await self.client.call_tool(name, arguments or {}, meta=meta)
        request = CallToolRequest(
            params=CallToolRequestParams(name=name, arguments=arguments or {}, _meta=meta)
        )
        return await self.client.session.send_request(request, CallToolResult)


class DirectClient:
    """One episode's tools called in this process without the MCP protocol: the same tool
    functions, argument validation and result conversion as the server's `tools/call`
    handler, so each result equals what an MCP client receives."""

    def __init__(self, server: MCPServer, session: Session, episode_id: str):
        self.server = server
        self.session = session
        self.episode_id = episode_id
        request = ServerRequestContext(
            session=None,  # type: ignore[arg-type]  # no peer: the tools never talk back to a client
            lifespan_context=session,
            protocol_version="direct",
            method="tools/call",
            meta={"episode_id": episode_id},
        )
        # One context serves every call: it names the episode and nothing a call changes.
        self.context = Context(request_context=request, mcp_server=server)

    async def list_tools(self) -> ListToolsResult:
        return ListToolsResult(tools=await self.server.list_tools())

    async def call_tool(self, name: str, arguments: dict[str, Any] | None = None) -> CallToolResult:
        try:
            result = await self.server.call_tool(name, arguments or {}, self.context)
        except ToolError as exc:  # every failure but MCPError arrives as one; the handler sends its text
            return CallToolResult(content=[TextContent(type="text", text=str(exc))], is_error=True)
        assert isinstance(result, CallToolResult)  # these tools never ask the client for input
        return result


class LocalEnvironment:
    """Create, drive, verify and close episodes in this process."""

    def __init__(self, episodes: Episodes | None = None, validate: bool = True):
        self.episodes = episodes if episodes is not None else Episodes()
        self.validate = validate
        self.server = build_server(episodes=self.episodes)
        self._client = Client(self.server)
        self._session = Session(None, self.episodes)  # type: ignore[arg-type]  # direct calls name their episode
        self._direct: dict[str, DirectClient] = {}

    async def __aenter__(self) -> Self:
        await self._client.__aenter__()
        # The client checks structured output against each tool's output schema, which it learns
        # from tools/list: list once here, or every call made before a first list returns (a thousand
        # episodes starting at once) sends its own tools/list.
        await self._client.list_tools()
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self._client.__aexit__(*exc)
        finally:
            await self.episodes.close_all()

    async def create(self, scenario: dict[str, Any] | None = None) -> str:
        """A new episode from a scenario (a dict as stored in tasks/); returns its id."""
        return (await self.episodes.create(scenario)).id

    def client(self, episode_id: str) -> EpisodeClient:
        self.episodes.get(episode_id)
        return EpisodeClient(self._client, episode_id, self.validate)

    def direct(self, episode_id: str) -> DirectClient:
        """The episode's tools without the JSON-RPC round trip (see DirectClient)."""
        self.episodes.get(episode_id)
        if episode_id not in self._direct:
            self._direct[episode_id] = DirectClient(self.server, self._session, episode_id)
        return self._direct[episode_id]

    async def verify(self, episode_id: str, transcript: str | None = None) -> dict[str, Any]:
        return await self.episodes.verify(episode_id, transcript)

    async def state(self, episode_id: str) -> bytes:
        return await self.episodes.state(episode_id)

    async def close(self, episode_id: str) -> None:
        self._direct.pop(episode_id, None)
        await self.episodes.close(episode_id)

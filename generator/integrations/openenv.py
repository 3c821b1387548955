"""An OpenEnv (`openenv-core`) MCP environment over a domain's scenarios, served the OpenEnv way.

    python -m generator.integrations.openenv airline --port 8000     # create_app + uvicorn
    async with ScenarioEnvClient(base_url="http://127.0.0.1:8000") as env:  # OpenEnv's MCPToolClient
        await env.reset(scenario_id="airline-0-0002")   # or seed=N: the N-th scenario (mod count)
        await env.call_tool("get_user", user_id="U00022")
        done = await env.step(Action(metadata={"message": "what the agent told the user"}))
        done.reward, done.observation.checks

Each WebSocket session gets its own environment; reset starts an episode (a private database
made from the scenario), list/call tool actions reach that episode's tools through an MCP client
of the domain's server, and any other action ends the episode: its `metadata["message"]` is what
the agent told the user, and the observation carries the verifier's reward and per-check results.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any

from fastmcp import Client
from openenv.core.client_types import StepResult
from openenv.core.env_server.http_server import create_app
from openenv.core.env_server.mcp_environment import MCPEnvironment
from openenv.core.env_server.mcp_types import CallToolAction, ListToolsAction
from openenv.core.env_server.types import Action, Observation, State
from openenv.core.mcp_client import MCPToolClient
from openenv.core.utils import run_async_safely

from generator.harness.agents import system_prompt
from generator.harness.evaluate import scenarios_of


class ScenarioObservation(Observation):
    """What reset and the finishing step return: the episode's opening prompt, or the verifier's checks."""

    scenario_id: str | None = None
    prompt: list[dict[str, str]] = []
    checks: list[dict[str, Any]] = []


class ScenarioEnvClient(MCPToolClient):
    """OpenEnv's MCP tool client, reading this environment's observations (OpenEnv drops unknown fields)."""

    def _parse_result(self, payload: dict[str, Any]) -> StepResult[Observation]:
        data = payload.get("observation", {})
        if not {"scenario_id", "prompt", "checks"} & set(data):
            return super()._parse_result(payload)
        observation = ScenarioObservation(**data, done=payload.get("done", False), reward=payload.get("reward"))
        return StepResult(observation=observation, reward=observation.reward, done=observation.done)


class ScenarioEnvironment(MCPEnvironment):
    """One session's episodes of a domain: reset = a new episode, step = a tool call, finish = the reward."""

    SUPPORTS_CONCURRENT_SESSIONS = True  # every session owns its episode databases

    def __init__(self, domain: str, scenarios: list[dict[str, Any]]):
        self.package = importlib.import_module(f"generated_servers.{domain}")
        self.scenarios = {s["id"]: s for s in scenarios}
        self.episodes = self.package.Episodes()
        self.episode: Any = None
        self._state = State(step_count=0)
        super().__init__(self.package.build_server(episodes=self.episodes))

    async def reset_async(self, seed: int | None = None, episode_id: str | None = None,
                          scenario_id: str | None = None, **kwargs: Any) -> Observation:
        if scenario_id is not None and scenario_id not in self.scenarios:
            raise ValueError(f"no scenario {scenario_id!r} in this environment")
        ids = sorted(self.scenarios)
        scenario = self.scenarios[scenario_id or ids[(seed or 0) % len(ids)]]
        await self.finish_episode()
        self.episode = await self.episodes.create(scenario)
        self.mcp_server = self.package.build_server(store=self.episode.store)
        self.mcp_client = Client(self.mcp_server)
        self._state = State(episode_id=episode_id or self.episode.id, step_count=0, scenario_id=scenario["id"])
        prompt = [{"role": "system", "content": system_prompt(self.package.server.INSTRUCTIONS)},
                  {"role": "user", "content": scenario["user"]["instruction"]}]
        return ScenarioObservation(done=False, reward=None, scenario_id=scenario["id"], prompt=prompt)

    def reset(self, seed: int | None = None, episode_id: str | None = None, **kwargs: Any) -> Observation:
        return run_async_safely(self.reset_async(seed, episode_id, **kwargs))

    async def step_async(self, action: Action, timeout_s: float | None = None, **kwargs: Any) -> Observation:
        if isinstance(action, ListToolsAction):  # the tools are the same with or without an episode
            return await self._async_handle_list_tools()
        if self.episode is None:
            raise RuntimeError("call reset first: there is no episode")
        self._state.step_count += 1
        if isinstance(action, CallToolAction):
            return await self._async_handle_call_tool(action, timeout_s=timeout_s)
        said = action.metadata.get("message", "")
        result = await self.episodes.verify(self.episode.id, said if isinstance(said, str) else str(said))
        await self.finish_episode()
        return ScenarioObservation(done=True, reward=result["reward"], checks=result["checks"])

    def _step_impl(self, action: Action, timeout_s: float | None = None, **kwargs: Any) -> Observation:
        return run_async_safely(self.step_async(action, timeout_s))

    async def finish_episode(self) -> None:
        if self.episode is not None:
            await self.episodes.close(self.episode.id)
            self.episode = None

    @property
    def state(self) -> State:
        return self._state


def app(domain: str, scenarios: list[dict[str, Any]] | None = None, max_concurrent_envs: int = 64) -> Any:
    """The OpenEnv FastAPI app (HTTP and WebSocket) for `domain`: one environment per session."""
    rows = scenarios if scenarios is not None else scenarios_of(domain)
    return create_app(lambda: ScenarioEnvironment(domain, rows), Action, ScenarioObservation,
                      env_name=f"scaleenv_{domain}", max_concurrent_envs=max_concurrent_envs)


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    parser = argparse.ArgumentParser(
        prog="python -m generator.integrations.openenv", description="Serve a domain as an OpenEnv environment.",
        epilog="example: python -m generator.integrations.openenv airline --port 8000")
    parser.add_argument("domain", help="a domain with committed scenarios (tasks/<domain>/scenarios.jsonl)")
    parser.add_argument("--scenarios", help="a scenarios .jsonl file instead of the domain's committed ones")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    uvicorn.run(app(args.domain, scenarios_of(args.scenarios) if args.scenarios else None),
                host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

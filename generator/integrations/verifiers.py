"""A verifiers (0.4, `verifiers.v1`) taskset over a domain's scenarios: `vf-eval scaleenv-verifiers`.

Each task is one scenario. Per rollout, verifiers' NeMo Gym task seeds a session on the domain's
episode server (`/seed_session` starts an episode from the scenario), its toolset reaches that
episode's tools over MCP with the returned `X-Episode-Id` header, and its reward posts the finished
response to `/verify`, which runs the scenario's checks on the episode's end state. The episode
server is started here unless `--env.taskset.task.resources-url` names a running one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from verifiers.v1 import SharedToolsetConfig, Taskset, TasksetConfig, Toolset
from verifiers.v1.dialects.responses import ResponsesDialect
from verifiers.v1.tasksets.nemo_gym import NeMoGymData, NeMoGymTask, NeMoGymTaskConfig
from verifiers.v1.tasksets.nemo_gym.toolset import NeMoGymToolset

from generator.harness.export import nemo_gym_row, scenarios_from, server_surface
from generator.integrations.served import episode_server


class ScaleEnvConfig(TasksetConfig):
    """`--env.taskset.*`: which scenarios, and (under `task`) the episode server to reach."""

    domain: str = "airline"
    """The domain whose committed scenarios (tasks/<domain>/scenarios.jsonl) are the tasks."""

    scenarios: Path | None = None
    """A scenarios.jsonl to use instead; each row then carries its whole scenario to the server."""

    tools: SharedToolsetConfig = SharedToolsetConfig()
    task: NeMoGymTaskConfig = NeMoGymTaskConfig()


class ScaleEnvTaskset(Taskset[NeMoGymTask, ScaleEnvConfig]):
    """One task per scenario, played on an episode of the domain's server (see the module docstring)."""

    @classmethod
    def toolsets(cls, config: ScaleEnvConfig) -> list[Toolset]:
        return [NeMoGymToolset(config.tools)]

    def load(self) -> Iterator[NeMoGymTask]:
        given = self.config.scenarios
        scenarios = scenarios_from([str(given) if given else self.config.domain])
        if self.config.task.resources_url is None:
            self.config.task.resources_url = episode_server(scenarios[0].domain if scenarios else self.config.domain)
        with ThreadPoolExecutor(1) as pool:  # lists the tools on its own event loop; verifiers' is running
            for domain in sorted({s.domain for s in scenarios}):
                pool.submit(server_surface, domain).result()
        dialect = ResponsesDialect()
        for scenario in scenarios:
            row = nemo_gym_row(scenario)
            if given:  # not a committed scenario the server can look up by id
                del row["scenario_id"]
                row["scenario"] = json.loads(scenario.model_dump_json())
            messages = dialect.parse_request(row["responses_create_params"]).messages
            yield NeMoGymTask(NeMoGymData(name=scenario.id, prompt=messages, row=row), self.config.task)


__all__ = ["ScaleEnvTaskset"]

"""Episodes across processes and machines: a pool of Ray actors, each a domain's LocalEnvironment.

The driver places each new episode on the live actor with the fewest episodes, remembers
where it lives, and routes every call, verification and close there. When every actor is
full, `create` waits for a close (back-pressure) or, past its timeout, raises PoolFull. An
actor that dies loses only its own episodes: their callers get EpisodeLost naming the
episode and the actor, the other actors carry on, and a new actor takes the dead one's place
for new episodes (up to `replacements` times in the pool's life; after that a dead actor's
place stays empty). Tool calls take the direct path (`LocalEnvironment.direct`), so a result
is the CallToolResult an MCP client would receive.

    ray.init()  # or ray.init(address="auto") inside a trainer on a cluster
    pool = EpisodePool("airline", actors=8, per_actor=500)
    episode = await pool.create(scenario)
    result = await pool.call(episode, "get_flight", {"flight_number": "HA001"})
    results = await pool.call_many([(episode, "get_flight", {...}), ...])  # one round trip per actor
    verdict = await pool.verify(episode, transcript)  # {"reward": 1.0, "checks": [...]}
    await pool.close(episode)
"""

from __future__ import annotations

import asyncio
import importlib
import os
from typing import Any

import ray
from mcp.types import CallToolResult
from ray.exceptions import RayActorError


class PoolFull(RuntimeError):
    """Every actor holds `per_actor` episodes and none was closed in time."""


class EpisodeLost(LookupError):
    """The episode lived on an actor that died; its state is gone."""


@ray.remote(num_cpus=1)
class EpisodeActor:
    """One process's episodes of one domain; tool calls take the direct path."""

    def __init__(self, domain: str, per_actor: int):
        package = importlib.import_module(f"generated_servers.{domain}")
        self.env = package.LocalEnvironment(package.Episodes(max_episodes=per_actor))

    async def create(self, scenario: dict[str, Any] | None) -> str:
        return await self.env.create(scenario)

    async def call(self, episode_id: str, name: str, arguments: dict[str, Any] | None) -> CallToolResult:
        return await self.env.direct(episode_id).call_tool(name, arguments)

    async def call_many(self, calls: list[tuple[str, str, dict[str, Any] | None]]) -> list[CallToolResult]:
        return [await self.env.direct(episode_id).call_tool(name, arguments) for episode_id, name, arguments in calls]

    async def verify(self, episode_id: str, transcript: str | None) -> dict[str, Any]:
        return await self.env.verify(episode_id, transcript)

    async def state(self, episode_id: str) -> bytes:
        return await self.env.state(episode_id)

    async def close(self, episode_id: str) -> None:
        await self.env.close(episode_id)

    def pid(self) -> int:
        """The actor's process id (tests kill it to see the pool survive)."""
        return os.getpid()


class EpisodePool:
    """Create, call, verify, inspect and close episodes spread over `actors` Ray actors."""

    def __init__(self, domain: str, actors: int = 2, per_actor: int = 1000, cpus_per_actor: float = 1.0,
                 replacements: int = 8):
        self.per_actor = per_actor
        self.replacements = replacements  # dead actors that may still be replaced by new ones
        self.domain = domain
        self.options = EpisodeActor.options(num_cpus=cpus_per_actor, max_concurrency=max(per_actor, 1))
        self.actors = [self._new_actor() for _ in range(actors)]
        self.load = [0] * actors  # live episodes per actor
        self.dead: dict[int, str] = {}  # actor index -> why it died, while its place is empty
        self.deaths: list[str] = []  # every actor death, replaced or not
        self.home: dict[str, int] = {}  # episode id -> actor index
        self.lost: dict[str, str] = {}  # episode id -> the EpisodeLost message
        self.room = asyncio.Condition()

    def _pick(self) -> int | None:
        live = [i for i in range(len(self.actors)) if i not in self.dead and self.load[i] < self.per_actor]
        return min(live, key=lambda i: (self.load[i], i)) if live else None

    async def create(self, scenario: dict[str, Any] | None = None, timeout: float | None = None) -> str:
        """A new episode on the least-loaded live actor; waits up to `timeout` s for room when all are full.
        An actor that dies while creating it is replaced (or its place left empty) and the episode placed again."""
        while True:
            async with self.room:
                try:
                    await asyncio.wait_for(self.room.wait_for(lambda: self._pick() is not None or self._all_dead()),
                                           timeout)
                except TimeoutError:
                    raise PoolFull(f"all {len(self.actors)} actors hold {self.per_actor} episodes; close some, "
                                   "or make the pool with more actors or a larger per_actor") from None
                if self._all_dead():
                    raise EpisodeLost(f"every actor of the pool died ({'; '.join(self.dead.values())})")
                index = self._pick()
                self.load[index] += 1
                actor = self.actors[index]
            try:
                episode_id = await self._on(index, None, actor, "create", scenario)
            except EpisodeLost:
                continue  # that actor died (its count was cleared); place the episode on a live one
            except BaseException:
                await self._release(index)
                raise
            if self.actors[index] is not actor:
                continue  # made just before its actor died: lost with it; place it again
            self.home[episode_id] = index
            return episode_id

    async def call(self, episode_id: str, name: str, arguments: dict[str, Any] | None = None) -> CallToolResult:
        """Call tool `name` in the episode: the CallToolResult an MCP client would receive."""
        index = self._where(episode_id)
        return await self._on(index, episode_id, self.actors[index], "call", episode_id, name, arguments)

    async def call_many(self, calls: list[tuple[str, str, dict[str, Any] | None]]) -> list[CallToolResult]:
        """Many calls at once, e.g. one step of every rollout: one round trip per actor, results in
        the order given, calls on one episode made in that order. EpisodeLost if any episode is lost
        (the calls routed to live actors are still made)."""
        for episode_id, _, _ in calls:
            self._where(episode_id)
        batches: dict[int, list[int]] = {}
        for position, (episode_id, _, _) in enumerate(calls):
            batches.setdefault(self.home[episode_id], []).append(position)
        answers = await asyncio.gather(
            *(self._on(index, calls[positions[0]][0], self.actors[index], "call_many", [calls[i] for i in positions])
              for index, positions in batches.items()),
            return_exceptions=True,
        )
        results: list[Any] = [None] * len(calls)
        for positions, answer in zip(batches.values(), answers, strict=True):
            if isinstance(answer, BaseException):
                raise answer
            for position, result in zip(positions, answer, strict=True):
                results[position] = result
        return results

    async def verify(self, episode_id: str, transcript: str | None = None) -> dict[str, Any]:
        index = self._where(episode_id)
        return await self._on(index, episode_id, self.actors[index], "verify", episode_id, transcript)

    async def state(self, episode_id: str) -> bytes:
        index = self._where(episode_id)
        return await self._on(index, episode_id, self.actors[index], "state", episode_id)

    async def close(self, episode_id: str) -> None:
        index = self._where(episode_id)
        try:
            await self._on(index, episode_id, self.actors[index], "close", episode_id)
        finally:
            if self.home.pop(episode_id, None) is not None:
                await self._release(index)

    def shutdown(self) -> None:
        """Stop every actor; the pool's episodes end with them."""
        for actor in self.actors:
            ray.kill(actor)

    def _new_actor(self) -> Any:
        return self.options.remote(self.domain, self.per_actor)

    def _all_dead(self) -> bool:
        return len(self.dead) == len(self.actors)

    def _where(self, episode_id: str) -> int:
        if episode_id in self.lost:
            raise EpisodeLost(self.lost[episode_id])
        if episode_id not in self.home:
            raise LookupError(f"no episode {str(episode_id)[:80]!r} in this pool: create one with pool.create")
        return self.home[episode_id]

    async def _release(self, index: int) -> None:
        async with self.room:
            if index not in self.dead:  # a dead actor's count was already cleared
                self.load[index] -= 1
            self.room.notify_all()

    async def _on(self, index: int, episode_id: str | None, actor: Any, method: str, *args: Any) -> Any:
        """Call `method` on `actor` (the pool's actor at `index`). If the actor died, mark every episode
        it held as lost and put a new actor in its place (while replacements last), once per death:
        a call that finds an actor already replaced only reports its own episode lost."""
        try:
            return await getattr(actor, method).remote(*args)
        except RayActorError as exc:
            async with self.room:
                if self.actors[index] is actor and index not in self.dead:  # the first to see this death
                    reason = f"actor {index} died ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})"
                    self.deaths.append(reason)
                    for lost in [e for e, i in self.home.items() if i == index]:
                        del self.home[lost]
                        self.lost[lost] = f"episode {lost} was lost: it lived on {reason}; create a new one"
                    self.load[index] = 0
                    if len(self.deaths) <= self.replacements:
                        self.actors[index] = self._new_actor()  # new episodes go to a new actor in its place
                    else:
                        self.dead[index] = reason
                    self.room.notify_all()
            if episode_id is None:
                raise EpisodeLost(f"cannot create an episode: {self.deaths[-1]}") from None
            raise EpisodeLost(self.lost.get(episode_id, f"episode {episode_id} was lost: {self.deaths[-1]}")) from None

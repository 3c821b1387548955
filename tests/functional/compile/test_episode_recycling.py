"""Recycled episodes: a closed episode's in-memory database, rolled back to its initial state, serves
the next episode of the same scenario with its schema parsed and its statements prepared, and keeps
nothing of the episode before."""

from __future__ import annotations

import pytest
from mcp.server.mcpserver.exceptions import ToolError

from generator.tasks.expand import expand_domain
from tests.support import TINY, build_package


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    _, server, runtime = build_package(TINY, tmp_path_factory.mktemp("pkg"))
    package = __import__(server.__name__.rsplit(".", 1)[0], fromlist=["LocalEnvironment"])
    scenario = expand_domain(TINY, 1, seed=4).scenarios[0].model_dump(mode="json")
    return package, runtime, scenario


async def play(env, episode: str, scenario: dict) -> list:
    return [await env.direct(episode).call_tool(a["tool"], a["arguments"]) for a in scenario["gold_actions"]]


async def test_the_next_episode_of_a_scenario_gets_the_closed_ones_database_as_new(tiny):
    package, _, scenario = tiny
    async with package.LocalEnvironment(package.Episodes(spare_bytes=0)) as env:
        fresh = await env.state(await env.create(scenario))
    async with package.LocalEnvironment() as env:
        first = await env.create(scenario)
        connection = env.episodes.get(first).store.conn
        played = await play(env, first, scenario)
        assert (await env.verify(first))["reward"] == 1.0 and await env.state(first) != fresh
        await env.close(first)

        second = await env.create(scenario)
        assert env.episodes.get(second).store.conn is connection  # recycled, not opened again
        assert await env.state(second) == fresh  # nothing of the first episode is left
        assert (await env.verify(second))["reward"] == 0.0
        again = await play(env, second, scenario)
        assert [r.structured_content for r in again] == [r.structured_content for r in played]  # same ids
        assert (await env.verify(second))["reward"] == 1.0


async def test_a_call_still_holding_a_closed_episodes_store_never_reaches_the_next_episode(tiny):
    package, _, scenario = tiny
    async with package.LocalEnvironment() as env:
        first = await env.create(scenario)
        held = env.episodes.get(first).store
        await env.close(first)
        second = await env.create(scenario)
        before = await env.state(second)
        with pytest.raises(ToolError, match="closed"):
            async with held.transaction() as db:
                await db.execute("UPDATE customers SET balance = 0")
        with pytest.raises(ToolError, match="closed"):
            async with held.read():
                pass
        assert await env.state(second) == before


async def test_spare_databases_stay_within_their_byte_budget_and_their_scenario(tiny):
    package, _, scenario = tiny
    async with package.LocalEnvironment() as env:
        size = env.episodes.get(await env.create(scenario)).size
    episodes = package.Episodes(spare_bytes=2 * size)
    async with package.LocalEnvironment(episodes) as env:
        made = [await env.create(scenario) for _ in range(5)]
        for episode in made:
            await env.close(episode)
        assert len(episodes.spare_order) == 2 and episodes.spare_used == 2 * size
        seed = await env.create()  # another initial state: never a scenario's spare
        assert env.episodes.get(seed).store not in episodes.spare_order and len(episodes.spare_order) == 2
        await env.create(scenario)
        assert len(episodes.spare_order) == 1
    assert not episodes.spare_order and episodes.spare_used == 0  # closing the environment drops them
    none = package.Episodes(spare_bytes=0)
    async with package.LocalEnvironment(none) as env:
        await env.close(await env.create(scenario))
        assert not none.spare_order


RUNAWAY_WRITE = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)"
    " UPDATE customers SET balance = balance WHERE customer_id IN (SELECT x FROM c)"
)


async def test_a_write_stopped_for_too_much_work_loses_its_episode_and_says_so(tiny):
    """SQLite rolls back the whole transaction when it stops a write statement, and an in-memory
    database holds one transaction for its life: the episode says it lost its changes, its twin is
    untouched, and its database is not recycled."""
    package, _, scenario = tiny
    async with package.LocalEnvironment() as env:
        lost, twin = await env.create(scenario), await env.create(scenario)
        await play(env, lost, scenario)
        await play(env, twin, scenario)
        store = env.episodes.get(lost).store
        with pytest.raises(ToolError, match="lost every change"):
            async with store.transaction() as db:
                await db.execute(RUNAWAY_WRITE)
        result = await env.direct(lost).call_tool("get_customer", {"customer_id": "C00001"})
        assert result.is_error and "lost every change" in result.content[0].text
        with pytest.raises(LookupError, match="lost its changes") as caught:
            await env.verify(lost)
        assert caught.value.status == 410
        assert (await env.verify(twin))["reward"] == 1.0
        await env.close(lost)
        assert not env.episodes.spare_order


async def test_a_read_stopped_for_too_much_work_loses_nothing(tiny):
    package, _, scenario = tiny
    async with package.LocalEnvironment() as env:
        episode = await env.create(scenario)
        await play(env, episode, scenario)
        with pytest.raises(ValueError, match="stopped after"):
            async with env.episodes.get(episode).store.read() as db:
                await db.fetch_one("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c")
        assert (await env.verify(episode))["reward"] == 1.0

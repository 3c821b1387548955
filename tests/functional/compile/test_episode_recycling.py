"""Recycled episodes: a closed episode's in-memory database, rolled back to the seed, serves the next
episode of any scenario with its schema parsed and its statements prepared, and keeps nothing of the
episode before."""

from __future__ import annotations

import pytest
from mcp.server.mcpserver.exceptions import ToolError

from generator.tasks.expand import expand_domain
from tests.support import TINY, build_package


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    _, server, runtime = build_package(TINY, tmp_path_factory.mktemp("pkg"))
    package = __import__(server.__name__.rsplit(".", 1)[0], fromlist=["LocalEnvironment"])
    made = [s.model_dump(mode="json") for s in expand_domain(TINY, 4, seed=4).scenarios]
    scenario = next(s for s in made if s["initial_state"]["statements"])  # one with an initial state of its own
    return package, runtime, scenario, [s for s in made if s is not scenario]


async def play(env, episode: str, scenario: dict) -> list:
    return [await env.direct(episode).call_tool(a["tool"], a["arguments"]) for a in scenario["gold_actions"]]


async def test_the_next_episode_of_any_scenario_gets_a_closed_ones_database_as_new(tiny):
    package, _, scenario, others = tiny
    every = [scenario, *others]
    async with package.LocalEnvironment(package.Episodes(spare_bytes=0)) as env:
        fresh = {s["id"]: await env.state(await env.create(s)) for s in every}
        fresh["seed"] = await env.state(await env.create())
    async with package.LocalEnvironment() as env:
        first = await env.create(scenario)
        connection = env.episodes.get(first).store.conn
        played = await play(env, first, scenario)
        assert (await env.verify(first))["reward"] == 1.0 and await env.state(first) != fresh[scenario["id"]]
        await env.close(first)
        for other in [*others, None, scenario]:  # each on the same database, left by the one before
            episode = await env.create(other)
            assert env.episodes.get(episode).store.conn is connection  # recycled, not opened again
            assert await env.state(episode) == fresh[other["id"] if other else "seed"]  # nothing left behind
            if other is not None:
                assert (await env.verify(episode))["reward"] == 0.0
                results = await play(env, episode, other)
                assert (await env.verify(episode))["reward"] == 1.0, other["id"]
            await env.close(episode)
        assert [r.structured_content for r in results] == [r.structured_content for r in played]  # same ids


async def test_a_call_still_holding_a_closed_episodes_store_never_reaches_the_next_episode(tiny):
    package, _, scenario, _ = tiny
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


async def test_spare_databases_stay_within_their_byte_budget(tiny):
    package, runtime, scenario, _ = tiny
    size = len(runtime.seed_image())
    episodes = package.Episodes(spare_bytes=2 * size)
    async with package.LocalEnvironment(episodes) as env:
        made = [await env.create(scenario) for _ in range(5)]
        for episode in made:
            await env.close(episode)
        assert len(episodes.spares) == 2 and episodes.spare_used == 2 * size
        await env.create()
        assert len(episodes.spares) == 1 and episodes.spare_used == size
    assert not episodes.spares and episodes.spare_used == 0  # closing the environment drops them
    none = package.Episodes(spare_bytes=0)
    async with package.LocalEnvironment(none) as env:
        await env.close(await env.create(scenario))
        assert not none.spares


RUNAWAY_WRITE = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)"
    " UPDATE customers SET balance = balance WHERE customer_id IN (SELECT x FROM c)"
)


async def test_a_write_stopped_for_too_much_work_loses_its_episode_and_says_so(tiny):
    """SQLite rolls back the whole transaction when it stops a write statement, and an in-memory
    database holds one transaction for its life: the episode says it lost its changes, its twin is
    untouched, and its database is not recycled."""
    package, _, scenario, _ = tiny
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
        assert not env.episodes.spares


async def test_a_read_stopped_for_too_much_work_loses_nothing(tiny):
    package, _, scenario, _ = tiny
    async with package.LocalEnvironment() as env:
        episode = await env.create(scenario)
        await play(env, episode, scenario)
        with pytest.raises(ValueError, match="stopped after"):
            async with env.episodes.get(episode).store.read() as db:
                await db.fetch_one("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c")
        assert (await env.verify(episode))["reward"] == 1.0


async def test_an_initial_state_the_foreign_keys_refuse_still_starts_on_a_database_of_its_own(tiny):
    """Initial states are made without foreign keys (see scenario_image), so a posted one may break
    one: its episode gets a database opened on its image, never recycled; tool calls meet the keys."""
    package, _, scenario, _ = tiny
    dangling = "INSERT INTO orders VALUES (?, 'C-NONE', 'lamp', 5.0, 'pending', '2026-03-01T09:00:00', NULL)"
    posted = {**scenario, "id": "dangling", "initial_state": {"statements": [{"sql": dangling, "params": ["O-X"]}]}}
    async with package.LocalEnvironment() as env:
        await env.close(await env.create(scenario))
        episode = await env.create(posted)
        store = env.episodes.get(episode).store
        assert len(env.episodes.spares) == 1  # the spare it tried went back
        async with store.read() as db:
            assert (await db.fetch_one("SELECT customer_id FROM orders WHERE order_id = 'O-X'"))["customer_id"] == "C-NONE"
        with pytest.raises(ToolError, match="breaks a data rule"):
            async with store.transaction() as db:
                await db.execute(dangling, ("O-Y",))
        await env.close(episode)
        assert len(env.episodes.spares) == 1 and store.conn not in [s.conn for s in env.episodes.spares]


async def test_a_recycled_database_prepares_no_statement_its_earlier_episodes_ran(tiny, monkeypatch):
    """SQLite asks the authorizer only while preparing a statement: a second episode of the same
    scenario, and of another one after it, on one recycled database, prepares nothing again."""
    package, runtime, scenario, others = tiny
    asked = []
    authorize = runtime.ToolGuard.authorize
    monkeypatch.setattr(runtime.ToolGuard, "authorize", lambda self, *a: asked.append(a) or authorize(self, *a))
    async with package.LocalEnvironment() as env:
        for chosen in (scenario, others[0], scenario, others[0]):
            episode = await env.create(chosen)
            asked.clear()
            await play(env, episode, chosen)
            prepared = len(asked)
            assert (await env.verify(episode))["reward"] == 1.0
            await env.close(episode)
        assert prepared == 0 and len(env.episodes.spares) == 1

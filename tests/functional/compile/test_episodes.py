"""Episodes in process: isolated databases per scenario, verification, limits."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from generator.tasks.expand import expand_domain
from tests.support import TINY, build_package


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    build, server, runtime = build_package(TINY, tmp_path_factory.mktemp("pkg"))
    package = __import__(server.__name__.rsplit(".", 1)[0], fromlist=["LocalEnvironment"])
    scenario = expand_domain(TINY, 1, seed=4).scenarios[0].model_dump(mode="json")
    return package, scenario


async def test_gold_on_one_episode_rewards_it_and_leaves_its_twin_untouched(tiny):
    package, scenario = tiny
    async with package.LocalEnvironment() as env:
        played, idle = await env.create(scenario), await env.create(scenario)
        client = env.client(played)
        assert {t.name for t in (await client.list_tools()).tools} >= {a["tool"] for a in scenario["gold_actions"]}
        for action in scenario["gold_actions"]:
            assert not (await client.call_tool(action["tool"], action["arguments"])).is_error
        good, untouched = await env.verify(played), await env.verify(idle)
        assert good["reward"] == 1.0 and all(c["passed"] for c in good["checks"])
        assert untouched["reward"] == 0.0
        assert (await env.state(played)).startswith(b"SQLite format 3")
        await env.close(played)
        with pytest.raises(LookupError):
            env.client(played)


async def test_a_collateral_write_scores_zero_and_the_failing_check_names_its_table(tiny):
    package, scenario = tiny
    extra = next(c for c in scenario["validation"]["negative_controls"] if c["kind"].startswith("extra_write"))
    async with package.LocalEnvironment() as env:
        episode = await env.create(scenario)
        for action in extra["actions"]:
            assert not (await env.client(episode).call_tool(action["tool"], action["arguments"])).is_error
        verdict = await env.verify(episode)
    assert verdict["reward"] == 0.0
    failed = [c for c in verdict["checks"] if not c["passed"]]
    assert failed and all(c["table"] and c["unexpected"] + c["missing"] for c in failed)


async def test_a_call_for_an_unknown_episode_is_a_tool_error(tiny):
    package, _ = tiny
    async with package.LocalEnvironment() as env:
        episode = await env.create()
        await env.close(episode)
        result = await package.EpisodeClient(env._client, episode).call_tool("get_customer", {"customer_id": "C00001"})
    assert result.is_error and "no episode" in result.content[0].text


async def test_episode_count_limit_gives_a_clear_error(tiny):
    package, scenario = tiny
    async with package.LocalEnvironment(package.Episodes(max_episodes=2)) as env:
        await env.create(scenario)
        await env.create(scenario)
        with pytest.raises(LookupError, match="episode limit reached"):
            await env.create(scenario)


async def test_episodes_use_the_scenario_clock_and_their_own_id_sequence(tiny):
    package, scenario = tiny
    async with package.LocalEnvironment() as env:
        a, b = await env.create(scenario), await env.create(scenario)
        made = []
        for episode in (a, b, a):
            result = await env.client(episode).call_tool(
                "place_order", {"customer_id": "C00001", "item": "lamp", "amount": 2.0})
            made.append((result.structured_content["order_id"], result.structured_content["created_at"]))
    assert made[0][0] == made[1][0] != made[2][0]  # same first id in each episode, next id in the first
    assert {m[1] for m in made} == {scenario["now"]}


async def test_in_memory_episodes_start_no_thread_each(tiny):
    package, scenario = tiny
    async with package.LocalEnvironment() as env:
        episodes = [await env.create(scenario)]  # prepares the scenario's image on a worker thread, once
        before = threading.active_count()
        episodes += [await env.create(scenario) for _ in range(200)]
        for episode in episodes:
            assert not (await env.direct(episode).call_tool("get_customer", {"customer_id": "C00001"})).is_error
            assert not (await env.client(episode).call_tool("get_customer", {"customer_id": "C00001"})).is_error
        assert threading.active_count() == before


async def test_a_failing_call_on_an_in_memory_episode_leaves_no_partial_write(tiny):
    """cancel_order updates orders, then customers; a CHECK failure in the second undoes the first."""
    package, scenario = tiny
    broken = {**scenario, "id": "broken", "initial_state": {"statements": [
        {"sql": "UPDATE orders SET status = 'pending', amount = -500 WHERE order_id = 'O00001'"}]}}
    async with package.LocalEnvironment() as env:
        for path in ("client", "direct"):
            episode = await env.create(broken)
            before = await env.state(episode)
            conn = sqlite3.connect(":memory:")
            conn.deserialize(before)
            (owner,) = conn.execute("SELECT customer_id FROM orders WHERE order_id = 'O00001'").fetchone()
            conn.close()
            caller = env.client(episode) if path == "client" else env.direct(episode)
            result = await caller.call_tool("cancel_order", {"order_id": "O00001", "customer_id": owner})
            assert result.is_error and "Nothing was changed" in result.content[0].text, path
            assert await env.state(episode) == before, path

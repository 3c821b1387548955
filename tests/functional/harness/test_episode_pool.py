"""The Ray episode pool on a local single-node cluster: routing, rewards, back-pressure, dead actors."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def ray_local():
    ray = pytest.importorskip("ray")
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                 runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}})
    yield ray
    if started:
        ray.shutdown()


def scenarios(k: int) -> list[dict]:
    lines = (ROOT / "tasks" / "airline" / "scenarios.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines[:k]]


async def test_gold_on_pooled_episodes_rewards_each_and_a_dead_actor_loses_only_its_own(ray_local):
    """Without replacements a dead actor's place stays empty: the pool shrinks until no actor is left."""
    from generator.harness.agents import answers
    from generator.harness.episode_pool import EpisodeLost, EpisodePool, PoolFull

    pool = EpisodePool("airline", actors=2, per_actor=2, cpus_per_actor=0.5, replacements=0)
    try:
        picked = scenarios(4)
        episodes = [await pool.create(s) for s in picked]
        assert sorted(pool.load) == [2, 2] and len(set(pool.home.values())) == 2  # spread over both actors
        with pytest.raises(PoolFull, match="close some"):
            await pool.create(picked[0], timeout=0.2)
        for episode, scenario in zip(episodes, picked, strict=True):
            for action in scenario["gold_actions"]:
                assert not (await pool.call(episode, action["tool"], action["arguments"])).is_error
        for episode, scenario in zip(episodes, picked, strict=True):
            assert (await pool.verify(episode, answers(scenario)))["reward"] == 1.0, scenario["id"]
        batch = [(e, "get_airport", {"airport_code": code}) for e in episodes for code in ("ZZZ", "ZZY")]
        results = await pool.call_many(batch)  # one round trip per actor, results in the order given
        assert [r.content[0].text.split("airport_code ")[1][:3] for r in results] == ["ZZZ", "ZZY"] * 4
        # back-pressure: a close makes room for a waiting create
        await pool.close(episodes[0])
        replacement = await pool.create(picked[0], timeout=5)
        assert (await pool.state(replacement)).startswith(b"SQLite format 3")

        victim = pool.home[episodes[1]]
        os.kill(ray_local.get(pool.actors[victim].pid.remote()), signal.SIGKILL)
        on_victim = [e for e in [*episodes[1:], replacement] if pool.home.get(e) == victim]
        survivors = [e for e in [*episodes[1:], replacement] if e in pool.home and pool.home[e] != victim]
        with pytest.raises(EpisodeLost, match=f"actor {victim} died"):
            await pool.call(on_victim[0], "get_airport", {"airport_code": "JFK"})
        for episode in on_victim:
            with pytest.raises(EpisodeLost, match="was lost"):
                await pool.call(episode, "get_airport", {"airport_code": "JFK"})
        for episode in survivors:
            assert (await pool.call(episode, "get_airport", {"airport_code": "ZZZ"})).is_error  # a tool error, alive
        with pytest.raises(PoolFull):  # the live actor is full; the dead one takes nothing
            await pool.create(picked[0], timeout=0.2)
        await pool.close(survivors[0])
        fresh = await pool.create(picked[0], timeout=5)
        assert pool.home[fresh] != victim and victim in pool.dead and pool.load[victim] == 0
        await pool.close(fresh)
        os.kill(ray_local.get(pool.actors[1 - victim].pid.remote()), signal.SIGKILL)  # the last live actor
        with pytest.raises(EpisodeLost, match="every actor of the pool died"):  # found dead while creating
            await pool.create(picked[0], timeout=5)
    finally:
        pool.shutdown()


async def test_a_dead_actor_is_replaced_for_new_episodes_while_its_own_stay_lost(ray_local):
    from generator.harness.agents import answers
    from generator.harness.episode_pool import EpisodeLost, EpisodePool

    pool = EpisodePool("airline", actors=2, per_actor=2, cpus_per_actor=0.5, replacements=1)
    try:
        picked = scenarios(4)
        first, second = [await pool.create(s) for s in picked[:2]]  # one on each actor
        victim = pool.home[first]
        old, old_pid = pool.actors[victim], ray_local.get(pool.actors[victim].pid.remote())
        os.kill(old_pid, signal.SIGKILL)
        with pytest.raises(EpisodeLost, match=f"episode {first} was lost: it lived on actor {victim} died"):
            await pool.call(first, "get_airport", {"airport_code": "JFK"})
        assert pool.actors[victim] is not old and not pool.dead and pool.load[victim] == 0
        for lost_again in (pool.verify(first), pool.state(first), pool.close(first)):  # every later use says so
            with pytest.raises(EpisodeLost, match="was lost"):
                await lost_again
        assert (await pool.call(second, "get_airport", {"airport_code": "ZZZ"})).is_error  # alive: a tool error

        fresh = await pool.create(picked[2], timeout=30)  # the least-loaded place: the new actor
        assert pool.home[fresh] == victim and ray_local.get(pool.actors[victim].pid.remote()) != old_pid
        for action in picked[2]["gold_actions"]:
            assert not (await pool.call(fresh, action["tool"], action["arguments"])).is_error
        assert (await pool.verify(fresh, answers(picked[2])))["reward"] == 1.0

        os.kill(ray_local.get(pool.actors[victim].pid.remote()), signal.SIGKILL)  # replacements used up
        with pytest.raises(EpisodeLost, match="was lost"):
            await pool.call(fresh, "get_airport", {"airport_code": "JFK"})
        assert victim in pool.dead and len(pool.deaths) == 2
        assert pool.home[await pool.create(picked[3], timeout=5)] != victim  # only the live actor takes episodes
    finally:
        pool.shutdown()

"""The scripted user follows the scenario's behaviour rules."""

from __future__ import annotations

import anyio

from generator.harness.users import STOP, ScriptedUser

SCENARIO = {"user": {"instruction": "Please remove my Visa card ending in 4242.",
                     "known_info": ["user_id: U00001", "payment method: my Visa card ending in 4242"],
                     "unknown_info": [], "behaviour": ["Give a detail you know only when the agent asks for it."]}}


def reply(agent_says: str) -> str:
    messages = [{"role": "system", "content": "policy"}, {"role": "user", "content": SCENARIO["user"]["instruction"]},
                {"role": "assistant", "content": agent_says}]
    return anyio.run(ScriptedUser().reply, SCENARIO, messages)[0]


def test_gives_only_the_detail_asked_for():
    said = reply("Could you tell me your user id?")
    assert "U00001" in said and "4242" not in said


def test_confirms_when_asked_to_confirm_and_knows_nothing_more_otherwise():
    assert reply("Shall I proceed with removing it?").startswith("Yes")
    said = reply("What is your billing zip code?")
    assert "don't know" in said and "U00001" not in said


def test_ends_when_the_agent_asks_nothing():
    assert reply("Done: the card is removed.") == STOP

"""The LLM path offline: the real `openai` client, tool-call parsing and the agent loop against a
real generated server, with a local fake OpenAI-compatible server playing the model (and the user)."""

from __future__ import annotations

import json

import pytest

from generator.harness.evaluate import scenarios_of
from generator.harness.users import STOP
from generator.llm import CacheMiss, OpenAIChat, request_key
from tests.fake_openai import FakeOpenAI, body_key, tool_call
from tests.functional.harness.test_eval import lines, run

# the first retail task that changes the state and asks a question (an answer check)
SCENARIO = next(s for s in scenarios_of("retail") if s["metadata"]["kind"] == "information")
ME = SCENARIO["user"]["profile"]["customer_id"]
CALLS = len(SCENARIO["gold_actions"]) + 1  # the gold model's tool calls, then its answer


@pytest.fixture
def one(tmp_path):
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(SCENARIO) + "\n")
    return str(path)


def gold_model(scenario: dict, ask: str | None = None):
    """A scripted model: optionally asks `ask` first, then calls the gold tools one per turn, then reports."""

    def script(body: dict) -> dict:
        messages = body["messages"]
        if ask and sum(m["role"] == "user" for m in messages) == 1:
            return {"content": ask}
        done = sum(m["role"] == "tool" for m in messages)
        if done < len(scenario["gold_actions"]):
            action = scenario["gold_actions"][done]
            return {"tool_calls": [tool_call(f"call_{done}", action["tool"], action["arguments"])]}
        said = [" ".join(group[0] for group in c["accept"]) for c in scenario["checks"] if c["kind"] == "answer"]
        return {"content": "Done. " + " ".join(f"You asked about it: {text}." for text in said)}

    return script


def test_llm_agent_with_scripted_user_reaches_reward_one(tmp_path, one):
    ask = "Could you confirm your customer id?"
    with FakeOpenAI(gold_model(SCENARIO, ask)) as fake:
        assert run(one, "--agent", "openai:fake", "--base-url", fake.url, "--api-key", "k", "-k", "2",
                   "--out", str(tmp_path / "run")) == 0
    rows = lines(tmp_path / "run")
    assert [r["reward"] for r in rows] == [1.0, 1.0] and rows[0]["ending"] == "done"
    first = fake.requests[0]
    assert first["model"] == "fake" and first["tools"][0]["type"] == "function"
    assert sorted({r["seed"] for r in fake.requests}) == [0, 1]  # one seed per trial
    messages = rows[0]["messages"]
    assert [m["role"] for m in messages[:6]] == ["system", "user", "assistant", "user", "assistant", "tool"]
    assert f"customer_id: {ME}" in messages[3]["content"]  # the scripted user answers from known_info
    calls = len(fake.requests) // 2
    assert rows[0]["turns"] == calls and rows[0]["usage"]["agent"] == {"prompt_tokens": 100 * calls,
                                                                       "completion_tokens": 20 * calls, "calls": calls}
    gold = SCENARIO["gold_actions"][0]
    assert messages[4]["tool_calls"] == [tool_call("call_0", gold["tool"], gold["arguments"])]  # as the model sent it
    assert fake.requests[-1]["messages"][5] == {"role": "tool", "tool_call_id": "call_0", "content": messages[5]["content"]}


def test_llm_agent_that_only_talks_scores_zero(tmp_path, one):
    with FakeOpenAI(lambda body: {"content": "I cannot do that."}) as fake:
        assert run(one, "--agent", "openai:m", "--base-url", fake.url, "--out", str(tmp_path / "r")) == 0
    row = lines(tmp_path / "r")[0]
    assert row["reward"] == 0.0 and row["turns"] == 1 and len(fake.requests) == 1


def test_tool_errors_come_back_as_text_and_max_turns_ends_the_episode(tmp_path, one):
    script = [{"tool_calls": [tool_call("a", "no_such_tool", {})]},
              {"tool_calls": [{"id": "b", "type": "function", "function": {"name": "get_customer", "arguments": "{oops"}}]},
              {"tool_calls": [tool_call("c", "get_customer", {"customer_id": "C99999"})]}]
    with FakeOpenAI(script) as fake:
        assert run(one, "--agent", "openai:m", "--base-url", fake.url, "--max-turns", "3",
                   "--out", str(tmp_path / "r")) == 0
    row = lines(tmp_path / "r")[0]
    results = [m["content"] for m in row["messages"] if m["role"] == "tool"]
    assert len(results) == 3 and all(text.startswith("Error") for text in results)
    assert "not valid JSON" in results[1] and "C99999" in results[2]
    assert row["ending"] == "max_turns" and row["turns"] == 3 and row["reward"] == 0.0


def test_llm_user_sees_swapped_roles_and_ends_with_the_stop_token(tmp_path, one):
    agent = gold_model(SCENARIO, ask="What is your customer id?")
    replies = iter([f"It's {ME}.", STOP])
    with FakeOpenAI(lambda body: agent(body) if body["model"] == "agent" else {"content": next(replies)}) as fake:
        assert run(one, "--agent", "openai:agent", "--user", "llm:user", "--base-url", fake.url,
                   "--out", str(tmp_path / "r")) == 0
    row = lines(tmp_path / "r")[0]
    assert row["reward"] == 1.0 and row["usage"]["user"]["calls"] == 2 and row["ending"] == "done"
    assert STOP not in json.dumps(row["messages"]) and row["messages"][3]["content"] == f"It's {ME}."
    seen = [r["messages"] for r in fake.requests if r["model"] == "user"]
    system = seen[0][0]["content"]
    assert SCENARIO["user"]["instruction"] in system and f"customer_id: {ME}" in system and STOP in system
    assert [m["role"] for m in seen[0][1:]] == ["assistant", "user"]  # the user's own turns are its assistant turns
    assert seen[0][2]["content"] == "What is your customer id?" and "tools" not in fake.requests[-1]


async def test_cache_serves_repeats_offline_and_a_miss_names_the_request(tmp_path):
    messages = [{"role": "user", "content": "hi"}]
    with FakeOpenAI(lambda body: {"content": "hello"}) as fake:
        online = OpenAIChat("m", fake.url, "k", cache=tmp_path, seed=3)
        assert (await online.complete(messages))[0] == {"role": "assistant", "content": "hello"}
    offline = OpenAIChat("m", cache=tmp_path, offline=True, seed=3)
    assert (await offline.complete(messages))[0]["content"] == "hello"  # the server is gone: served from disk
    assert len(fake.requests) == 1 and offline.usage.total == 120 and offline.usage.cached == 1
    key = request_key(offline.request([{"role": "user", "content": "other"}]))
    with pytest.raises(CacheMiss, match=f"no cached completion for request {key}"):
        await offline.complete([{"role": "user", "content": "other"}])
    with pytest.raises(ValueError, match="cache"):
        OpenAIChat("m", offline=True)


def test_an_eval_replays_offline_from_the_cache_byte_for_byte(tmp_path, one, capsys):
    cache = tmp_path / "cache"
    with FakeOpenAI(gold_model(SCENARIO)) as fake:
        assert run(one, "--agent", "openai:m", "--base-url", fake.url, "--out", str(tmp_path / "a"), cache=cache) == 0
    assert run(one, "--agent", "openai:m", "--out", str(tmp_path / "b"), cache=cache, offline=True) == 0
    assert (tmp_path / "a" / "trajectories.jsonl").read_bytes() == (tmp_path / "b" / "trajectories.jsonl").read_bytes()
    assert f"{CALLS} call(s), {CALLS} from cache" in capsys.readouterr().err
    assert run(one, "--agent", "openai:m", "--seed", "9", "--out", str(tmp_path / "c"), cache=cache, offline=True) == 1
    assert "trial 0: CacheMiss: offline: no cached completion for request" in capsys.readouterr().err


def test_a_failed_episode_is_reported_not_recorded_and_retried_by_a_rerun(tmp_path, one, capsys):
    argv = [one, "--agent", "openai:m", "-k", "2", "--out", str(tmp_path)]
    with FakeOpenAI(gold_model(SCENARIO), failures=[400]) as fake:  # a client error: not retried
        assert run(*argv, "--base-url", fake.url) == 1
    assert len(lines(tmp_path)) == 1 and "1 episode(s) failed" in capsys.readouterr().err
    with FakeOpenAI(gold_model(SCENARIO)) as fake:
        assert run(*argv, "--base-url", fake.url) == 0
    assert [r["trial"] for r in lines(tmp_path)] == [0, 1] and len(fake.requests) == CALLS


async def test_transient_errors_are_retried_and_params_pass_through():
    with FakeOpenAI([{"content": "ok"}], failures=[503, 429]) as fake:
        model = OpenAIChat("m", fake.url, "k", temperature=0.2, extra_body={"top_k": 5}, seed=1)
        message, usage = await model.complete([{"role": "user", "content": "hi"}], seed=7)
    assert message["content"] == "ok" and usage == {"prompt_tokens": 100, "completion_tokens": 20}
    assert len(fake.requests) == 3 and model.usage.calls == 1
    assert {k: fake.requests[-1][k] for k in ("top_k", "temperature", "seed")} == {"top_k": 5, "temperature": 0.2,
                                                                                  "seed": 7}


async def test_the_fake_server_replays_recorded_exchanges_by_request_hash():
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    with FakeOpenAI({body_key(body): {"content": "recorded"}}) as fake:
        model = OpenAIChat("m", fake.url, "k", max_retries=0)
        assert (await model.complete(body["messages"]))[0]["content"] == "recorded"
        with pytest.raises(Exception, match="no scripted response for request"):
            await model.complete([{"role": "user", "content": "new"}])

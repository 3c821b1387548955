"""Reading a role's reply the way real models write it, and asking again only when it must."""

from __future__ import annotations

import asyncio
import json

import pytest

from generator.llm import CacheMiss, Completion
from generator.synth.examples import EXAMPLES
from generator.synth.extract import join, objects
from generator.synth.prompts import messages
from generator.synth.replies import REPLIES, EdgesReply, ToolSchema
from generator.synth.roles import Ledger, Roles, read

REPLY = '{"confirmed": ["a -> b [data_flow]"], "rejected": []}'


@pytest.mark.parametrize("content", [
    f"<think>Shape: {{\"confirmed\": [...]}} and a stray {{ brace</think>\n{REPLY}",
    f"Here it is:\n```JSON\n{REPLY}\n```\nAnything else?",
    f"```python\nx = {{'a': True}}\n```\nThe reply:\n```json\n{REPLY}\n```",
    f"<think>draft:\n```json\n{{\"confirmed\": []}}\n```\nredo</think>\n```json\n{REPLY}\n```",
    '{"confirmed": ["a -> b [data_flow]",], // the one edge\n "rejected": [],}',
    "{'confirmed': ['a -> b [data_flow]'], 'rejected': [], }",
    f"the chat template ate the opening tag {{ </think>{REPLY}",
    f'Use {{ to open. He said "hi. {REPLY} and {{"x": 1}} after',
])  # fmt: skip
def test_the_last_object_of_the_right_shape_is_read_through_the_noise(content):
    reply, data, problems = read(content, EdgesReply)
    assert problems == [] and reply.confirmed == ["a -> b [data_flow]"]


def test_python_literals_are_read_as_json_values():
    assert objects('{"a": True, "b": None, "c": [False,],}') == [{"a": True, "b": None, "c": [False]}]


def test_a_cut_off_object_is_never_complete_and_the_problems_name_the_likeliest_object():
    assert objects('```json\n{"confirmed": ["a -> b') == []
    reply, data, problems = read('{"x": 1} {"confirmed": "not a list"}', EdgesReply)
    assert reply is None and data == {"confirmed": "not a list"} and problems[0].startswith("confirmed:")


def test_a_continuation_joins_without_its_fence_or_what_it_repeats():
    head = '```json\n{"confirmed": ["a -> b [data_flow]", "check_in -> complete [data'
    assert join(head, '```json\n_flow]"]}\n```') == head + '_flow]"]}\n```'
    assert join(head, '"check_in -> complete [data_flow]"]}') == head + '_flow]"]}'  # the repeated start is dropped
    assert join('{"a": "x      ', "      \n}") == '{"a": "x            \n}'  # short or blank overlaps are kept


class Scripted:
    """A chat model with `completion`: serves (content, finish_reason) pairs and records requests."""

    def __init__(self, replies):
        self.replies, self.requests, self.kept = list(replies), [], []

    async def completion(self, messages, keep=True, **params):  # noqa: ANN001, ANN201 - OpenAIChat's shape
        self.requests.append((messages, params))
        content, reason = self.replies.pop(0)
        return Completion({"role": "assistant", "content": content}, {"prompt_tokens": 10, "completion_tokens": 5},
                          reason, key=str(len(self.requests)), record={})

    def keep(self, completion):  # noqa: ANN001, ANN201
        self.kept.append(completion.key)


def ask(chat, **settings):  # noqa: ANN001, ANN201
    ledger = Ledger()
    roles = Roles({"*": chat}, ledger, settings={"*": settings} if settings else None)
    return asyncio.run(roles.ask("edges", {"Candidate edges": "- a -> b [data_flow]"})), ledger


def test_a_reply_cut_at_the_limit_is_continued_and_both_calls_are_booked_and_kept():
    chat = Scripted([('```json\n{"confirmed": ["a -> b', "length"), (' [data_flow]"], "rejected": []}\n```', "stop")])
    reply, ledger = ask(chat)
    assert reply.confirmed == ["a -> b [data_flow]"] and ledger.retries == {}
    continued = chat.requests[1][0]
    assert continued[-2] == {"role": "assistant", "content": '```json\n{"confirmed": ["a -> b'}
    assert "cut off" in continued[-1]["content"] and ledger.by_role["edges"].calls == 2 and chat.kept == ["1", "2"]


def test_a_reply_that_is_only_reasoning_at_the_limit_is_asked_again_with_twice_the_budget():
    chat = Scripted([("<think>long thoughts", "length"), (REPLY, "stop")])
    reply, _ = ask(chat, max_tokens=1000, temperature=0.1)
    assert reply.confirmed == ["a -> b [data_flow]"]
    assert chat.requests[0][1] == {"max_tokens": 1000, "temperature": 0.1}
    assert chat.requests[1] == (chat.requests[0][0], {"max_tokens": 2000, "temperature": 0.1})


def test_a_retry_sends_the_last_reply_and_its_errors_not_the_history_and_caches_only_on_success():
    chat = Scripted([('{"confirmed": 1}', "stop"), ('<think>x</think>{"confirmed": 2}', "stop"), (REPLY, "stop")])
    reply, ledger = ask(chat)
    assert reply is not None and ledger.retries == {"edges": 2} and chat.kept == ["1", "2", "3"]
    third = chat.requests[2][0]
    assert len(third) == 4 and third[2] == {"role": "assistant", "content": '{"confirmed": 2}'}
    assert "confirmed: Input should be a valid list" in third[3]["content"]

    failing = Scripted([("no json", "stop")] * 3)
    with pytest.raises(Exception, match="no acceptable reply after 3 attempts"):
        ask(failing)
    assert failing.kept == []  # a rejected exchange is asked afresh on a rerun


def test_a_cache_miss_names_the_role_and_the_attempt():
    class Offline(Scripted):
        async def completion(self, messages, keep=True, **params):  # noqa: ANN001, ANN201
            raise CacheMiss("offline: no cached completion for request abc")

    with pytest.raises(CacheMiss, match="role edges, attempt 1: offline: no cached completion for request abc"):
        ask(Offline([]))


@pytest.mark.parametrize("role", list(EXAMPLES))
def test_every_role_prompt_shows_an_example_reply_that_its_reply_model_accepts(role):
    example = EXAMPLES[role]
    if role == "tools":  # shortened to two tools: each must still be a valid tool
        assert all(ToolSchema.model_validate(t) for t in example["tools"].values())
    else:
        REPLIES[role].model_validate(example)
    assert json.dumps(example, ensure_ascii=False, separators=(",", ":")) in messages(role, {}, **({"name": "x"} if role == "domain" else {}))[1]["content"]

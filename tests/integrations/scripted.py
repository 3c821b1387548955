"""Scripted models for third-party harnesses: a function of the chat request that plays a scenario.

`gold_model(scenarios)` answers each request with the next gold action of the scenario whose
instruction opens the conversation, then with what a fully informed agent tells the user;
`idle_model` only talks. Both serve through `tests.fake_openai.FakeOpenAI`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from generator.harness.agents import answers
from tests.fake_openai import tool_call


def text_of(content: Any) -> str:
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content or ""


def gold_model(scenarios: list[dict[str, Any]]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The model that plays each scenario's gold actions in order, then states its answers."""
    by_instruction = {s["user"]["instruction"]: s for s in scenarios}

    def reply(body: dict[str, Any]) -> dict[str, Any]:
        messages = body["messages"]
        first = next(text_of(m["content"]) for m in messages if m["role"] == "user")
        scenario = by_instruction[first.strip()]
        done = sum(len(m.get("tool_calls") or []) for m in messages if m["role"] == "assistant")
        if done < len(scenario["gold_actions"]):
            action = scenario["gold_actions"][done]
            names = [t["function"]["name"] for t in body.get("tools") or []]
            # Harnesses may prefix tool names with their server's name.
            name = next(n for n in names if n == action["tool"] or n.endswith("_" + action["tool"]))
            return {"tool_calls": [tool_call(f"call_{done}", name, action["arguments"])]}
        return {"content": answers(scenario) or "Done."}

    return reply


def idle_model(body: dict[str, Any]) -> dict[str, Any]:
    """The model that does nothing: no tool call, no answer."""
    return {"content": "Thank you for reaching out."}

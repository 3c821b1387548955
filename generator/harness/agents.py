"""Agents that play episodes, producing OpenAI chat transcripts.

Every agent has `run(client, scenario, instructions, tools, user, max_turns, seed=None)`
returning `(messages, usage)`: the OpenAI chat messages of the episode (system, user,
assistant turns with `tool_calls`, `role: tool` results) and the tokens spent, as
`{"agent": {...}, "user": {...}}`. `client` is the episode's MCP client.

- `OracleAgent` replays the gold actions and states the answers the scenario's answer
  checks expect (must score 1.0).
- `NoopAgent` does nothing (must score 0 wherever the gold writes).
- `LLMAgent` runs a chat model with the episode's MCP tools as OpenAI function tools; each
  tool call is executed on the episode and its result (errors included, as text) goes back
  as a `role: tool` message; when the model answers without tool calls the user simulator
  replies or ends the episode. The model's own turns are stored exactly as returned.
"""

from __future__ import annotations

import json
from typing import Any

from mcp import MCPError

from generator.harness.users import STOP, LLMUser, ScriptedUser, UserSimulator, content_text, is_stop
from generator.llm import ChatModel

__all__ = ["STOP", "LLMAgent", "LLMUser", "NoopAgent", "OracleAgent", "ScriptedUser", "answers", "openai_tools",
           "result_text", "said", "system_prompt"]

Messages = list[dict[str, Any]]


def openai_tools(tools: list[Any]) -> list[dict[str, Any]]:
    """MCP tools as OpenAI function tools (name, description, parameters = the input schema)."""
    return [{"type": "function", "function": {"name": t.name, "description": t.description or "",
                                              "parameters": t.input_schema}} for t in tools]


def result_text(result: Any) -> str:
    """What the model reads for a tool result: its text content (errors marked as such)."""
    text = "\n".join(c.text for c in result.content if getattr(c, "text", None) is not None)
    if not text and result.structured_content is not None:
        text = json.dumps(result.structured_content, sort_keys=True, ensure_ascii=False)
    if result.is_error and not text.lower().startswith("error"):
        text = f"Error: {text}"
    return text


def answers(scenario: dict[str, Any]) -> str:
    """What a fully informed agent tells the user for the scenario's answer checks."""
    said = ["I cannot do that, our policy does not allow it" if c["expect"] == [["declined"]] else
            " ".join(group[0] for group in c.get("accept") or [[str(v) for row in c["expect"] for v in row]])
            for c in scenario["checks"] if c["kind"] == "answer"]
    return "".join(f"Here is what you asked: {text}. " for text in said)


def system_prompt(instructions: str) -> str:
    """The agent's system prompt: the server's instructions (its policy) and its role."""
    return (f"{instructions}\n\nYou are a customer-service agent acting for the user in this conversation. "
            "Use the tools to look things up and make changes; follow the policy; tell the user what you did.")


def said(messages: Messages) -> str:
    """Everything the agent told the user (the transcript answer checks read)."""
    return "\n".join(content_text(m.get("content")) for m in messages if m["role"] == "assistant")


def opening(instructions: str, first: str) -> Messages:
    return [{"role": "system", "content": system_prompt(instructions)}, {"role": "user", "content": first}]


def tokens(usage: dict[str, int] | None = None) -> dict[str, int]:
    usage = usage or {}
    return {"prompt_tokens": usage.get("prompt_tokens", 0), "completion_tokens": usage.get("completion_tokens", 0),
            "calls": usage.get("calls", 0)}


def no_usage() -> dict[str, dict[str, int]]:
    return {"agent": tokens(), "user": tokens()}


def count(total: dict[str, int], used: dict[str, int]) -> None:
    total["prompt_tokens"] += used.get("prompt_tokens", 0)
    total["completion_tokens"] += used.get("completion_tokens", 0)
    total["calls"] += 1


async def execute(client: Any, call: dict[str, Any]) -> str:
    """Run one tool call of the model on the episode; every failure comes back as text."""
    function = call.get("function") or {}
    name, raw = function.get("name", ""), function.get("arguments") or "{}"
    try:
        arguments = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError as exc:
        return f"Error: the arguments of {name} are not valid JSON ({exc}); send one JSON object."
    if not isinstance(arguments, dict):
        return f"Error: the arguments of {name} must be a JSON object, not {type(arguments).__name__}."
    try:
        return result_text(await client.call_tool(name, arguments))
    except MCPError as exc:
        return f"Error: {exc}"


class OracleAgent:
    """Replays the scenario's gold actions, one tool call per turn, then states the answers."""

    async def run(self, client: Any, scenario: dict, instructions: str, tools: list, user: UserSimulator,
                  max_turns: int, seed: int | None = None) -> tuple[Messages, dict]:
        messages = opening(instructions, scenario["user"]["instruction"])
        for i, action in enumerate(scenario["gold_actions"]):
            call = {"id": f"call_{i}", "type": "function",
                    "function": {"name": action["tool"], "arguments": json.dumps(action["arguments"], sort_keys=True)}}
            messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
            messages.append({"role": "tool", "tool_call_id": call["id"], "content": await execute(client, call)})
        messages.append({"role": "assistant", "content": answers(scenario) + "All done."})
        return messages, no_usage()


class NoopAgent:
    """Answers without doing anything."""

    async def run(self, client: Any, scenario: dict, instructions: str, tools: list, user: UserSimulator,
                  max_turns: int, seed: int | None = None) -> tuple[Messages, dict]:
        messages = opening(instructions, scenario["user"]["instruction"])
        messages.append({"role": "assistant", "content": "Sorry, I can't help with that."})
        return messages, no_usage()


class LLMAgent:
    """A chat model with the episode's tools; `max_turns` bounds its completions per episode."""

    def __init__(self, model: ChatModel):
        self.model = model

    async def run(self, client: Any, scenario: dict, instructions: str, tools: list, user: UserSimulator,
                  max_turns: int, seed: int | None = None) -> tuple[Messages, dict]:
        messages = opening(instructions, await user.first(scenario))
        usage = no_usage()
        for _ in range(max_turns):
            message, used = await self.model.complete(messages, tools, seed=seed)
            count(usage["agent"], used)
            messages.append(message)
            calls = message.get("tool_calls") or []
            for call in calls:
                messages.append({"role": "tool", "tool_call_id": call.get("id", ""),
                                 "content": await execute(client, call)})
            if calls:
                continue
            reply, used = await user.reply(scenario, messages, seed=seed)
            if used:
                count(usage["user"], used)
            if is_stop(reply):
                break
            messages.append({"role": "user", "content": reply})
        return messages, usage

"""User simulators: the other side of an episode's conversation.

A simulator opens with the scenario's instruction (already written in the user's voice and
grounded in the gold chain) and then answers each agent turn that has no tool calls. It
ends the conversation by replying with `STOP`; the harness does not record that turn.

- `ScriptedUser` is offline and deterministic and follows the scenario's `behaviour` rules:
  it gives the `known_info` facts whose names a question mentions, confirms when asked to
  confirm, says it knows no more otherwise, and stops once the agent answers without asking
  anything or after a few replies.
- `LLMUser` is a chat model playing the user from its profile, instruction and known and
  unknown facts, with the conversation shown to it with the roles swapped; it is told to
  stop only after the agent has acted on (or refused) everything asked.
"""

from __future__ import annotations

import json
import re
from typing import Any, Protocol

from generator.llm import ChatModel

STOP = "###STOP###"


class UserSimulator(Protocol):
    async def first(self, scenario: dict[str, Any]) -> str:
        """The user's opening message."""
        ...

    async def reply(
        self, scenario: dict[str, Any], messages: list[dict[str, Any]], seed: int | None = None
    ) -> tuple[str, dict[str, int]]:
        """The answer to the agent's last turn (`STOP` to end) and the tokens it cost."""
        ...


def is_stop(text: str | None) -> bool:
    """Whether a user turn ends the conversation (the stop token, or nothing said)."""
    return not (text or "").strip() or STOP in text


def content_text(content: Any) -> str:
    """A message's content as text (plain strings, or lists of text parts)."""
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content or ""


CONFIRM = re.compile(r"\b(confirm|proceed|go ahead|shall i|should i|do you want|would you like|is that (right|correct)|ok\b|okay)",
                     re.I)
CLOSING = re.compile(r"anything else|something else|further assist|other questions|help you with today", re.I)


class ScriptedUser:
    """The offline user (see the module docstring); `max_replies` bounds a chatty agent."""

    def __init__(self, max_replies: int = 4):
        self.max_replies = max_replies

    async def first(self, scenario: dict[str, Any]) -> str:
        return scenario["user"]["instruction"]

    def facts_asked(self, scenario: dict[str, Any], question: str) -> list[str]:
        """Known facts whose name the question mentions (`user_id` matches "user id" too)."""
        text = question.lower().replace("_", " ")
        known = scenario["user"]["known_info"]
        return [fact for fact in known if fact.split(":", 1)[0].strip().lower().replace("_", " ") in text]

    async def reply(
        self, scenario: dict[str, Any], messages: list[dict[str, Any]], seed: int | None = None
    ) -> tuple[str, dict[str, int]]:
        """Follows the scenario's behaviour rules: a detail only when asked, "I don't know" for the
        rest, a confirmation when asked to confirm, and the end once the agent asks nothing."""
        said = sum(1 for m in messages[2:] if m["role"] == "user")
        last = content_text(messages[-1].get("content")).strip()
        if said >= self.max_replies or "?" not in last or CLOSING.search(last):
            return STOP, {}
        facts = self.facts_asked(scenario, last)
        if facts:
            return "Sure: " + "; ".join(facts) + ".", {}
        if CONFIRM.search(last):
            return "Yes, please go ahead with what I asked.", {}
        return "I'm sorry, I don't know more than what I told you; please go ahead with what I asked.", {}


def user_prompt(scenario: dict[str, Any]) -> str:
    """The LLM user's system prompt: who they are, what they want, what they know and don't."""
    user = scenario["user"]
    return "\n".join([
        "You are a customer talking to a customer-service agent by chat. Play this customer; the agent "
        "cannot see these notes. Write short, natural messages in the first person.",
        "Your profile: " + json.dumps(user["profile"], sort_keys=True, ensure_ascii=False),
        "Your goal (you already said this in your first message): " + user["instruction"],
        "Facts you know (give one only when the agent asks for it): " + "; ".join(user["known_info"] or ["-"]),
        "Facts you do not know (never make them up; they may be what you want to learn): "
        + "; ".join(user["unknown_info"] or ["-"]),
        *(["How to behave: " + " ".join(user["behaviour"])] if user.get("behaviour") else []),
        "If the agent asks you to confirm an action that is part of your goal, confirm it. Never ask for "
        "anything outside your goal and never invent ids or details.",
        f"Do not end the conversation while the agent is still working on your requests. Once the agent has "
        f"done, or clearly refused, everything you asked and told you any information you wanted, reply with "
        f"only {STOP}.",
    ])


class LLMUser:
    """A chat model playing the user (see the module docstring)."""

    def __init__(self, model: ChatModel):
        self.model = model

    async def first(self, scenario: dict[str, Any]) -> str:
        return scenario["user"]["instruction"]

    def view(self, scenario: dict[str, Any], messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The conversation from the user's side: roles swapped; tool calls and results left out."""
        view = [{"role": "system", "content": user_prompt(scenario)}]
        for m in messages[1:]:
            text = content_text(m.get("content"))
            if m["role"] == "user":
                view.append({"role": "assistant", "content": text})
            elif m["role"] == "assistant" and text:
                view.append({"role": "user", "content": text})
        return view

    async def reply(
        self, scenario: dict[str, Any], messages: list[dict[str, Any]], seed: int | None = None
    ) -> tuple[str, dict[str, int]]:
        message, usage = await self.model.complete(self.view(scenario, messages), seed=seed)
        return content_text(message.get("content")).strip(), usage

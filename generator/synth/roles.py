"""Asking a role: one chat call, a validated reply, bounded retries, and token accounting.

`Roles.ask` reads the last JSON object of the right shape in the assistant's reply
(`extract.py`), runs the stage's own checks, and on any problem asks again with the errors
and its last reply, never the whole history (at most `retries` times). A reply cut off at
the token limit is continued, or asked for again with a larger budget when nothing but
reasoning came back. Every call's usage is booked on the `Ledger` under its role; the cache
keeps a role's exchanges only once its reply is accepted.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from generator.errors import GeneratorError
from generator.llm import CacheMiss, Completion, complete
from generator.synth import prompts
from generator.synth.extract import join, objects, visible
from generator.synth.replies import REPLIES

Check = Callable[[Any], list[str] | Awaitable[list[str]]]
MAX_CONTINUATIONS = 3
SETTINGS = ("temperature", "top_p", "max_tokens", "extra_body")  # what --setting may set, globally or per role


class SynthesisError(GeneratorError):
    """A stage could not produce an acceptable reply, or the domain could not be built."""


@dataclass
class Tokens:
    prompt: int = 0
    completion: int = 0
    calls: int = 0

    @property
    def total(self) -> int:
        return self.prompt + self.completion


@dataclass
class Ledger:
    """Token usage per role for one domain, plus the stage log shown to the user."""

    by_role: dict[str, Tokens] = field(default_factory=dict)
    retries: dict[str, int] = field(default_factory=dict)

    def book(self, role: str, usage: dict[str, int]) -> None:
        tokens = self.by_role.setdefault(role, Tokens())
        tokens.prompt += usage.get("prompt_tokens", 0)
        tokens.completion += usage.get("completion_tokens", 0)
        tokens.calls += 1

    @property
    def total(self) -> Tokens:
        out = Tokens()
        for t in self.by_role.values():
            out.prompt, out.completion, out.calls = out.prompt + t.prompt, out.completion + t.completion, out.calls + t.calls
        return out

    def as_dict(self) -> dict[str, Any]:
        return {role: {"prompt": t.prompt, "completion": t.completion, "calls": t.calls}
                for role, t in self.by_role.items()}


def read(content: str, model: type) -> tuple[Any, dict[str, Any] | None, list[str]]:
    """(reply or None, the object it was read from, problems): the last JSON object of the reply
    that validates against `model`; else the problems of the object that looks most like one."""
    found = objects(content)
    if not found:
        return None, None, ["the reply holds no complete JSON object: reply with one JSON object"]
    errors: dict[int, ValidationError] = {}
    for i in reversed(range(len(found))):
        try:
            return model.model_validate(found[i]), found[i], []
        except ValidationError as exc:
            errors[i] = exc
    fields = set(model.model_fields)
    best = max(errors, key=lambda i: (len(fields & set(found[i])), i))  # most of the reply's keys; the last on a tie
    return None, found[best], validation_problems(errors[best])


def validation_problems(exc: ValidationError) -> list[str]:
    """pydantic errors as `path: message (got value)` lines, in a stable order."""
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-after")) or "<root>"
        got = "" if err["type"] == "missing" else f" (got {json.dumps(err.get('input'), default=str)[:80]})"
        lines.append(f"{where}: {err['msg']}{got}")
    return sorted(set(lines))


class Roles:
    """The chat models behind each role (one default "*", optional per-role overrides) and
    the request settings of each role (`settings["*"]` for all, `settings[role]` on top)."""

    def __init__(self, chats: dict[str, Any], ledger: Ledger, retries: int = 2,
                 log: Callable[[str], None] | None = None, settings: dict[str, dict[str, Any]] | None = None):
        self.chats = chats
        self.ledger = ledger
        self.retries = retries
        self.log = log or (lambda _: None)
        self.settings = settings or {}

    def chat(self, role: str) -> Any:
        return self.chats.get(role) or self.chats["*"]

    def params(self, role: str) -> dict[str, Any]:
        return {**self.settings.get("*", {}), **self.settings.get(role, {})}

    async def call(self, role: str, messages: list[dict[str, Any]], attempt: int) -> tuple[str, list[Completion]]:
        """The whole reply text to `messages`: continued while the model stops at the token limit."""
        params = self.params(role)
        done: list[Completion] = []
        text = ""
        for turn in range(MAX_CONTINUATIONS + 1):
            ask = messages
            if done and visible(text).strip():
                ask = [*messages, {"role": "assistant", "content": text}, prompts.CONTINUE]
            elif done:  # only reasoning before the cut: the same request with twice the budget
                budget = params.get("max_tokens") or done[-1].usage.get("completion_tokens") or 4096
                params = {**params, "max_tokens": 2 * budget}
                text = ""
            try:
                completion = await complete(self.chat(role), ask, **params)
            except CacheMiss as exc:
                raise CacheMiss(f"role {role}, attempt {attempt}" + (f", continuation {turn}" if turn else "")
                                + f": {exc}") from None
            self.ledger.book(role, completion.usage)
            done.append(completion)
            text = join(text, completion.content) if ask is not messages else completion.content
            if completion.finish_reason != "length":
                return text, done
            self.log(f"{role}: reply {attempt} cut off at the token limit ({completion.usage.get('completion_tokens', 0)}"
                     " completion tokens); asking for the rest")
        return text, done

    async def ask(self, role: str, context: dict[str, Any], check: Check | None = None, **fmt: Any) -> Any:
        """A reply of `role` that parses, validates and passes `check`; raises SynthesisError after the retries."""
        opening = prompts.messages(role, context, **fmt)
        messages = opening
        model = REPLIES[role]
        problems: list[str] = []
        exchanges: list[Completion] = []
        for attempt in range(1, self.retries + 2):
            content, done = await self.call(role, messages, attempt)
            exchanges += done
            reply, data, problems = read(content, model)
            if done[-1].finish_reason == "length":
                problems = [f"the reply was cut off at the token limit after {MAX_CONTINUATIONS} continuations; "
                            "reply more compactly", *(problems if reply is None else [])]
            elif reply is not None:
                found = check(reply) if check else []
                problems = list(await found) if inspect.isawaitable(found) else list(found)
                if not problems:
                    self.keep(role, exchanges)
                    return reply
            self.ledger.retries[role] = self.ledger.retries.get(role, 0) + 1
            self.log(f"{role}: reply {attempt} rejected ({len(problems)} problem(s): {problems[0]})")
            last = json.dumps(data, ensure_ascii=False) if data is not None else visible(content).strip()[-2000:]
            messages = [*opening, {"role": "assistant", "content": last}, prompts.feedback(problems)]
        raise SynthesisError(f"{role}: no acceptable reply after {self.retries + 1} attempts: " + "; ".join(problems[:5]))

    def keep(self, role: str, exchanges: list[Completion]) -> None:
        """Cache a role's exchanges once its reply is accepted (a failed role is asked afresh on a rerun)."""
        chat = self.chat(role)
        if hasattr(chat, "keep"):
            for completion in exchanges:
                chat.keep(completion)

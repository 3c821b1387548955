"""LLM access behind one small protocol, with an OpenAI-compatible adapter and an on-disk cache.

`ChatModel.complete(messages, tools, **params)` returns the assistant message (OpenAI chat
format, as a dict) and its token usage. `OpenAIChat` talks to any OpenAI-compatible endpoint
(vLLM, SGLang, Ollama, LiteLLM) through the real `openai` client, which retries transient
failures (connection errors, 408/409/429/5xx) with exponential backoff; a semaphore bounds
the requests in flight. With a cache folder every completion is stored under the sha256 of
its canonical request JSON (`<cache>/<key>.json`), so a rerun is served from disk;
`offline=True` answers only from the cache and raises `CacheMiss`, naming the key, for
anything else. `usage` keeps the token totals of every call. `completion(..., keep=False)`
also gives the `finish_reason` and stores nothing until `keep(completion)`: synthesis caches
only the replies its roles accepted, so a rejected reply is asked for again on a rerun.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


class CacheMiss(Exception):
    """An offline run asked for a completion the cache does not hold."""


@dataclass
class Usage:
    """Token totals over calls; `cached` counts the calls answered from the cache."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    cached: int = 0

    def add(self, usage: dict[str, int], cached: bool = False) -> None:
        self.prompt_tokens += usage.get("prompt_tokens", 0)
        self.completion_tokens += usage.get("completion_tokens", 0)
        self.calls += 1
        self.cached += cached

    @property
    def total(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class ChatModel(Protocol):
    """Anything that completes a chat: the harness and the synthesizer depend only on this."""

    usage: Usage

    async def complete(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None, **params: Any
    ) -> tuple[dict[str, Any], dict[str, int]]: ...


@dataclass
class Completion:
    """One answered request: the assistant message, its usage and why the model stopped
    (`length`: cut off at the token budget). `record` is what `OpenAIChat.keep` stores."""

    message: dict[str, Any]
    usage: dict[str, int]
    finish_reason: str = "stop"
    cached: bool = False
    key: str = ""
    record: dict[str, Any] | None = None

    @property
    def content(self) -> str:
        return self.message.get("content") or ""


async def complete(model: Any, messages: list[dict[str, Any]], **params: Any) -> Completion:
    """A `Completion` from any chat model: `completion` where the model has it, else `complete`."""
    if hasattr(model, "completion"):
        return await model.completion(messages, keep=False, **params)
    message, usage = await model.complete(messages, **params)
    return Completion(message, usage)


def canonical_json(value: Any) -> str:
    """The one serialization requests are hashed in: sorted keys, no spaces, ASCII escapes
    (recorded caches depend on it: changing it changes every key)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def request_key(request: dict[str, Any]) -> str:
    """The cache key of a request: sha256 of its canonical JSON."""
    return hashlib.sha256(canonical_json(request).encode()).hexdigest()


def assistant_message(message: Any) -> dict[str, Any]:
    """The SDK's message as a plain dict, nothing the model produced changed: unset and empty
    fields (`refusal: null`, `annotations: []`) are left out; `content` is always present."""
    data = message.model_dump(exclude_none=True) if hasattr(message, "model_dump") else dict(message)
    data = {k: v for k, v in data.items() if v not in ([], {})}
    data.setdefault("role", "assistant")
    data.setdefault("content", None)
    return data


@dataclass
class OpenAIChat:
    """Chat completions with tools on an OpenAI-compatible endpoint (see the module docstring).

    `base_url`/`api_key` default to `$OPENAI_BASE_URL`/`$OPENAI_API_KEY`; `seed`, `temperature`,
    `max_tokens` and `extra_body` (vendor fields such as vLLM's `top_k`) go into every request
    unless a call overrides them through `complete(..., **params)`.
    """

    model: str
    base_url: str | None = None
    api_key: str | None = None
    seed: int | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    extra_body: dict[str, Any] | None = None
    cache: Path | None = None
    offline: bool = False
    concurrency: int = 8
    max_retries: int = 4
    timeout: float = 300.0
    usage: Usage = field(default_factory=Usage)

    def __post_init__(self) -> None:
        if self.offline and self.cache is None:
            raise ValueError("offline mode answers from the cache only: give a cache folder")
        self.cache = Path(self.cache) if self.cache is not None else None
        self._limit = asyncio.Semaphore(max(1, self.concurrency))
        self._client: Any = None

    def client(self) -> Any:
        """The `openai.AsyncOpenAI` client, made on first use (offline runs never make one)."""
        if self._client is None:
            from openai import AsyncOpenAI

            self._client = AsyncOpenAI(
                base_url=self.base_url or os.environ.get("OPENAI_BASE_URL"),
                api_key=self.api_key or os.environ.get("OPENAI_API_KEY") or "not-needed",
                max_retries=self.max_retries,  # exponential backoff with jitter on transient errors
                timeout=self.timeout,
            )
        return self._client

    def request(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None, **params: Any
    ) -> dict[str, Any]:
        """The request body (also what the cache key is computed from)."""
        defaults = {"seed": self.seed, "temperature": self.temperature, "max_tokens": self.max_tokens,
                    "extra_body": self.extra_body}
        request: dict[str, Any] = {"model": self.model, "messages": messages}
        if tools:
            request["tools"] = tools
        given = {name: value for name, value in params.items() if value is not None}  # None keeps the default
        for name, value in {**defaults, **given}.items():
            if value is not None:
                request[name] = value
        return request

    def cached(self, key: str) -> dict[str, Any] | None:
        path = self.cache / f"{key}.json" if self.cache else None
        return json.loads(path.read_text()) if path is not None and path.exists() else None

    def store(self, key: str, record: dict[str, Any]) -> None:
        if self.cache is None:
            return
        self.cache.mkdir(parents=True, exist_ok=True)
        tmp = self.cache / f".{key}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, self.cache / f"{key}.json")  # atomic: concurrent runs never read half a file

    async def complete(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None, **params: Any
    ) -> tuple[dict[str, Any], dict[str, int]]:
        """One chat completion: (assistant message as a dict, {prompt_tokens, completion_tokens}), cached."""
        done = await self.completion(messages, tools, **params)
        return done.message, done.usage

    async def completion(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None, keep: bool = True,
        **params: Any,
    ) -> Completion:
        """One chat completion with its finish reason; stored in the cache now (`keep`) or by `keep()` later."""
        request = self.request(messages, tools, **params)
        key = request_key(request)
        stored = self.cached(key)
        if stored is not None:
            self.usage.add(stored["usage"], cached=True)
            return Completion(stored["message"], stored["usage"], stored.get("finish_reason", "stop"), True, key)
        if self.offline:
            raise CacheMiss(f"offline: no cached completion for request {key} (model {self.model!r}) in "
                            f"{self.cache}; run once online with this cache folder to record it")
        async with self._limit:
            response = await self.client().chat.completions.create(**request)
        choice = response.choices[0]
        message = assistant_message(choice.message)
        tokens = response.usage
        usage = {"prompt_tokens": tokens.prompt_tokens if tokens else 0,
                 "completion_tokens": tokens.completion_tokens if tokens else 0}
        self.usage.add(usage)
        reason = choice.finish_reason or "stop"
        record = {"request": request, "message": message, "usage": usage}
        if reason != "stop":  # recorded caches of plain stops stay as they were
            record["finish_reason"] = reason
        done = Completion(message, usage, reason, False, key, record)
        if keep:
            self.keep(done)
        return done

    def keep(self, completion: Completion) -> None:
        """Store a completion in the cache (once; completions served from the cache are there already)."""
        if completion.record is not None:
            self.store(completion.key, completion.record)
            completion.record = None

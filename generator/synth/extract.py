"""The JSON object in a model's reply, however the model wrapped it.

Real models think aloud (`<think>` blocks, which may hold braces or a fenced draft), wrap
the answer in prose and fences of any language tag, and write JSON the way people do
(trailing commas, `//` comments, `True`/`None`, single quotes). `objects` finds every
complete, balanced `{...}` outside the reasoning; `json_repair` reads each leniently; the
caller keeps the last one of the right shape. An object cut off mid-way is never complete,
so a truncated reply is not mistaken for a short one.
"""

from __future__ import annotations

import json
import re
from typing import Any

import json_repair

OPEN = re.compile(r"<(think|thinking|reasoning)>", re.IGNORECASE)
CLOSE = re.compile(r"</(think|thinking|reasoning)>", re.IGNORECASE)
FENCE_START = re.compile(r"^\s*```[A-Za-z]*[ \t]*\n?")


def visible(text: str) -> str:
    """The reply without its reasoning: text up to the last closing tag is reasoning (also when
    a chat template swallowed the opening tag); an unclosed opening tag hides the rest."""
    closes = list(CLOSE.finditer(text))
    if closes:
        text = text[closes[-1].end() :]
    opened = OPEN.search(text)
    return text[: opened.start()] if opened else text


def spans(text: str, start: int = 0) -> list[tuple[int, int]]:
    """The outermost balanced `{...}` spans from `start`, in order. Strings and `//` comments
    are skipped inside an object only, so quotes in prose around it do no harm; a `{` that is
    never closed (prose, or a cut-off object) is left out and the text after it read afresh."""
    pairs: list[tuple[int, int]] = []
    stack: list[int] = []
    i, n = start, len(text)
    while i < n:
        ch = text[i]
        if stack and ch == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif stack and text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif ch == "{":
            stack.append(i)
        elif ch == "}" and stack:
            pairs.append((stack.pop(), i + 1))
        i += 1
    if stack:  # everything after the first unclosed brace was read inside it: read it again
        pairs = [p for p in pairs if p[1] <= stack[0]] + spans(text, stack[0] + 1)
    outer: list[tuple[int, int]] = []
    for begin, end in sorted(pairs):
        if not outer or begin >= outer[-1][1]:
            outer.append((begin, end))
    return outer


def load(candidate: str) -> Any:
    """Strict JSON first; else what a tolerant reader makes of it (None when nothing)."""
    try:
        return json.loads(candidate)
    except ValueError:
        pass
    try:
        return json_repair.loads(candidate)
    except Exception:  # the repairer gives up on some inputs with its own errors
        return None


def objects(content: str) -> list[dict[str, Any]]:
    """Every complete JSON object of the reply, in order: outside the reasoning when there are
    any, else inside it (a model that answered in its reasoning)."""
    for text in (visible(content), content):
        found = [data for start, end in spans(text) if isinstance(data := load(text[start:end]), dict)]
        if found:
            return found
    return []


def join(head: str, tail: str) -> str:
    """A reply cut off at the token limit and its continuation as one text: a fence the
    continuation reopens is dropped, and so is text it repeats from the end of `head`."""
    if head.count("```") % 2:  # cut off inside a fence: the continuation's own opening fence is noise
        tail = FENCE_START.sub("", tail, count=1)
    for size in range(min(len(head), len(tail), 400), 15, -1):  # short overlaps happen by chance: keep them
        if head.endswith(tail[:size]) and tail[:size].strip():
            return head + tail[size:]
    return head + tail

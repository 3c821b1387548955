"""A local OpenAI-compatible chat server for offline tests of the real `openai` client.

`FakeOpenAI(script)` serves POST /v1/chat/completions on 127.0.0.1 (stdlib http.server in a
thread) and records every request body in `.requests`. The script gives the assistant
message (content and/or tool_calls) for a request and is one of:

- a function of the request body;
- a list of messages, served in order;
- a dict from `body_key(body)` (sha256 of the body's canonical JSON) to a message: replays
  recorded exchanges; an unknown request gets HTTP 400 naming its key.

A request with `"stream": true` gets the same message as server-sent chunks.
`failures=[503, ...]` answers the first requests with those statuses (and `retry-after-ms: 1`,
so the client's retries are quick) before the script takes over. A scripted message may carry
`finish_reason` (e.g. `length`, a reply cut off at the token limit); it is sent beside the message.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Script = Callable[[dict[str, Any]], dict[str, Any]] | list[dict[str, Any]] | dict[str, dict[str, Any]]


def body_key(body: dict[str, Any]) -> str:
    """The key of a request body: sha256 of its canonical JSON (sorted keys, no spaces)."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def tool_call(call_id: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI tool call as a model emits it (arguments as a JSON string)."""
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}


def stream_chunks(reply: dict[str, Any]) -> list[dict[str, Any]]:
    """A chat completion as the chunks of a streamed one (`stream: true`): the message, the finish, the usage."""
    head = {k: reply[k] for k in ("id", "created", "model")} | {"object": "chat.completion.chunk"}
    choice = reply["choices"][0]
    message = choice["message"]
    delta = {"role": "assistant", "content": message.get("content")}
    if message.get("tool_calls"):
        delta["tool_calls"] = [{"index": i, **call} for i, call in enumerate(message["tool_calls"])]
    return [head | {"choices": [{"index": 0, "delta": delta, "finish_reason": None}]},
            head | {"choices": [{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}]},
            head | {"choices": [], "usage": reply["usage"]}]


class FakeOpenAI:
    """The server (see the module docstring); use as a context manager, read `url` and `requests`."""

    def __init__(self, script: Script, failures: list[int] | None = None, usage: tuple[int, int] = (100, 20)):
        self.script = script
        self.failures = list(failures or [])
        self.usage = usage
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.requests.append(body)
            if self.failures:
                return self.failures.pop(0), {"error": {"message": "scripted failure", "type": "server_error"}}
            if callable(self.script):
                message = self.script(body)
            elif isinstance(self.script, list):
                message = self.script.pop(0)
            elif body_key(body) in self.script:
                message = self.script[body_key(body)]
            else:
                return 400, {"error": {"message": f"no scripted response for request {body_key(body)}"}}
        message = {"role": "assistant", "content": None, **message}
        reason = message.pop("finish_reason", None) or ("tool_calls" if message.get("tool_calls") else "stop")
        return 200, {
            "id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion", "created": 0, "model": body["model"],
            "choices": [{"index": 0, "message": message, "finish_reason": reason}],
            "usage": {"prompt_tokens": self.usage[0], "completion_tokens": self.usage[1],
                      "total_tokens": sum(self.usage)},
        }

    def handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status, reply = fake.answer(body)
                if status == 200 and body.get("stream"):
                    self.send_response(status)
                    self.send_header("Content-Type", "text/event-stream")
                    self.end_headers()  # HTTP/1.0: closing the connection ends the stream
                    for chunk in stream_chunks(reply):
                        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.write(b"data: [DONE]\n\n")
                    return
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("retry-after-ms", "1")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def __enter__(self) -> FakeOpenAI:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def fake_openai(script: Script, **options: Any) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Serve `script` for the duration; yields (base_url, requests seen)."""
    with FakeOpenAI(script, **options) as fake:
        yield fake.url, fake.requests

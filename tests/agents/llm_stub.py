"""A local OpenAI-compatible stub server over real HTTP on 127.0.0.1, scripted per test.

Each provider gets its own path prefix (``/<name>/v1``) and its own queue of scripted answers, so one server
plays a whole fallback chain; every request body is kept for assertions.

A request with ``"stream": true`` answered by a 200 step gets real SSE chunks (``data: {...}`` frames, then
``data: [DONE]``): the step's `chunks`, or its completion's text split after each space. The usage chunk is
sent only when the request asks for it (``stream_options.include_usage``) and the step has `usage`.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse


@dataclass
class Step:
    status: int = 200
    body: dict[str, Any] = field(default_factory=dict)
    delay_s: float = 0.0
    chunks: list[str] | None = None
    usage: bool = True
    hold: threading.Event | None = None
    """When set, the answer waits until the test sets this event: a model that is slow for exactly as
    long as the test needs, with no sleep to tune."""


def streamed(*chunks: str, tokens: tuple[int, int] = (20, 10), usage: bool = True) -> Step:
    """A streamed text answer in exactly these pieces (the same step answers a non-streaming request too)."""
    step = completion("".join(chunks), tokens=tokens)
    step.chunks = list(chunks)
    step.usage = usage
    return step


def _frame(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload)}\n\n"


async def _sse(step: Step, request: dict[str, Any]) -> AsyncIterator[str]:
    content = step.body["choices"][0]["message"].get("content") or ""
    chunks = step.chunks if step.chunks is not None else re.findall(r"\S+\s*|\s+", content)
    base = {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": 0, "model": "stub-model"}
    yield _frame({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]})
    for text in chunks:
        yield _frame({**base, "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]})
    yield _frame({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    if step.usage and (request.get("stream_options") or {}).get("include_usage"):
        yield _frame({**base, "choices": [], "usage": step.body["usage"]})
    yield "data: [DONE]\n\n"


def completion(
    content: str | None = None, *, tool: tuple[str, str] | None = None, tokens: tuple[int, int] = (20, 10)
) -> Step:
    """A chat completion answer: text content, or a tool call (name, JSON arguments)."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool is not None:
        message["tool_calls"] = [
            {"id": "call_1", "type": "function", "function": {"name": tool[0], "arguments": tool[1]}}
        ]
    return Step(
        body={
            "id": "chatcmpl-stub",
            "object": "chat.completion",
            "created": 0,
            "model": "stub-model",
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if tool else "stop"}],
            "usage": {
                "prompt_tokens": tokens[0],
                "completion_tokens": tokens[1],
                "total_tokens": sum(tokens),
            },
        }
    )


def error(status: int, message: str = "scripted error") -> Step:
    return Step(status=status, body={"error": {"message": message, "type": "stub", "code": status}})


class StubLLM:
    def __init__(self) -> None:
        self.queues: dict[str, deque[Step]] = defaultdict(deque)
        self.requests: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.url = ""
        self.app = FastAPI()

        @self.app.post("/{provider}/v1/chat/completions")
        async def chat(provider: str, request: Request) -> Response:
            body = await request.json()
            self.requests[provider].append(body)
            step = (
                self.queues[provider].popleft() if self.queues[provider] else error(500, "nothing scripted")
            )
            if step.delay_s:
                await asyncio.sleep(step.delay_s)
            while step.hold is not None and not step.hold.is_set():
                await asyncio.sleep(0.01)
            if body.get("stream") and step.status == 200:
                return StreamingResponse(_sse(step, body), media_type="text/event-stream")
            return JSONResponse(step.body, status_code=step.status)

    def script(self, provider: str, *steps: Step) -> None:
        self.queues[provider].extend(steps)

    def base_url(self, provider: str) -> str:
        return f"{self.url}/{provider}/v1"


@contextmanager
def serve(stub: StubLLM) -> Iterator[StubLLM]:
    """`stub` listening on a free port of 127.0.0.1 (in a thread) until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(stub.app, log_level="warning", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    stub.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        yield stub
    finally:
        server.should_exit = True
        thread.join(timeout=5)

"""A local OpenAI-compatible stub server over real HTTP on 127.0.0.1, scripted per test.

Each provider gets its own path prefix (``/<name>/v1``) and its own queue of scripted answers, so one server
plays a whole fallback chain; every request body is kept for assertions.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


@dataclass
class Step:
    status: int = 200
    body: dict[str, Any] = field(default_factory=dict)
    delay_s: float = 0.0


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
        async def chat(provider: str, request: Request) -> JSONResponse:
            self.requests[provider].append(await request.json())
            step = (
                self.queues[provider].popleft() if self.queues[provider] else error(500, "nothing scripted")
            )
            if step.delay_s:
                await asyncio.sleep(step.delay_s)
            return JSONResponse(step.body, status_code=step.status)

    def script(self, provider: str, *steps: Step) -> None:
        self.queues[provider].extend(steps)

    def base_url(self, provider: str) -> str:
        return f"{self.url}/{provider}/v1"

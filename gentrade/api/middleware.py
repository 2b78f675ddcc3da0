"""Pure ASGI middleware: correlation id + access log, and the request guard (body size, NUL characters).

Pure ASGI rather than ``BaseHTTPMiddleware`` so contextvars flow into the endpoint. The body limit reads
the (bounded) body itself and replays it, so a client that omits or lies about Content-Length is cut off
at the limit too, before any endpoint parses a byte.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gentrade.errors import PayloadTooLargeError
from gentrade.logs import request_id_var

logger = logging.getLogger("gentrade.api.access")


_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def accept_request_id(value: str | None) -> str:
    """The caller's X-Request-ID when short and plain (it lands in logs and headers), else a new one."""
    if value and _SANE_ID.match(value):
        return value
    return uuid.uuid4().hex


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = b""
        for key, value in scope["headers"]:
            if key == b"x-request-id":
                offered = value  # the last one wins, as with dict(headers)
        request_id = accept_request_id(offered.decode("latin-1"))
        id_header = (b"x-request-id", request_id.encode())
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            logger.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)


class RequestGuardMiddleware:
    """413 once a body passes ``max_bytes``; 422 for NUL characters anywhere in the request.

    PostgreSQL cannot store NUL in text or JSONB, so rejecting it at the door keeps every backend equal
    and turns what would be a database error deep in a handler into a clear client error.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared: bytes | None = None
        chunked = False
        for key, value in scope["headers"]:
            if key == b"content-length":
                declared = value  # the last one wins, as with dict(headers)
            elif key == b"transfer-encoding":
                chunked = True
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send, 413, PayloadTooLargeError.code, self._message())
            return
        if _bodyless(scope, declared, chunked):
            # Most requests (every GET) carry no body: check the URL and pass ``receive`` through untouched.
            if _has_nul(scope, b""):
                await self._reject(
                    send, 422, "validation_error", "NUL characters are not accepted in requests"
                )
                return
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            received += len(chunks[-1])
            if received > self.max_bytes:
                await self._reject(send, 413, PayloadTooLargeError.code, self._message())
                return
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if _has_nul(scope, body):
            await self._reject(send, 422, "validation_error", "NUL characters are not accepted in requests")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _message(self) -> str:
        return f"request body exceeds {self.max_bytes} bytes"

    async def _reject(self, send: Send, status: int, code: str, message: str) -> None:
        body = json.dumps({"code": code, "message": message, "request_id": request_id_var.get()}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _bodyless(scope: Scope, declared: bytes | None, chunked: bool) -> bool:
    """True when HTTP/1.x framing says there is no body: ``Content-Length: 0``, or neither it nor
    ``Transfer-Encoding`` (RFC 9112 §6.3). Other protocol versions always take the reading path."""
    if chunked:
        return False
    if declared is not None:
        return declared == b"0"
    return scope.get("http_version") in ("1.0", "1.1")


def _has_nul(scope: Scope, body: bytes) -> bool:
    query = scope.get("query_string", b"")
    return (
        "\x00" in scope["path"]
        or b"%00" in query
        or b"\x00" in query
        or b"\x00" in body
        or b"\\u0000" in body
    )

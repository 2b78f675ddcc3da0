"""One problem-JSON shape for every error: {"code", "message", "details"?, "request_id"}.

``code`` is stable (clients branch on it); validation errors list every bad field as {path, message}
with the same path syntax the spec parser uses (``spec.take_profit[2].fraction``).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from gentrade.api.redact import redact, redact_paths
from gentrade.errors import GenTradeError, RateLimitedError
from gentrade.logs import request_id_var
from gentrade.spec.validation import format_path

logger = logging.getLogger("gentrade.api")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


def problem(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {
        "code": code,
        "message": redact_paths(message),
        "request_id": request_id_var.get(),
    }
    if details is not None:
        body["details"] = redact(details)
    return JSONResponse(body, status_code=status, headers=headers)


def validation_problems(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    """FastAPI's error list as {path, message}; a model check that starts 'field: ...' names that field."""
    problems: list[dict[str, str]] = []
    for error in errors:
        loc = tuple(error.get("loc", ()))
        where = loc[1:] if loc and loc[0] == "body" else loc
        path = format_path(where) if where else "(body)"
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        head, sep, rest = message.partition(": ")
        if sep and head and " " not in head and error.get("type") == "value_error":
            path, message = f"{path}.{head}", rest
        problems.append({"path": path, "message": message})
    return problems


async def _gentrade_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GenTradeError)
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimitedError) and isinstance(exc.details, dict):
        headers["Retry-After"] = str(exc.details.get("retry_after_s", 1))
    elif exc.http_status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if exc.http_status >= 500:
        logger.error("request failed: %s", exc.message, extra={"code": exc.code})
    return problem(exc.http_status, exc.code, exc.message, exc.details, headers or None)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = validation_problems(list(exc.errors()))
    summary = "; ".join(f"{p['path']}: {p['message']}" for p in details[:3])
    return problem(422, "validation_error", f"invalid request: {summary}", details)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return problem(exc.status_code, code, str(exc.detail), headers=getattr(exc, "headers", None))


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error", exc_info=exc)
    return problem(500, "internal_error", "internal error; quote the request_id when reporting it")


def install(app: FastAPI) -> None:
    app.add_exception_handler(GenTradeError, _gentrade_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)

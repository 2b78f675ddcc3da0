"""Correlation ids: honoured when sane, else generated; returned, logged as JSON, kept in audit_log."""

from __future__ import annotations

import json
import logging

from api_support import Api
from sqlalchemy import select

from gentrade.db.models import AuditLog
from gentrade.logs import JsonFormatter, RequestIdFilter, request_id_var


def test_request_id_round_trip_and_audit_log(api: Api) -> None:
    headers = api.user()
    reply = api.client.post(
        "/api/v1/users/me/tokens", json={"name": "ci"}, headers={**headers, "X-Request-ID": "trace-abc.123"}
    )
    assert reply.headers["x-request-id"] == "trace-abc.123"
    with api.sessions() as session:
        entry = session.scalar(select(AuditLog).where(AuditLog.request_id == "trace-abc.123"))
    assert entry is not None and entry.action == "create" and entry.object_type == "api_token"


def test_insane_request_ids_are_replaced(api: Api) -> None:
    reply = api.client.get("/api/v1/health", headers={"X-Request-ID": "x" * 500})
    generated = reply.headers["x-request-id"]
    assert len(generated) == 32 and generated != "x" * 500
    error = api.client.get("/api/v1/strategies/1")
    assert error.json()["request_id"] == error.headers["x-request-id"]


def test_json_formatter_carries_request_id_and_extras() -> None:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    record.backtest = 7
    token = request_id_var.set("rid-1")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "hello you" and line["request_id"] == "rid-1" and line["backtest"] == 7

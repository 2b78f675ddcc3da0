"""Behaviour the request-path speed-ups must keep (no timings here; benchmarks/bench_api_list.py times it).

The list route serializes its own response, the session dependency is async, the JWT key is prepared once
and the body guard lets body-less requests through untouched: each of those is pinned to what a client and
the database see.
"""

from __future__ import annotations

import asyncio
import json
import logging
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from api_support import Api
from jwt.warnings import InsecureKeyLengthWarning
from sqlalchemy import event, insert, select

from gentrade.api.schemas.strategies import StrategyPage
from gentrade.api.security import create_access_token
from gentrade.db.models import Strategy, User
from gentrade.logs import JsonFormatter, RequestIdFilter

ROW_KEYS = {"id", "owner_id", "name", "current_version", "created_at", "updated_at"}


def _user_id(api: Api, headers: dict[str, str]) -> int:
    return int(api.client.get("/api/v1/users/me", headers=headers).json()["id"])


def _seed(api: Api, owner_id: int, count: int, prefix: str) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with api.sessions() as session:
        session.execute(
            insert(Strategy),
            [
                {
                    "owner_id": owner_id,
                    "name": f"{prefix}{i:03d}",
                    "current_version": 1,
                    "created_at": start + timedelta(seconds=i, microseconds=i * 7),
                    "updated_at": start + timedelta(seconds=i),
                }
                for i in range(count)
            ],
        )
        session.commit()


def _pool(api: Api):  # type: ignore[no-untyped-def]
    return api.client.app.state.services.engine.pool  # type: ignore[attr-defined]


def test_list_response_is_the_documented_model_and_pages_cover_every_row(api: Api) -> None:
    headers = api.user()
    owner = _user_id(api, headers)
    _seed(api, owner, 23, "Perf")
    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        reply = api.client.get("/api/v1/strategies", params=params, headers=headers)
        assert reply.status_code == 200
        assert reply.headers["content-type"] == "application/json"
        assert int(reply.headers["content-length"]) == len(reply.content)
        assert reply.headers["x-request-id"]
        page = reply.json()
        assert set(page) == {"items", "next_cursor"}
        assert all(set(row) == ROW_KEYS for row in page["items"])
        assert all(row["owner_id"] == owner for row in page["items"])
        # Byte for byte what FastAPI's own response_model serialization of the same page would give.
        assert reply.content == StrategyPage.model_validate(page).model_dump_json().encode()
        seen += [row["id"] for row in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    with api.sessions() as session:
        expected = session.scalars(
            select(Strategy.id)
            .where(Strategy.owner_id == owner)
            .order_by(Strategy.created_at.desc(), Strategy.id.desc())
        ).all()
    assert seen == list(expected) and len(seen) == 23
    newest = api.client.get("/api/v1/strategies", params={"limit": 1}, headers=headers).json()["items"][0]
    assert newest["name"] == "Perf022"
    assert newest["created_at"] == "2024-01-01T00:00:22.000154Z"


def test_list_shows_only_the_callers_rows(api: Api) -> None:
    alice, bob = api.user(), api.user()
    _seed(api, _user_id(api, alice), 3, "Alice")
    page = api.client.get("/api/v1/strategies", headers=bob).json()
    assert page == {"items": [], "next_cursor": None}


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer not-a-jwt", "Basic dXNlcjpwdw==", "Bearer gtp_unknown-personal-token"],
)
def test_list_without_valid_credentials_is_a_401_problem(api: Api, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    reply = api.client.get("/api/v1/strategies", headers=headers)
    assert reply.status_code == 401
    assert reply.headers["www-authenticate"] == "Bearer"
    body = reply.json()
    assert body["code"] == "unauthorized" and body["request_id"] == reply.headers["x-request-id"]


def _hs512(user_id: int, secret: str, now: datetime) -> str:
    """A token forged with another algorithm. PyJWT warns that the (HS256-sized) key is short for HS512:
    true, and the very reason the server must refuse it, so the warning is expected here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return jwt.encode(
            {"sub": str(user_id), "typ": "access", "exp": now + timedelta(minutes=5)},
            secret,
            algorithm="HS512",
        )


def test_jwt_checks_survive_the_cached_key(api: Api) -> None:
    headers = api.user()
    user_id = _user_id(api, headers)
    secret = api.settings.secret_key.get_secret_value()  # type: ignore[union-attr]
    now = datetime.now(UTC)
    rejected = [
        create_access_token(user_id, secret + "-other", 5),
        create_access_token(user_id, secret, -1),
        jwt.encode({"sub": str(user_id), "exp": now + timedelta(minutes=5)}, secret, algorithm="HS256"),
        _hs512(user_id, secret, now),
        create_access_token(2_000_000_000, secret, 5),
    ]
    for token in rejected:
        reply = api.client.get("/api/v1/strategies", headers={"Authorization": f"Bearer {token}"})
        assert reply.status_code == 401, token
    fresh = create_access_token(user_id, secret, 5)
    assert (
        api.client.get("/api/v1/strategies", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200
    )


def test_personal_tokens_list_strategies_too(api: Api) -> None:
    headers = api.user()
    token = api.client.post("/api/v1/users/me/tokens", json={"name": "perf"}, headers=headers).json()["token"]
    reply = api.client.get("/api/v1/strategies", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200 and reply.json()["items"] == []


def test_bad_cursor_and_bad_params_keep_their_problem_shape(api: Api) -> None:
    headers = api.user()
    forged = api.client.get("/api/v1/strategies", params={"cursor": "!!!"}, headers=headers)
    assert forged.status_code == 400 and forged.json()["code"] == "invalid_request"
    too_many = api.client.get("/api/v1/strategies", params={"limit": 201}, headers=headers)
    assert too_many.status_code == 422 and too_many.json()["code"] == "validation_error"
    unauthenticated = api.client.get("/api/v1/strategies", params={"limit": 201})
    assert unauthenticated.status_code == 401


def test_every_request_gives_its_connection_back(api: Api) -> None:
    """The session dependency closes inline or in the threadpool; either way nothing stays checked out."""
    headers = api.user()
    sid = api.client.post("/api/v1/users/me/tokens", json={"name": "pool"}, headers=headers).json()["id"]
    for _ in range(3):
        assert api.client.get("/api/v1/strategies", headers=headers).status_code == 200
        assert (
            api.client.get("/api/v1/strategies", params={"cursor": "!!!"}, headers=headers).status_code == 400
        )
        assert api.client.get("/api/v1/strategies/2000000000", headers=headers).status_code == 404
        assert api.client.get("/api/v1/strategies", headers={"Authorization": "Bearer x"}).status_code == 401
        assert api.client.get("/api/v1/users/me", headers=headers).status_code == 200
        assert api.client.get("/api/v1/users/me/tokens", headers=headers).status_code == 200
        assert api.client.get("/api/v1/health").status_code == 200
    assert api.client.delete(f"/api/v1/users/me/tokens/{sid}", headers=headers).status_code == 204
    assert _pool(api).checkedout() == 0
    async_engine = api.client.app.state.services.async_engine  # type: ignore[attr-defined]
    assert async_engine is None or async_engine.pool.checkedout() == 0


def test_postgres_lists_on_the_event_loop_through_the_async_engine(api: Api) -> None:
    """On PostgreSQL a JWT's page comes from the asyncio engine, checked out on the thread running the
    event loop (a threadpool worker has no loop); personal tokens and SQLite keep the threadpool path."""
    svc = api.client.app.state.services  # type: ignore[attr-defined]
    if api.backend == "sqlite":
        assert svc.async_engine is None and svc.async_autocommit is None
        return
    checkouts: list[tuple[str, bool]] = []

    def on_loop() -> bool:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return False
        return True

    def listener(name: str) -> Callable[..., None]:
        return lambda *_args: checkouts.append((name, on_loop()))

    on_async, on_sync = listener("async"), listener("sync")
    headers = api.user()
    token = api.client.post("/api/v1/users/me/tokens", json={"name": "loop"}, headers=headers).json()["token"]
    event.listen(svc.async_engine.sync_engine, "checkout", on_async)
    event.listen(svc.engine, "checkout", on_sync)
    try:
        assert api.client.get("/api/v1/strategies", headers=headers).status_code == 200
        assert checkouts == [("async", True)]
        checkouts.clear()
        personal = {"Authorization": f"Bearer {token}"}
        assert api.client.get("/api/v1/strategies", headers=personal).status_code == 200
        assert checkouts and all(checkout == ("sync", False) for checkout in checkouts)
    finally:
        event.remove(svc.async_engine.sync_engine, "checkout", on_async)
        event.remove(svc.engine, "checkout", on_sync)


def test_writes_still_commit_through_the_async_session_dependency(api: Api) -> None:
    headers = api.user()
    created = api.client.post("/api/v1/users/me/tokens", json={"name": "kept"}, headers=headers)
    assert created.status_code == 201
    listed = api.client.get("/api/v1/users/me/tokens", headers=headers).json()
    assert [t["name"] for t in listed] == ["kept"]
    with api.sessions() as session:
        assert session.get(User, _user_id(api, headers)) is not None


def test_body_guard_still_checks_bodyless_and_chunked_requests(api: Api) -> None:
    headers = api.user()
    assert api.client.get("/api/v1/strategies", params={"name": "a\x00"}, headers=headers).status_code == 422
    assert api.client.get("/api/v1/strategies%00", headers=headers).status_code == 422
    empty = api.client.post("/api/v1/users/me/tokens", headers={**headers, "Content-Length": "0"})
    assert empty.status_code == 422 and empty.json()["code"] == "validation_error"
    limit = api.settings.max_body_bytes

    def chunks() -> Iterator[bytes]:  # no Content-Length: the guard must count what arrives
        yield b"{"
        yield b" " * limit
        yield b"}"

    streamed = api.client.post(
        "/api/v1/users/me/tokens", content=chunks(), headers={**headers, "Content-Type": "application/json"}
    )
    assert streamed.status_code == 413 and streamed.json()["code"] == "payload_too_large"

    def small() -> Iterator[bytes]:
        yield b'{"name": "chunked"}'

    ok = api.client.post(
        "/api/v1/users/me/tokens", content=small(), headers={**headers, "Content-Type": "application/json"}
    )
    assert ok.status_code == 201, ok.text


def test_access_log_is_json_with_the_request_id_and_no_token(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    headers = api.user()
    token = headers["Authorization"].removeprefix("Bearer ")
    caplog.handler.addFilter(RequestIdFilter())  # stamps the id while the request's context is live
    with caplog.at_level(logging.INFO, logger="gentrade.api.access"):
        reply = api.client.get(
            "/api/v1/strategies", params={"limit": 5}, headers={**headers, "X-Request-ID": "perf-log-1"}
        )
    assert reply.headers["x-request-id"] == "perf-log-1"
    records = [r for r in caplog.records if r.name == "gentrade.api.access"]
    assert records
    formatter = JsonFormatter()
    lines = [formatter.format(record) for record in records]
    access = [json.loads(line) for line in lines]
    mine = [line for line in access if line["path"] == "/api/v1/strategies"]
    assert mine and mine[-1]["status"] == 200 and mine[-1]["method"] == "GET"
    assert mine[-1]["request_id"] == "perf-log-1" and isinstance(mine[-1]["duration_ms"], float)
    assert all(token not in line and "Authorization" not in line for line in lines)

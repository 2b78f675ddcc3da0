"""Engine and session factories for the embedded SQLite file and for PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

from gentrade.settings import Settings

PING_IF_IDLE_FOR_S = 1.0
"""A pooled connection idle for longer than this is pinged before use; one returned more recently is not.

``pool_pre_ping`` pings on every checkout: a round trip plus a cursor per request (about 15% of the API's
CPU on the list route under load). Connections go stale while they sit idle (server restarts, idle
timeouts, dropped NAT entries), so only those are checked, like HikariCP's alive-bypass window. A server
lost within the window costs the request in flight an error, and SQLAlchemy then invalidates the pool.
"""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets the API read while a backtest thread writes; SQLite leaves foreign keys off unless asked."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _postgres_session_utc(dbapi_connection: Any, _record: Any) -> None:
    """Every stored time is UTC, and a session in UTC hands them back in UTC: psycopg then gives
    ``timezone.utc`` datetimes, which ``UTCDateTime`` passes through as they are, instead of datetimes in
    the server's zone (often ``Etc/UTC``: a ``ZoneInfo`` every value is converted from, about a fifth of
    the CPU of reading a page of list rows). A ``SET`` rather than a startup option, which poolers such as
    PgBouncer may refuse. Nothing here depends on the session's zone otherwise: no SQL formats or
    truncates times.
    """
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
    dbapi_connection.commit()


def _ping_when_idle(engine: Engine) -> None:
    """Pre-ping on checkout, but only connections that sat in the pool longer than PING_IF_IDLE_FOR_S."""
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["gentrade_returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if getattr(dbapi_connection, "closed", False):
            raise exc.DisconnectionError("connection closed while pooled")
        returned = record.info.get("gentrade_returned_at")
        if returned is None or time.monotonic() - returned <= PING_IF_IDLE_FOR_S:
            return  # brand new, or in use a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as err:
            # The pool discards this connection and checks out (or opens) another.
            raise exc.DisconnectionError(f"pooled connection failed its ping: {err}") from err


def pool_options(settings: Settings) -> dict[str, int]:
    """The configured pool sizing for a PostgreSQL engine; SQLite keeps SQLAlchemy's own pool."""
    if make_url(settings.resolved_database_url).get_backend_name() != "postgresql":
        return {}
    return {"pool_size": settings.database_pool_size, "max_overflow": settings.database_max_overflow}


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for ``url``; a SQLite file's directory is created so the embedded default needs no setup."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    pre_ping = _postgres_pool_options(kwargs)
    engine = create_engine(url, pool_pre_ping=bool(pre_ping), **kwargs)
    _postgres_events(engine, pre_ping)
    return engine


def make_async_engine(url: str | URL, **kwargs: Any) -> AsyncEngine:
    """An asyncio engine for a PostgreSQL ``url`` (psycopg 3 runs on the event loop), set up as
    ``make_engine`` sets up its sync twin: the same pool sizing, UTC sessions and idle-only pings.

    The hot read routes use it so a request never leaves the event loop: no threadpool hop, and no GIL
    handoffs between the loop thread and worker threads.
    """
    if make_url(url).get_backend_name() != "postgresql":
        raise ValueError("the asyncio engine is for PostgreSQL; SQLite reads go through the threadpool")
    pre_ping = _postgres_pool_options(kwargs)
    engine = create_async_engine(url, pool_pre_ping=bool(pre_ping), **kwargs)
    _postgres_events(engine.sync_engine, pre_ping)
    return engine


def _postgres_pool_options(kwargs: dict[str, Any]) -> bool | None:
    """Fills in the pool sizing (in place) and takes out ``pool_pre_ping``: None means ping only idle ones.

    Sync endpoints and dependencies run on AnyIO's threadpool (40 threads), and each holds at most one
    connection while it runs. Connections beyond ``pool_size`` are overflow, closed when returned and
    reopened on the next burst (a PostgreSQL backend start each time): at 32 concurrent requests the old
    10 + 20 opened and closed one on most requests. 20 kept + 20 overflow covers the threadpool, and as
    many concurrent requests on the asyncio engine.
    """
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 20)
    pre_ping: bool | None = kwargs.pop("pool_pre_ping", None)
    return pre_ping


def _postgres_events(engine: Engine, pre_ping: bool | None) -> None:
    event.listen(engine, "connect", _postgres_session_utc)
    if pre_ping is None:
        _ping_when_idle(engine)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)

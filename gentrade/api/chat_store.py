"""The chat threads' LangGraph checkpointer, on the app's own database.

SQLite URLs get a ``SqliteSaver`` on its own connection to the same file (the embedded mode keeps one file);
PostgreSQL URLs get a ``PostgresSaver`` on a small psycopg pool, because the API serves several requests at
once and a single psycopg connection cannot. Either way the saver's own tables sit beside GenTrade's and are
created by the saver's ``setup()`` (they are LangGraph's schema, not ours, so Alembic does not manage them).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy.engine import make_url

from gentrade.errors import ConfigError

POOL_SIZE = 4
SETUP_LOCK_KEY = 0x67656E7472616465  # "gentrade": the advisory lock that serialises the saver's setup
SETUP_RETRY_S = 0.2


def _take(connection: Any) -> bool:
    row = connection.execute("SELECT pg_try_advisory_lock(%s)", (SETUP_LOCK_KEY,)).fetchone()
    return bool(row and (row[0] if not isinstance(row, dict) else next(iter(row.values()))))


@dataclass
class ChatStore:
    checkpointer: BaseCheckpointSaver[Any]
    close: Callable[[], None]


def open_chat_store(database_url: str) -> ChatStore:
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        from langgraph.checkpoint.sqlite import SqliteSaver

        if not url.database or url.database == ":memory:":
            raise ConfigError("chat threads need a SQLite file, not an in-memory database")
        # The saver serialises its own calls with a lock, so one connection may serve every thread.
        conn = sqlite3.connect(url.database, check_same_thread=False)
        sqlite_saver = SqliteSaver(conn)
        sqlite_saver.setup()
        return ChatStore(sqlite_saver, conn.close)
    if backend == "postgresql":
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        pool: ConnectionPool[Any] = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=POOL_SIZE,
            kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
            open=True,
        )
        pg_saver = PostgresSaver(pool)
        # `serve --workers N` starts N API processes at once: on a fresh database their setup() calls
        # raced to CREATE the saver's tables and types, and all but one failed to start. A session
        # advisory lock makes them take turns (the later ones find the tables there). It is *tried* in a
        # loop rather than waited for: a waiting statement is an open transaction, and the saver's
        # CREATE INDEX CONCURRENTLY waits for every open transaction, so the holder and the waiter hung.
        with pool.connection() as lock:
            while not _take(lock):
                time.sleep(SETUP_RETRY_S)
            try:
                pg_saver.setup()
            finally:
                lock.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK_KEY,))
        return ChatStore(pg_saver, pool.close)
    raise ConfigError(f"no chat checkpointer for {backend!r} databases (use SQLite or PostgreSQL)")

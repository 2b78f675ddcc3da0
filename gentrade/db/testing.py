"""Throwaway databases for tests and benchmarks: a fresh SQLite file or a fresh PostgreSQL database.

PostgreSQL is reached through the admin URL in ``GENTRADE_TEST_PG_ADMIN_URL`` (default: the local server's
``test`` database as ``postgres``); a server that does not answer is an error, never a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

DEFAULT_PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def pg_admin_url() -> str:
    return os.environ.get("GENTRADE_TEST_PG_ADMIN_URL", DEFAULT_PG_ADMIN)


@contextmanager
def fresh_postgres(prefix: str = "gentrade_test") -> Iterator[str]:
    """Create ``<prefix>_<random>``, yield its SQLAlchemy URL, drop it (closing stray connections) after."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = pg_admin_url()
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    info = psycopg.conninfo.conninfo_to_dict(admin)
    user = info.get("user", "postgres")
    host = info.get("host", "127.0.0.1")
    port = info.get("port", "5432")
    try:
        yield f"postgresql+psycopg://{user}@{host}:{port}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def fresh_database(backend: str, folder: Path) -> Iterator[str]:
    """An empty database of ``backend`` ("sqlite" or "postgresql") as a SQLAlchemy URL."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / f'gentrade-{uuid.uuid4().hex[:8]}.sqlite'}"
    elif backend == "postgresql":
        with fresh_postgres() as url:
            yield url
    else:
        raise ValueError(f"unknown backend {backend!r}")

"""Alembic environment: runs on the connection `gentrade.db.migrate` hands in, else on the settings URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from gentrade.db import models  # noqa: F401  (registers every table on Base.metadata)
from gentrade.db.base import Base
from gentrade.db.engine import make_engine
from gentrade.settings import get_settings

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or get_settings().resolved_database_url)
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()

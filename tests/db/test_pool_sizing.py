"""PostgreSQL pool sizing comes from the settings, for both engines of an API process, so an operator can
fit (pool size + overflow) x engines x processes under the server's max_connections."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.pool import QueuePool

from gentrade.api.app import build_services
from gentrade.db.testing import fresh_postgres
from gentrade.settings import Settings


@pytest.mark.postgres
def test_both_engines_of_an_api_process_take_the_configured_pool(tmp_path: Path) -> None:
    with fresh_postgres() as url:
        settings = Settings(
            user_dir=tmp_path,
            database_url=url,
            database_pool_size=3,
            database_max_overflow=1,
            secret_key="s" * 32,  # PostgreSQL is production: the embedded default keys are refused
            credentials_key=Fernet.generate_key().decode(),
        )
        services = build_services(settings)
        try:
            assert services.async_engine is not None
            for pool in (services.engine.pool, services.async_engine.sync_engine.pool):
                assert isinstance(pool, QueuePool)
                assert (pool.size(), pool._max_overflow) == (3, 1)
        finally:
            services.engine.dispose()
            if services.async_engine is not None:
                services.async_engine.sync_engine.dispose()


def test_sqlite_keeps_its_own_pool(tmp_path: Path) -> None:
    services = build_services(Settings(user_dir=tmp_path, database_pool_size=3))
    try:
        pool = services.engine.pool
        assert services.async_engine is None and isinstance(pool, QueuePool) and pool.size() != 3
    finally:
        services.engine.dispose()

"""A live app per backend (SQLite file and real PostgreSQL), shared by the module's tests.

Tests isolate by user rather than by database: each test registers its own users, and every query the API
makes is scoped to its caller, so tests cannot see each other's rows (which the ownership tests prove).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from gentrade.api import create_app
from gentrade.api.executor import LocalExecutor
from gentrade.api.security import hash_password
from gentrade.db import upgrade
from gentrade.db.engine import make_engine, make_session_factory
from gentrade.db.repositories import users
from gentrade.db.testing import fresh_database
from gentrade.exchange.server import start_testnet
from gentrade.settings import Settings

DATA_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "binance"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
PASSWORD = "correct horse battery"


@dataclass
class Api:
    client: TestClient
    settings: Settings
    sessions: sessionmaker[Session]
    executor: LocalExecutor
    backend: str
    db_url: str
    _admin: dict[str, str] | None = field(default=None, init=False)

    def user(self, role: str = "user") -> dict[str, str]:
        """A new user's Authorization header (admins are made in the database: there is no route for it)."""
        email = f"{role}-{uuid.uuid4().hex[:10]}@example.com"
        if role == "admin":
            with self.sessions() as session:
                users.create_user(session, email, hash_password(PASSWORD), role="admin")
                session.commit()
        else:
            reply = self.client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
            assert reply.status_code == 201, reply.text
        login = self.client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        return {"Authorization": f"Bearer {login.json()['access_token']}"}

    def wait(self, backtest_id: int, timeout: float = 300) -> dict[str, Any]:
        self.executor.wait(backtest_id, timeout=timeout)
        self._admin = self._admin or self.user("admin")
        return self.client.get(f"/api/v1/backtests/{backtest_id}", headers=self._admin).json()


def make_settings(tmp: Path, url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "user_dir": tmp / "user_data",
        "database_url": url,
        "data_dir": DATA_DIR,
        "secret_key": "test-secret-" + uuid.uuid4().hex,
        "credentials_key": Fernet.generate_key().decode(),
        "rate_backtests_per_minute": 600,
        "rate_backtests_burst": 100,
        "backtest_workers": 2,
        "task_backend": "local",
    }
    values.update(overrides)
    return Settings(**values)


@contextmanager
def bots_app(backend: str, tmp: Path, candles: Path) -> Iterator[Api]:
    """An app whose bots trade on a replay testnet over ``candles``; every bot is stopped afterwards."""
    with (
        start_testnet(candles, replay_start=datetime(2024, 1, 10, tzinfo=UTC), speed=5) as testnet,
        fresh_database(backend, tmp) as url,
    ):
        engine = make_engine(url)
        upgrade(engine)
        settings = make_settings(tmp, url, bot_exchange_url=testnet.url)
        executor = LocalExecutor(make_session_factory(engine), settings)
        app = create_app(settings, engine=engine, executor=executor)
        with TestClient(app) as client:
            yield Api(client, settings, app.state.services.sessions, executor, backend, url)
            managers = app.state.bot_managers
            for owner in list(managers._managers):
                managers.of(owner).stop_all(grace_s=10)
        engine.dispose()

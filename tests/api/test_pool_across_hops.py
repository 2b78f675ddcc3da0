"""Many concurrent reads on a one-connection pool, over real HTTP: every one is answered.

FastAPI runs a sync endpoint and then the validation of its answer as two hops into the request threadpool.
Before ``gentrade.api.routing.SessionReleasingRoute``, a session kept the connection its endpoint read with
across those hops and until the request's teardown (which itself waited for a threadpool thread): once every
thread waited for a connection and every connection waited for a thread, requests failed with the pool's
timeout (the 200-client load benchmark saw 80 such 500s a minute, each after 30 s).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_support import BACKENDS, PASSWORD, make_settings
from live_server import live

from gentrade.api import create_app
from gentrade.db import upgrade
from gentrade.db.engine import make_engine
from gentrade.db.testing import fresh_database
from gentrade.examples import load_example

CLIENTS = 120


@pytest.fixture(params=BACKENDS)
def base(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An app whose database pool is one connection that a request waits at most 5 s for."""
    with fresh_database(request.param, tmp_path) as url:
        upgrade(make_engine(url))
        engine = make_engine(url, pool_size=1, max_overflow=0, pool_timeout=5)
        app = create_app(make_settings(tmp_path, url), engine=engine)
        with live(app) as served:
            yield served
        engine.dispose()


def _read(base: str, headers: dict[str, str], strategy_id: int) -> int:
    with httpx.Client(base_url=base, timeout=120) as client:
        return client.get(f"/api/v1/strategies/{strategy_id}", headers=headers).status_code


def test_concurrent_reads_on_one_connection_all_succeed(base: str) -> None:
    with httpx.Client(base_url=base, timeout=60) as client:
        creds = {"email": f"pool-{uuid.uuid4().hex[:10]}@example.com", "password": PASSWORD}
        assert client.post("/api/v1/auth/register", json=creds).status_code == 201
        token = client.post("/api/v1/auth/login", json=creds).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        made: Any = client.post(
            "/api/v1/strategies",
            json={"spec": load_example("mean_reversion").model_dump(mode="json")},
            headers=headers,
        )
        assert made.status_code == 201, made.text
        strategy_id = made.json()["id"]
    with ThreadPoolExecutor(CLIENTS) as pool:
        statuses = list(pool.map(lambda _: _read(base, headers, strategy_id), range(CLIENTS)))
    assert statuses.count(200) == CLIENTS, sorted(set(statuses))

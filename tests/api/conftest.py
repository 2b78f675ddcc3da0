"""Fixtures for these tests; shared helpers live in api_support.py (a conftest is not importable)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_support import BACKENDS, Api, make_settings
from fastapi.testclient import TestClient

from gentrade.api import create_app
from gentrade.api.executor import LocalExecutor
from gentrade.db import upgrade
from gentrade.db.engine import make_engine, make_session_factory
from gentrade.db.testing import fresh_database


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    tmp = tmp_path_factory.mktemp(f"api-{request.param}")
    with fresh_database(request.param, tmp) as url:
        engine = make_engine(url)
        upgrade(engine)
        settings = make_settings(tmp, url)
        executor = LocalExecutor(make_session_factory(engine), settings)
        app = create_app(settings, engine=engine, executor=executor)
        with TestClient(app) as client:
            yield Api(client, settings, app.state.services.sessions, executor, request.param, url)
        engine.dispose()

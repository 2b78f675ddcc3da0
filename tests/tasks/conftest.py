"""Fixtures for the task tests: synthetic candles, a broker URL per kind, a database per backend."""

from __future__ import annotations

from pathlib import Path

import pytest
from taskkit import SHARED_REDIS, synthetic_data


@pytest.fixture(scope="session")
def tiny_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthetic_data(tmp_path_factory.mktemp("candles"))


def broker_url(kind: str, folder: Path) -> str:
    """The machine's Redis (tests isolate by queue name) or the embedded SQLite broker."""
    return SHARED_REDIS if kind == "redis" else f"sqla+sqlite:///{folder / 'broker.sqlite'}"

"""Fixtures for the task tests: synthetic candles, a broker URL per kind, a database per backend."""

from __future__ import annotations

from pathlib import Path

import pytest
from taskkit import synthetic_data


@pytest.fixture(scope="session")
def tiny_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthetic_data(tmp_path_factory.mktemp("candles"))

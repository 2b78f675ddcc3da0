"""Fixtures shared across the test suite: real candles, freqtrade's sample strategy, synthetic candles."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from gentrade.data.synth import synthesize

SHARED_DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "binance"


def _freqtrade_dir() -> Path:
    """freqtrade's package folder, located without importing freqtrade, which costs seconds."""
    found = importlib.util.find_spec("freqtrade")
    if found is None or found.origin is None:
        raise RuntimeError("freqtrade is not installed in this environment: pip install -e '.[dev]'")
    return Path(found.origin).parent


SAMPLE_STRATEGY_SOURCE = _freqtrade_dir() / "templates" / "sample_strategy.py"


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """Real Binance candles (ETH/BTC, ADA/BTC, LTC/BTC … 5m, 2018-01-10 → 2018-01-30).

    They are always present in CI, so their absence is an error, never a reason to skip.
    """
    if not (SHARED_DATA_DIR / "ETH_BTC-5m.feather").is_file():
        pytest.fail(f"shared market data missing: expected {SHARED_DATA_DIR}/ETH_BTC-5m.feather")
    return SHARED_DATA_DIR


@pytest.fixture(scope="session")
def sample_strategy_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """freqtrade's own SampleStrategy, alone in a strategies dir under the name freqtrade expects."""
    path = tmp_path_factory.mktemp("strategies") / "SampleStrategy.py"
    shutil.copyfile(SAMPLE_STRATEGY_SOURCE, path)
    return path


@pytest.fixture(scope="session")
def synthetic_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30 days of deterministic 5m candles for BTC/USDT, ETH/USDT and SOL/USDT from 2024-01-01."""
    datadir = tmp_path_factory.mktemp("synthetic")
    synthesize(datadir)
    return datadir


@pytest.fixture(scope="session")
def quickstart_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A user_dir after a real `gentrade quickstart` (5 days of candles keeps it to three short backtests),
    shared by the tests that import its results; treat it as read-only (copy it to damage it)."""
    from gentrade.services.quickstart import run_quickstart
    from gentrade.settings import Settings

    user_dir = tmp_path_factory.mktemp("quickstart") / "user_data"
    report = run_quickstart(user_dir, Settings(user_dir=user_dir), days=5)
    assert all(row.result.trades > 0 for row in report.rows)
    return user_dir


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Name the random order at the end: ``-q`` (the README's command) hides the header where
    pytest-randomly prints its seed, and a failure that depends on the order is repeated only with it."""
    if config.pluginmanager.hasplugin("randomly"):
        terminalreporter.write_line(f"Using --randomly-seed={config.getoption('randomly_seed')}")

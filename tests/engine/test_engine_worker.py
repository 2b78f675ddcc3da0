"""How the child names what went wrong: freqtrade's outcomes mapped to error kinds, no backtest needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from gentrade.engine.worker import WorkerJob, classify


@pytest.fixture
def job(tmp_path: Path) -> WorkerJob:
    strategy = tmp_path / "Probe.py"
    strategy.write_text("")
    return WorkerJob(
        config_file=tmp_path / "config.json", markets_file=tmp_path / "markets.json", strategy="Probe",
        strategy_file=strategy, datadir=tmp_path, status_file=tmp_path / "status.json", memory_mb=512,
    )  # fmt: skip


def _raised(exc: Exception) -> Exception:
    try:
        raise exc
    except Exception as caught:
        return caught


def test_freqtrades_no_data_outcomes_are_data_missing(job: WorkerJob) -> None:
    from freqtrade.exceptions import OperationalException

    for message in ("No data found. Terminating.", "No data left after adjusting for startup candles."):
        status = classify(_raised(OperationalException(message)), job, [])
        assert (status.ok, status.error_kind, status.message) == (False, "data_missing", message)


def test_load_failure_carries_freqtrades_reason(job: WorkerJob) -> None:
    from freqtrade.exceptions import OperationalException

    exc = OperationalException("Impossible to load Strategy 'Probe'. This class does not exist.")
    warnings = ["Could not import /x/Probe.py due to 'boom'", "unrelated warning"]
    status = classify(_raised(exc), job, warnings)
    assert status.error_kind == "strategy_load"
    assert status.message == f"{exc} Could not import /x/Probe.py due to 'boom'"


def test_strategy_errors_and_memory_and_the_rest(job: WorkerJob) -> None:
    from freqtrade.exceptions import ConfigurationError, StrategyError

    assert classify(_raised(StrategyError("bad frame")), job, []).error_kind == "strategy_runtime"
    assert classify(_raised(ConfigurationError("bad key")), job, []).error_kind == "config"
    memory = classify(_raised(MemoryError()), job, [])
    assert (memory.error_kind, memory.message) == (
        "memory",
        "the backtest exceeded its memory limit of 512 MB",
    )
    assert classify(_raised(RuntimeError("engine")), job, []).message == "RuntimeError: engine"

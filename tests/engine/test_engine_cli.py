"""The CLI doors: `gentrade backtest --json` prints the BacktestResult; errors are one line and exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gentrade.cli.main import app
from gentrade.engine import BacktestResult

runner = CliRunner()


@pytest.mark.slow
def test_backtest_json_prints_the_result(
    sample_strategy_file: Path, shared_data_dir: Path, tmp_path: Path
) -> None:
    outcome = runner.invoke(
        app,
        [
            "backtest", str(sample_strategy_file), "--datadir", str(shared_data_dir),
            "--timerange", "20180111-20180130", "--pairs", "ETH/BTC,ADA/BTC", "--pairs", "LTC/BTC",
            "--results-dir", str(tmp_path), "--json",
        ],
    )  # fmt: skip
    assert outcome.exit_code == 0, outcome.output
    result = BacktestResult.model_validate_json(outcome.stdout)
    assert result.strategy == "SampleStrategy"
    assert result.pairs == ["ETH/BTC", "ADA/BTC", "LTC/BTC"]
    assert result.trades > 0


def test_backtest_error_is_one_line_and_exit_1(
    sample_strategy_file: Path, shared_data_dir: Path, tmp_path: Path
) -> None:
    outcome = runner.invoke(
        app,
        ["backtest", str(sample_strategy_file), "--datadir", str(shared_data_dir), "--pairs", "XRP/BTC"],
    )
    assert outcome.exit_code == 1
    [line] = outcome.stderr.strip().splitlines()
    assert line.startswith("error[data_missing]: XRP/BTC 5m: no candles")
    assert "Traceback" not in outcome.output


def test_data_synth_writes_deterministic_files(tmp_path: Path) -> None:
    args = ["data", "synth", "--pairs", "BTC/USDT", "--days", "2", "--seed", "3"]
    first = runner.invoke(app, [*args, "--datadir", str(tmp_path / "a")])
    second = runner.invoke(app, [*args, "--datadir", str(tmp_path / "b")])
    assert first.exit_code == second.exit_code == 0, first.output
    a, b = tmp_path / "a" / "BTC_USDT-5m.feather", tmp_path / "b" / "BTC_USDT-5m.feather"
    assert a.read_bytes() == b.read_bytes()


def test_data_list_shows_the_shared_data(shared_data_dir: Path) -> None:
    outcome = runner.invoke(app, ["data", "list", "--datadir", str(shared_data_dir)])
    assert outcome.exit_code == 0, outcome.output
    assert "ETH/BTC" in outcome.stdout and "UNITTEST/BTC" in outcome.stdout

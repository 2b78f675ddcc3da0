"""`gentrade signal evaluate` end to end on the real candle files: JSON and table output, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from gentrade.cli.signal import register

runner = CliRunner()

TP1_THEN_BREAK_EVEN = {  # hand-checked in test_signal_outcomes_real: net -1.49
    "symbol": "ETH/BTC",
    "timeframe": "1h",
    "valid_for_candles": 6,
    "entry": 0.0995,
    "stop_loss": 0.098,
    "take_profits": [
        {"price": 0.1, "allocation": 0.5},
        {"price": 0.101, "allocation": 0.3},
        {"price": 0.102, "allocation": 0.2},
    ],
    "confidence": 60,
    "model_id": "m",
    "generated_at": "2018-01-10T05:00:00Z",
}


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def main() -> None:
        """Only the signal commands, so other command modules cannot break these tests."""

    register(root)
    return root


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "signal.json"
    path.write_text(json.dumps(data))
    return path


def test_evaluate_json(app: typer.Typer, tmp_path: Path, real_datadir: Path) -> None:
    result = runner.invoke(
        app,
        [
            "signal",
            "evaluate",
            str(write(tmp_path, TP1_THEN_BREAK_EVEN)),
            "--datadir",
            str(real_datadir),
            "--timeframe-data",
            "5m",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout)
    assert (outcome["status"], outcome["net_pnl_rounded"]) == ("completed_success", 0.51)
    assert outcome["entered_at"] == "2018-01-10T05:00:00Z"
    assert (outcome["signal_timeframe"], outcome["candle_timeframe"]) == ("1h", "5m")


def test_evaluate_table_and_costs(app: typer.Typer, tmp_path: Path, real_datadir: Path) -> None:
    result = runner.invoke(
        app,
        [
            "signal",
            "evaluate",
            str(write(tmp_path, TP1_THEN_BREAK_EVEN)),
            "--datadir",
            str(real_datadir),
            "--timeframe-data",
            "5m",
            "--size",
            "500",
            "--fee",
            "0",
            "--slippage",
            "0",
        ],
    )
    assert result.exit_code == 0, result.output
    # Without costs: 500 × 0.5 × (0.1 / 0.0995 − 1) = 1.26, and the break-even half returns exactly 0.
    assert "1.26" in result.stdout and "completed_success" in result.stdout
    assert "breakeven stop" in result.stdout


def test_detail_timeframe(app: typer.Typer, tmp_path: Path, real_datadir: Path) -> None:
    frame = pd.read_feather(real_datadir / "UNITTEST_BTC-1m.feather").set_index("date")
    bars = (
        frame.resample("15min")
        .agg({"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"})
        .dropna()
        .reset_index()
    )
    datadir = tmp_path / "data"
    datadir.mkdir()
    bars.to_feather(datadir / "UNITTEST_BTC-15m.feather")
    (datadir / "UNITTEST_BTC-1m.feather").symlink_to(real_datadir / "UNITTEST_BTC-1m.feather")
    signal = {
        **TP1_THEN_BREAK_EVEN,
        "symbol": "UNITTEST/BTC",
        "direction": "short",
        "entry": 0.00264,
        "stop_loss": 0.00272,
        "take_profits": [{"price": 0.002635, "allocation": 0.5}, {"price": 0.00255, "allocation": 0.5}],
        "generated_at": "2017-11-11T12:15:00Z",
        "valid_for_candles": 1,
    }
    args = [
        "signal",
        "evaluate",
        str(write(tmp_path, signal)),
        "--datadir",
        str(datadir),
        "--timeframe-data",
        "15m",
        "--json",
    ]
    pessimistic = json.loads(runner.invoke(app, args).stdout)
    resolved = json.loads(runner.invoke(app, [*args, "--detail-timeframe", "1m"]).stdout)
    assert (pessimistic["net_pnl_rounded"], resolved["net_pnl_rounded"]) == (-34.40, -6.96)


@pytest.mark.parametrize(
    ("change", "extra", "message"),
    [
        ({}, [], "no 1h candles for ETH/BTC"),
        ({}, ["--timeframe-data", "5m", "--detail-timeframe", "1m"], "no 1m candles for ETH/BTC"),
        ({"stop_loss": 0.1}, ["--timeframe-data", "5m"], "stop_loss"),
        ({}, ["--timeframe-data", "5m", "--fee", "-0.1"], "fee"),
        ({"generated_at": None}, ["--timeframe-data", "5m"], "generated_at"),
    ],
)
def test_errors_are_one_line(
    app: typer.Typer, tmp_path: Path, real_datadir: Path, change: dict, extra: list[str], message: str
) -> None:
    path = write(tmp_path, {**TP1_THEN_BREAK_EVEN, **change})
    result = runner.invoke(app, ["signal", "evaluate", str(path), "--datadir", str(real_datadir), *extra])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1

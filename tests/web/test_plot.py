"""Pictures outside the browser: `gentrade plot` on a freqtrade result zip (HTML with plotly.js embedded,
PNG through kaleido and Debian's chromium), and freqtrade's own `plot-profit` / `plot-dataframe` on the
same GenTrade result, offline against the local testnet."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PAIRS, TIMERANGE
from typer.testing import CliRunner

from gentrade.cli.main import app
from gentrade.engine.figure import backtest_figure
from gentrade.engine.result import BacktestResult
from gentrade.engine.series import equity_curve
from gentrade.exchange.server import TestnetHandle, start_testnet
from gentrade.freqtrade_config import ConfigRequest, Target, write_config

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def testnet(shared_data_dir: Path) -> Iterator[TestnetHandle]:
    with start_testnet(shared_data_dir) as handle:
        yield handle


def _run(*argv: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FREQTRADE__")}
    done = subprocess.run(
        argv, cwd=cwd, env={**clean, **(env or {})}, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def test_figure_holds_the_equity_series_and_every_closed_trade(result: BacktestResult) -> None:
    figure = backtest_figure(result, "t")
    balance, drawdown, trades = figure.data
    curve = equity_curve(result)
    assert list(balance.y) == [p.equity for p in curve]
    assert list(drawdown.y) == [p.drawdown_pct for p in curve]
    closed = [t for t in result.trade_list if not t.is_open]
    assert len(trades.y) == len(closed) == result.trades
    assert min(drawdown.y) == pytest.approx(-result.max_drawdown_pct, abs=0.5)


def test_gentrade_plot_writes_self_contained_html_and_png(
    result: BacktestResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert result.run is not None
    monkeypatch.chdir(tmp_path)
    zip_path = str(result.run.result_zip)
    done = CliRunner().invoke(app, ["plot", zip_path, "-o", "out/picture.html"])
    assert done.exit_code == 0, done.output
    assert f"{result.trades} trades" in done.output
    html = (tmp_path / "out" / "picture.html").read_text()
    assert '<script src="http' not in html and "plotly.js v" in html  # plotly.js inside: no network
    assert result.strategy in html and f"{result.profit_total_pct:+.2f} %" in html
    done = CliRunner().invoke(app, ["plot", zip_path, "-o", "picture.png"])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "picture.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_gentrade_plot_refuses_bad_targets_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for target, code in (("nope", "config_invalid"), ("missing.zip", "not_found")):
        done = CliRunner().invoke(app, ["plot", target])
        assert done.exit_code == 1
        line = done.output.strip()
        assert line.startswith(f"error[{code}]:") and "\n" not in line, line


def test_freqtrade_plot_profit_and_plot_dataframe_open_a_gentrade_result(
    result: BacktestResult, strategy_file: Path, shared_data_dir: Path, testnet: TestnetHandle, tmp_path: Path
) -> None:
    assert result.run is not None
    write_config(
        ConfigRequest(target=Target.LOCAL, url=testnet.url, pairs=tuple(PAIRS), stake_currency="BTC"),
        tmp_path / "config.json",
    )
    common = [
        "-c",
        "config.json",
        "--userdir",
        "user_data",
        "--datadir",
        str(shared_data_dir),
        "--timeframe",
        "5m",
    ]
    (tmp_path / "user_data").mkdir()
    zip_path = str(result.run.result_zip)
    _run(
        str(BIN / "freqtrade"),
        "plot-profit",
        *common,
        "--export-filename",
        zip_path,
        "--pairs",
        *PAIRS,
        cwd=tmp_path,
    )
    profit = (tmp_path / "user_data" / "plot" / "freqtrade-profit-plot.html").read_text()
    assert all(f"Profit {pair.split('/')[0]}" in profit for pair in PAIRS) and "Underwater Plot" in profit
    _run(
        str(BIN / "freqtrade"),
        "plot-dataframe",
        *common,
        "--export-filename",
        zip_path,
        "--pairs",
        "ETH/BTC",
        "--strategy",
        result.strategy,
        "--strategy-path",
        str(strategy_file.parent),
        "--timerange",
        TIMERANGE,
        cwd=tmp_path,
    )
    candles = (tmp_path / "user_data" / "plot" / "freqtrade-plot-ETH_BTC-5m.html").read_text()
    assert "Trade entry" in candles and "Exit - Profit" in candles

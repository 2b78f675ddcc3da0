"""Drafted strategies run in the real freqtrade engine on real Binance candles (../shared/data)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from agents.offline import draft
from gentrade.codegen import render, strategy_filename
from gentrade.engine.runner import run_backtest

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "binance"
TIMERANGE = "20180110-20180130"

# One per family of ideas: oscillator, crossing, MACD, bands, breakout, two oscillators.
REPRESENTATIVE = [
    "Buy ETH/BTC when RSI(14) under 30, exit when RSI above 70, stop 2 ATR, take profit at 1R 2R 3R",
    "EMA 20 crosses above EMA 50 on LTC/BTC, 2% stop, break even after TP1, trail 1.5 ATR after TP2",
    "MACD crosses above signal on ADA/BTC and ETH/BTC, TP 1%, 2%, 3%, stop loss 3 percent",
    "price closes below the lower Bollinger band on ETH/BTC, bollinger 20 2, take 50% at 1R, the rest at 3R",
    "breakout above the 20-candle high on high volume on LTC/BTC, stop 1.5 ATR, close after 48 candles",
    # Short ideas draft and render, but the runner's spot markets refuse can_short strategies.
    "stochastic oversold and MFI under 30 on ADA/BTC, stop 2 ATR, trail 1 ATR from entry",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not DATA.is_dir(), reason="no real candles in ../shared/data"),
]


def test_drafted_ideas_backtest_on_real_candles(tmp_path: Path) -> None:
    def one(text: str):
        spec = draft(text).spec
        folder = tmp_path / spec.name
        folder.mkdir()
        strategy = folder / strategy_filename(spec)
        strategy.write_text(render(spec))
        return spec, run_backtest(strategy, DATA, TIMERANGE, pairs=spec.pairs, results_dir=folder / "runs")

    # Each run is its own child process, so two at a time use both cores of a small machine.
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(one, REPRESENTATIVE))
    for spec, result in outcomes:
        assert result.strategy == spec.name
        assert result.pairs == spec.pairs
        assert result.timeframe == spec.timeframe
        assert result.backtest_start.year == 2018
    assert sum(result.trades for _, result in outcomes) > 0

"""The chart series on a real backtest: buckets are the OHLC of their candles, every fill is marked on the
bar that holds it with what caused it, and the equity curve ends at freqtrade's final balance."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from conftest import PAIRS

from gentrade.data.store import load_candles_frame
from gentrade.engine.result import BacktestResult
from gentrade.engine.series import candle_series, equity_curve, pair_markers, trade_markers
from gentrade.services.quickstart import REPORT_JSON, QuickstartReport

pytestmark = pytest.mark.slow
BREAKEVEN_AFTER, TRAILING_AFTER = 1, 2  # the trend-following example's stop rules


def test_buckets_are_the_ohlc_of_their_candles(result: BacktestResult, shared_data_dir: Path) -> None:
    frame = load_candles_frame(shared_data_dir, PAIRS[0], result.timeframe)
    frame = frame[(frame["date"] >= result.backtest_start) & (frame["date"] <= result.backtest_end)]
    frame = frame.reset_index(drop=True)
    series = candle_series(shared_data_dir, result, PAIRS[0], max_candles=1000)
    size = math.ceil(len(frame) / 1000)
    assert (series.source_candles, series.candles_per_bar) == (len(frame), size)
    assert len(series.candles) == math.ceil(len(frame) / size) <= 1000
    for index in (0, len(series.candles) // 2, len(series.candles) - 1):
        chunk = frame.iloc[index * size : (index + 1) * size]
        time, open_, high, low, close = series.candles[index]
        assert time == int(chunk["date"].iloc[0].timestamp())
        assert (open_, high, low, close) == (
            chunk["open"].iloc[0],
            chunk["high"].max(),
            chunk["low"].min(),
            chunk["close"].iloc[-1],
        )
    whole = candle_series(shared_data_dir, result, PAIRS[0])
    assert whole.candles_per_bar == 1 and len(whole.candles) == len(frame)


def test_candle_times_are_unix_seconds_whatever_unit_the_file_stores(quickstart_dir: Path) -> None:
    """The quickstart's synthetic candles are stamped in microseconds, freqtrade's downloads in ns."""
    report = QuickstartReport.model_validate_json((quickstart_dir / REPORT_JSON).read_bytes())
    result, pair = report.rows[0].result, report.pairs[0]
    frame = load_candles_frame(report.datadir, pair, result.timeframe)
    assert frame["date"].dt.unit != "ns"  # else this test would not test the conversion
    frame = frame[(frame["date"] >= result.backtest_start) & (frame["date"] <= result.backtest_end)]
    series = candle_series(report.datadir, result, pair)
    assert [candle[0] for candle in series.candles] == [int(moment.timestamp()) for moment in frame["date"]]


def test_markers_sit_on_the_bar_that_holds_each_fill(result: BacktestResult, shared_data_dir: Path) -> None:
    exact = pair_markers(result, PAIRS[0])
    series = candle_series(shared_data_dir, result, PAIRS[0], max_candles=1000)
    bars = [bar[0] for bar in series.candles]
    assert len(series.markers) == len(exact)
    step = series.candles_per_bar * 300
    for snapped, fill in zip(series.markers, exact, strict=True):
        assert snapped.time in bars and snapped.time <= fill.time < snapped.time + step
        assert (snapped.price, snapped.kind, snapped.label) == (fill.price, fill.kind, fill.label)


def test_each_exit_is_named_by_what_caused_it(result: BacktestResult) -> None:
    seen: set[str] = set()
    for trade in result.trade_list:
        markers = trade_markers(trade, BREAKEVEN_AFTER, TRAILING_AFTER)
        exits = [o for o in trade.orders if not o.is_entry and o.filled_at is not None]
        assert [m.kind for m in markers[:1]] == ["entry"] and len(markers) == 1 + len(exits)
        for marker, order in zip(markers[1:], exits, strict=True):
            assert order.filled_at is not None
            assert (marker.time, marker.price) == (int(order.filled_at.timestamp()), order.price)
            if (order.tag or "").startswith("tp"):
                assert marker.kind == "tp" and marker.label == order.tag
        if not trade.is_open and trade.exit_reason in ("stop_loss", "trailing_stop_loss"):
            filled = sum((o.tag or "").count("tp") for o in exits[:-1])  # ladder levels before the stop
            want = (
                "trailing"
                if filled >= TRAILING_AFTER
                else "breakeven"
                if filled >= BREAKEVEN_AFTER
                else "stop"
            )
            assert markers[-1].kind == want and markers[-1].label == trade.exit_reason
        seen |= {m.kind for m in markers}
    assert {"entry", "tp", "stop", "breakeven"} <= seen


def test_equity_ends_at_the_final_balance_and_draws_down_as_freqtrade_says(result: BacktestResult) -> None:
    curve = equity_curve(result)
    assert curve[0].equity == result.starting_balance and curve[0].drawdown_pct == 0
    assert curve[-1].equity == pytest.approx(result.final_balance, rel=1e-9)
    assert [p.time for p in curve] == sorted({p.time for p in curve})
    assert min(p.drawdown_pct for p in curve) == pytest.approx(-result.max_drawdown_pct, abs=0.01)

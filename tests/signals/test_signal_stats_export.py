"""Statistics and CSV export over five real-data outcomes whose results the outcome tests check by hand."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from gentrade.signals import evaluate, load_candles_arrays
from gentrade.signals.export import CSV_COLUMNS, write_csv
from gentrade.signals.stats import Evaluated, signal_stats
from gentrade.spec.signal import TradeSignal


@pytest.fixture(scope="module")
def rows(real_datadir: Path, make_signal: Callable[..., TradeSignal]) -> list[Evaluated]:
    eth = load_candles_arrays(real_datadir, "ETH/BTC", "5m")
    signals = [
        # net +0.51: TP1 then break-even (completed_success), 10 minutes
        make_signal(
            "ETH/BTC",
            "2018-01-10T05:00:00+00:00",
            0.0995,
            0.098,
            [(0.1, 0.5), (0.101, 0.3), (0.102, 0.2)],
            confidence=10,
            model_id="a",
            market_condition="ranging",
        ),
        # net +23.95: all three targets (completed_success), 95 minutes
        make_signal(
            "ETH/BTC",
            "2018-01-12T12:00:00+00:00",
            0.0874,
            0.086,
            [(0.0885, 0.4), (0.0900, 0.3), (0.0915, 0.3)],
            confidence=90,
            model_id="b",
            market_condition="trending_up",
        ),
        # net -25.91: stop first (completed_failure), 5 minutes
        make_signal(
            "ETH/BTC",
            "2018-01-10T18:00:00+00:00",
            0.091,
            0.089,
            [(0.0925, 0.5), (0.094, 0.5)],
            confidence=100,
            model_id="b",
            market_condition="trending_up",
            timeframe="4h",
            valid_for_candles=1,
        ),
        # net -10.31: nothing hit (expired), 6 hours
        make_signal(
            "ETH/BTC",
            "2018-01-25T18:00:00+00:00",
            0.0947,
            0.093,
            [(0.096, 0.6), (0.097, 0.4)],
            confidence=30,
            model_id="a",
        ),
        # still running at the end of the file (active): counted, never scored
        make_signal(
            "ETH/BTC",
            "2018-01-30T02:00:00+00:00",
            0.104,
            0.102,
            [(0.106, 0.5), (0.108, 0.5)],
            confidence=50,
            model_id="c",
        ),
        # the entry .0873 is never reached (not_triggered): counted, never scored, no P/L
        make_signal(
            "ETH/BTC",
            "2018-01-12T12:00:00+00:00",
            0.0873,
            0.086,
            [(0.0885, 0.4), (0.0900, 0.3), (0.0915, 0.3)],
            confidence=70,
            model_id="d",
        ),
    ]
    return [(s, evaluate(s, eth)) for s in signals]


def test_statistics(rows: list[Evaluated]) -> None:
    stats = signal_stats(rows)
    nets = [o.net_pnl for _, o in rows[:4]]
    assert [round(n, 2) for n in nets] == [0.51, 23.95, -25.91, -10.31]
    assert (stats.total, stats.decided, stats.wins) == (6, 4, 2)
    assert stats.by_status == {
        "active": 1,
        "completed_failure": 1,
        "completed_success": 2,
        "expired": 1,
        "not_triggered": 1,
    }
    assert stats.win_rate == 0.5
    assert stats.total_net_pnl == pytest.approx(sum(nets))
    assert stats.average_net_pnl == pytest.approx(sum(nets) / 4)
    assert stats.profit_factor == pytest.approx((nets[0] + nets[1]) / -(nets[2] + nets[3]))
    assert stats.best is not None and stats.best.index == 1
    assert stats.worst is not None and stats.worst.index == 2
    assert stats.average_duration == (timedelta(minutes=10 + 95 + 5) + timedelta(hours=6)) / 4
    # tp1: rows 0 and 1 of 4; tp2: row 1 of 4; tp3: row 1 of the two 3-target signals; stop: rows 0 and 2
    assert stats.level_hit_rates == {"tp1": 0.5, "tp2": 0.25, "tp3": 0.5, "stop": 0.5}
    assert stats.by_model["b"].wins == 1 and stats.by_model["b"].count == 2
    assert stats.by_model["a"].total_net_pnl == pytest.approx(nets[0] + nets[3])
    assert "c" not in stats.by_model and "d" not in stats.by_model
    assert set(stats.by_timeframe) == {"1h", "4h"}
    assert stats.by_market_condition["trending_up"].win_rate == 0.5
    buckets = {(b.low, b.high): b for b in stats.calibration}
    assert buckets[(0, 20)].count == 1 and buckets[(0, 20)].realized_win_rate == 1.0
    assert buckets[(80, 100)].count == 2 and buckets[(80, 100)].realized_win_rate == 0.5  # 90 and 100
    assert buckets[(80, 100)].mean_confidence == 95
    assert buckets[(40, 60)].count == 0 and buckets[(40, 60)].realized_win_rate is None


def test_empty_statistics() -> None:
    stats = signal_stats([])
    assert (stats.total, stats.win_rate, stats.profit_factor, stats.best) == (0, None, None, None)


def test_csv_export(rows: list[Evaluated]) -> None:
    out = io.StringIO()
    assert write_csv(rows, out) == 6
    out.seek(0)
    reader = csv.DictReader(out)
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    table = list(reader)
    assert [r["status"] for r in table] == [
        "completed_success",
        "completed_success",
        "completed_failure",
        "expired",
        "active",
        "not_triggered",
    ]
    assert [r["net_pnl_rounded"] for r in table[:4]] == ["0.51", "23.95", "-25.91", "-10.31"]
    assert table[5]["entry_fill_price"] == table[5]["entered_at"] == "" and table[5]["net_pnl"] == "0.0"
    assert table[0]["entered_at"] == "2018-01-10T05:00:00+00:00"
    assert table[1]["tp3_hit_at"] == "2018-01-12T13:35:00+00:00"
    assert table[2]["tp3_price"] == table[2]["tp3_hit_at"] == ""
    assert float(table[0]["net_pnl"]) == rows[0][1].net_pnl  # full precision survives the round trip
    assert table[0]["stop_was_breakeven"] == "True"

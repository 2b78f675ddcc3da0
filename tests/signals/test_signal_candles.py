"""Candle windows, coverage and gaps on hand-made grids, input checks, and the batch API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gentrade.errors import ConfigError, DataMissingError, SpecValidationError
from gentrade.signals import Candles, candles_from_frame, evaluate, evaluate_many, load_candles_arrays
from gentrade.signals.candles import assess, to_ns
from gentrade.spec.signal import TradeSignal

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def flat(minutes: list[int], timeframe: str = "5m", pair: str = "ABC/USDT") -> Candles:
    frame = pd.DataFrame(
        {
            "date": [pd.Timestamp(T0) + pd.Timedelta(minutes=m) for m in minutes],
            "open": 100.0,
            "high": 100.5,
            "low": 99.5,
            "close": 100.0,
            "volume": 1.0,
        }
    )
    return candles_from_frame(frame, pair, timeframe)


def test_gaps_coverage_and_score() -> None:
    candles = flat([0, 5, 20, 25, 40])  # missing 10, 15 and 30, 35 of 0…45
    quality = assess(candles, to_ns(T0), to_ns(T0) + 50 * 60_000_000_000)
    assert (quality.expected_candles, quality.present_candles) == (10, 5)
    assert [(g.start.minute, g.end.minute, g.missing_candles) for g in quality.gaps] == [
        (10, 15, 2),
        (30, 35, 2),
        (45, 45, 1),
    ]
    assert quality.score == pytest.approx(0.5 * (1 - 2 / 10))


def test_window_starts_at_the_next_candle_boundary() -> None:
    candles = flat([0, 5, 10])
    quality = assess(candles, to_ns(T0) + 60_000_000_000, to_ns(T0) + 15 * 60_000_000_000)  # from 00:01
    assert (quality.expected_candles, quality.present_candles, quality.gaps) == (2, 2, [])


def test_unsorted_duplicated_frame_is_cleaned() -> None:
    candles = flat([10, 0, 5, 5])
    assert list((candles.time - candles.time[0]) // 60_000_000_000) == [0, 5, 10]


def test_input_checks(make_signal: Callable[..., TradeSignal]) -> None:
    signal = make_signal("ABC/USDT", "2024-01-01T00:00:00+00:00", 100, 99, [(101, 1.0)])
    with pytest.raises(ConfigError, match="cannot refine"):
        evaluate(signal, flat([0]), detail=flat([0], "15m"))
    with pytest.raises(ConfigError, match="candles are for XYZ/USDT"):
        evaluate(signal, flat([0], pair="XYZ/USDT"))
    with pytest.raises(SpecValidationError, match="generated_at"):
        evaluate(signal.model_copy(update={"generated_at": None}), flat([0]))
    with pytest.raises(ConfigError, match="unknown timeframe"):
        flat([0], "7m")


def test_missing_file_names_pair_and_timeframe(tmp_path: Path) -> None:
    with pytest.raises(DataMissingError, match=r"no 1h candles for ETH/BTC .*ETH_BTC-1h\.feather"):
        load_candles_arrays(tmp_path, "ETH/BTC", "1h")


def test_evaluate_many_matches_evaluate(make_signal: Callable[..., TradeSignal]) -> None:
    candles = flat(list(range(0, 480, 5)))  # 8 hours
    candles.high[10] = 102.0  # TP at 00:50
    signals = [
        make_signal("ABC/USDT", f"2024-01-01T00:{m:02d}:00+00:00", 100, 99, [(101, 1.0)]) for m in (0, 55)
    ]
    outcomes = evaluate_many(signals, {("ABC/USDT", "5m"): candles}, candle_timeframe="5m")
    assert outcomes == [evaluate(s, candles) for s in signals]
    assert [o.status for o in outcomes] == ["completed_success", "expired"]
    assert (
        evaluate(make_signal("ABC/USDT", "2024-01-01T02:05:00+00:00", 100, 99, [(101, 1.0)]), candles).status
        == "active"
    )  # window ends 08:05, data at 08:00
    with pytest.raises(DataMissingError, match="no 1h candles for ABC/USDT"):
        evaluate_many(signals, {("ABC/USDT", "5m"): candles})
    assert np.isclose(outcomes[0].fills[0].price, 101)

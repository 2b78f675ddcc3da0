"""Candles put on the market's tick grid where they enter GenTrade, with the count of prices moved."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gentrade.data import grid, markets, store, synth


def test_hair_off_prices_land_on_the_float_ccxt_prints() -> None:
    values = np.array([0.1 + 0.2, 0.07310000000000001, 0.0731, 101.19999999999999, 2.5])
    snapped = grid.on_grid(values, 0.01)
    assert list(snapped) == [0.3, 0.07, 0.07, 101.2, 2.5]
    fine = grid.on_grid(values[:3], 1e-8)
    assert list(fine) == [0.3, 0.0731, 0.0731]
    # A tick that is not a power of ten: multiples of 0.5.
    assert list(grid.on_grid(np.array([101.26, 101.24, 3.0000000000000004]), 0.5)) == [101.5, 101.0, 3.0]


def test_every_snapped_price_is_a_whole_number_of_ticks_and_the_count_is_exact(shared_data_dir: Path) -> None:
    candles = store.load_candles_frame(shared_data_dir, "ETH/BTC", "5m")
    snapped, report = grid.snap_candles(candles, 1e-8)
    assert report.values == 4 * len(candles)
    changed = sum(int((snapped[c] != candles[c]).sum()) for c in grid.PRICE_COLUMNS)
    assert report.moved == changed
    assert 0.15 < report.moved / report.values < 0.25  # the "15-24 % of prices" in real files
    sample = snapped["open"].to_numpy()[:2000]
    assert all(
        isinstance(exponent := Decimal(repr(float(v))).as_tuple().exponent, int) and exponent >= -8
        for v in sample
    )  # at most 8 decimals, printed (a finite number's exponent is an int; NaN's is "n")
    assert np.abs(snapped["close"] - candles["close"]).max() < 1e-15  # a hair, never a tick
    again, second = grid.snap_candles(snapped, 1e-8)
    assert second.moved == 0 and again.equals(snapped)
    assert (snapped["high"] >= snapped[["open", "close"]].max(axis=1)).all()
    assert (snapped["low"] <= snapped[["open", "close"]].min(axis=1)).all()


def test_gridded_copy_leaves_the_source_alone_and_reports_moves(tmp_path: Path) -> None:
    source, dest = tmp_path / "raw", tmp_path / "copy"
    start = pd.Timestamp("2024-01-01", tz="UTC")
    frame = pd.DataFrame(
        {
            "date": pd.date_range(start, periods=3, freq="5min"),
            "open": [0.1 + 0.2, 0.3, 0.30000000000000004],
            "high": [0.31, 0.31, 0.31],
            "low": [0.29, 0.29, 0.29],
            "close": [0.3, 0.30000000000000004, 0.3],
            "volume": [1.0, 1.0, 1.0],
        }
    )
    store.save_candles(source, "HAIR/USDT", "5m", frame)
    raw_bytes = store.candles_path(source, "HAIR/USDT", "5m").read_bytes()
    report = grid.gridded_copy(source, dest, ["HAIR/USDT"], ["5m"], {"HAIR/USDT": 0.01})
    assert report == grid.GridReport(moved=3, values=12)
    assert store.candles_path(source, "HAIR/USDT", "5m").read_bytes() == raw_bytes
    copied = store.load_candles_frame(dest, "HAIR/USDT", "5m")
    assert list(copied["open"]) == [0.3, 0.3, 0.3] and list(copied["close"]) == [0.3, 0.3, 0.3]


def test_synthetic_candles_are_written_on_the_grid(tmp_path: Path) -> None:
    synth.synthesize(tmp_path, ["BTC/USDT"], days=2)
    ticks = grid.market_ticks(markets.snapshot_for_datadir(tmp_path))
    report = grid.grid_in_place(tmp_path, ["BTC/USDT"], ["5m"], ticks)
    assert report.values == 4 * 2 * 288 and report.moved == 0


def test_a_bad_tick_is_refused() -> None:
    with pytest.raises(ValueError, match="tick"):
        grid.on_grid(np.array([1.0]), 0.0)

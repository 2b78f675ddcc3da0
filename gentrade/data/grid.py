"""Candles on the market's tick grid: every price a whole number of ticks, as the exchange would print it.

Converted candle files often carry prices a hair off the grid (``0.07310000000000001`` for ``0.0731``; 15-24 %
of the prices in some real files). freqtrade rounds order prices to the market's tick, so a partial exit
priced at such a candle's open can land 1e-17 below the candle's low and not fill for several candles. Data
is therefore put on the grid where it enters GenTrade (written by synth or download, or copied for a
backtest), and every such step says how many values it moved.

A price on the grid is the float nearest to ``k * tick``: ``k / 10**d`` for a tick of ``10**-d``, which is
exactly what freqtrade's (ccxt's) price rounding returns, so a level priced at an open fills at that open.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gentrade.data import store

PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close")


@dataclass(frozen=True)
class GridReport:
    """How many prices a step moved onto the grid, out of how many it looked at."""

    moved: int
    values: int

    def __add__(self, other: GridReport) -> GridReport:
        return GridReport(self.moved + other.moved, self.values + other.values)


NOTHING = GridReport(0, 0)


def _tick_fraction(tick: float) -> tuple[int, int]:
    """``tick`` as ``units / 10**decimals`` with whole ``units`` (0.5 → (5, 1), 1e-8 → (1, 8))."""
    if not (tick > 0 and np.isfinite(tick)):
        raise ValueError(f"tick must be positive and finite, got {tick}")
    exponent = Decimal(repr(tick)).normalize().as_tuple().exponent
    decimals = max(0, -int(exponent))
    units = round(tick * 10**decimals)
    return units, decimals


def on_grid(values: np.ndarray, tick: float) -> np.ndarray:
    """``values`` rounded to the nearest multiple of ``tick`` (the nearest float to it, as ccxt prints it)."""
    units, decimals = _tick_fraction(tick)
    steps = np.rint(np.asarray(values, dtype=float) * 10.0**decimals / units)
    return steps * units / 10.0**decimals


def snap_candles(candles: pd.DataFrame, tick: float) -> tuple[pd.DataFrame, GridReport]:
    """A copy of ``candles`` with open/high/low/close on the grid, and how many prices changed.

    Rounding is monotone, so high >= max(open, close) >= min(open, close) >= low still holds afterwards.
    """
    snapped = candles.copy()
    moved = 0
    for column in PRICE_COLUMNS:
        before = snapped[column].to_numpy(dtype=float)
        after = on_grid(before, tick)
        moved += int(np.count_nonzero(after != before))
        snapped[column] = after
    return snapped, GridReport(moved, len(snapped) * len(PRICE_COLUMNS))


def market_ticks(snapshot: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Each pair's price tick from a ccxt-style markets snapshot (TICK_SIZE precision mode, as binance)."""
    return {pair: float(market["precision"]["price"]) for pair, market in snapshot.items()}


def gridded_copy(
    source: Path, dest: Path, pairs: list[str], timeframes: list[str], ticks: dict[str, float]
) -> GridReport:
    """Copy each pair's candles for ``timeframes`` from ``source`` to ``dest``, put on the pair's grid.

    This is how a backtest reads raw candles (the shared real files included) through the same path as
    everything GenTrade writes; the source files stay untouched.
    """
    report = NOTHING
    for pair in pairs:
        for timeframe in timeframes:
            snapped, moved = snap_candles(store.load_candles_frame(source, pair, timeframe), ticks[pair])
            store.save_candles(dest, pair, timeframe, snapped)
            report += moved
    return report


def grid_in_place(
    datadir: Path, pairs: list[str], timeframes: list[str], ticks: dict[str, float]
) -> GridReport:
    """Put candle files already in ``datadir`` on the grid (after a download); rewrites only changed files."""
    report = NOTHING
    for pair in pairs:
        for timeframe in timeframes:
            snapped, moved = snap_candles(store.load_candles_frame(datadir, pair, timeframe), ticks[pair])
            if moved.moved:
                store.save_candles(datadir, pair, timeframe, snapped)
            report += moved
    return report

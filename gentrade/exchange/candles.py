"""Candles of a freqtrade data dir, as numpy arrays in epoch milliseconds.

The server answers every market-data request from these arrays; numpy keeps a 1000-candle kline request
well under a millisecond, so no per-request pandas work is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gentrade.data import store
from gentrade.errors import DataMissingError
from gentrade.exchange.intervals import INTERVALS


@dataclass(frozen=True)
class CandleSeries:
    """One pair at one timeframe: open times (ms) and OHLCV, sorted by time, no duplicate opens."""

    timeframe_ms: int
    ts: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, timeframe_ms: int) -> CandleSeries:
        frame = frame.sort_values("date").drop_duplicates("date", keep="last")
        dates = pd.to_datetime(frame["date"], utc=True)
        ts = dates.dt.as_unit("ms").astype("int64").to_numpy(np.int64)
        cols = [frame[c].to_numpy(np.float64, copy=True) for c in ("open", "high", "low", "close", "volume")]
        return cls(timeframe_ms, ts, *cols)

    def replace_from(self, start_ms: int, other: CandleSeries) -> CandleSeries:
        """This series with every candle from ``start_ms`` to the end of ``other`` replaced by ``other``."""
        end_ms = int(other.ts[-1]) + self.timeframe_ms if len(other) else start_ms
        keep_before = self.ts < start_ms
        keep_after = self.ts >= end_ms

        def join(mine: np.ndarray, theirs: np.ndarray) -> np.ndarray:
            return np.concatenate([mine[keep_before], theirs, mine[keep_after]])

        return CandleSeries(
            self.timeframe_ms,
            join(self.ts, other.ts),
            join(self.open, other.open),
            join(self.high, other.high),
            join(self.low, other.low),
            join(self.close, other.close),
            join(self.volume, other.volume),
        )


@dataclass(frozen=True)
class PairData:
    """Every stored timeframe of one pair (``BASE/QUOTE``)."""

    base: str
    quote: str
    series: dict[int, CandleSeries]

    @property
    def symbol(self) -> str:
        """Binance's symbol id: base and quote glued together (``ETHBTC``)."""
        return f"{self.base}{self.quote}"

    @property
    def finest(self) -> CandleSeries:
        return self.series[min(self.series)]


def load_datadir(datadir: Path) -> dict[str, PairData]:
    """Read every spot candle file of ``datadir`` (freqtrade layout), keyed by Binance symbol id.

    The store lists only the spec's timeframes (monthly files have no fixed length to bucket by); empty
    files are skipped.
    """
    pairs: dict[str, PairData] = {}
    for pair, timeframe in store.available(datadir):
        series = CandleSeries.from_frame(
            store.load_candles_frame(datadir, pair, timeframe), INTERVALS[timeframe]
        )
        if not len(series):
            continue
        base, quote = (part.upper() for part in pair.split("/"))
        entry = pairs.setdefault(base + quote, PairData(base, quote, {}))
        entry.series[series.timeframe_ms] = series
    if not pairs:
        raise DataMissingError(f"no <BASE>_<QUOTE>-<timeframe>.feather candle files in {datadir}")
    return pairs

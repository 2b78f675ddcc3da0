"""Candles as plain numpy arrays, and how complete they are inside a signal's window.

Times are int64 nanoseconds since the epoch (UTC, the candle's open time, freqtrade's convention) so a window
is two ``searchsorted`` calls and gaps are one ``diff``; the evaluator never touches pandas.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from gentrade.data import store
from gentrade.signals.outcome import DataQuality
from gentrade.spec.common import timeframe_seconds

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NS_PER_SECOND = 1_000_000_000


def timeframe_ns(timeframe: str) -> int:
    return timeframe_seconds(timeframe) * _NS_PER_SECOND


def to_ns(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


def from_ns(ns: int) -> datetime:
    return _EPOCH + timedelta(microseconds=int(ns) // 1_000)


def _datetimes(ns: NDArray[np.int64]) -> list[datetime]:
    return [moment.replace(tzinfo=UTC) for moment in (ns // 1_000).astype("datetime64[us]").tolist()]


@dataclass(frozen=True, eq=False)
class Candles:
    """One pair's candles of one timeframe, sorted by open time, no duplicates."""

    pair: str
    timeframe: str
    time: NDArray[np.int64]
    open: NDArray[np.float64]
    high: NDArray[np.float64]
    low: NDArray[np.float64]
    close: NDArray[np.float64]

    @property
    def step(self) -> int:
        return timeframe_ns(self.timeframe)

    @property
    def end(self) -> int | None:
        """Close time of the last candle: the 'now' of this data set."""
        return int(self.time[-1]) + self.step if len(self.time) else None

    def span(self, start: int, stop: int) -> tuple[int, int]:
        """Index range of the candles whose open time lies in ``[start, stop)``."""
        return int(np.searchsorted(self.time, start, "left")), int(np.searchsorted(self.time, stop, "left"))


def candles_from_frame(frame: pd.DataFrame, pair: str, timeframe: str) -> Candles:
    """Candles from a freqtrade-style frame (``date`` + OHLC columns), sorted and de-duplicated."""
    timeframe_ns(timeframe)
    dates = pd.to_datetime(frame["date"], utc=True)
    order = np.argsort(dates.to_numpy(dtype="datetime64[ns]").view(np.int64), kind="stable")
    time = dates.to_numpy(dtype="datetime64[ns]").view(np.int64)[order]
    keep = np.concatenate(([True], np.diff(time) > 0)) if len(time) else np.zeros(0, dtype=bool)

    def column(name: str) -> NDArray[np.float64]:
        return np.ascontiguousarray(frame[name].to_numpy(dtype=np.float64)[order][keep])

    return Candles(
        pair,
        timeframe,
        np.ascontiguousarray(time[keep]),
        column("open"),
        column("high"),
        column("low"),
        column("close"),
    )


def load_candles_arrays(datadir: Path, pair: str, timeframe: str) -> Candles:
    """A pair's candles from a freqtrade data dir as the evaluator's arrays; the data store's one loader reads
    the file, so a missing one names the pair, timeframe and file the same way everywhere."""
    return candles_from_frame(store.load_candles_frame(datadir, pair, timeframe), pair, timeframe)


def assess(candles: Candles, start: int, horizon: int) -> DataQuality:
    """Coverage and gaps of the candle grid slots in ``[start, horizon)`` (slots aligned to the epoch)."""
    step = candles.step
    first_slot = -(-start // step) * step
    expected = max(0, -(-(horizon - first_slot) // step))
    lo, hi = candles.span(first_slot, horizon)
    present = hi - lo
    if expected == 0:
        return DataQuality(
            timeframe=candles.timeframe, expected_candles=0, present_candles=0, coverage=1.0, score=1.0
        )
    edges = np.concatenate(([first_slot - step], candles.time[lo:hi], [first_slot + expected * step]))
    missing = np.diff(edges) // step - 1
    at = np.flatnonzero(missing > 0)
    # A gappy 1m day has dozens of gaps: convert their bounds in one numpy call and validate them in one
    # pydantic call (plain dicts), instead of one model construction per gap.
    starts, ends = _datetimes(edges[at] + step), _datetimes(edges[at + 1] - step)
    gaps = [
        {"start": a, "end": b, "missing_candles": m}
        for a, b, m in zip(starts, ends, missing[at].tolist(), strict=True)
    ]
    largest = int(missing[at].max()) if len(at) else 0
    coverage = present / expected
    return DataQuality.model_validate(
        {
            "timeframe": candles.timeframe,
            "expected_candles": expected,
            "present_candles": present,
            "coverage": coverage,
            "gaps": gaps,
            "largest_gap_candles": largest,
            "score": coverage * (1 - largest / expected),
        }
    )

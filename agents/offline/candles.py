"""Candles for the analyst at the timeframe asked for, resampled from a finer file when that is all there is
(signals speak 1h/4h/1d/1w; stored data is often 5m)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gentrade.data import store
from gentrade.errors import DataMissingError
from gentrade.spec.common import timeframe_seconds

_AGG = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}


def load_candles(datadir: Path, pair: str, timeframe: str) -> pd.DataFrame:
    if timeframe in store.list_timeframes(datadir, pair):
        return store.load_candles(datadir, pair, timeframe)
    want = timeframe_seconds(timeframe)
    finer = [
        tf
        for tf in store.list_timeframes(datadir, pair)
        if timeframe_seconds(tf) < want and want % timeframe_seconds(tf) == 0
    ]
    if not finer:
        raise DataMissingError(
            f"no candles for {pair} at {timeframe} or finer in {datadir}",
            details={"pair": pair, "timeframe": timeframe},
        )
    source = finer[-1]
    per_bucket = want // timeframe_seconds(source)
    fine = store.load_candles(datadir, pair, source).set_index("date")
    buckets = fine.resample(f"{want}s", label="left", closed="left")
    coarse = buckets.agg(_AGG)
    complete = buckets["close"].count() == per_bucket  # a partly filled bucket is not a candle yet
    return coarse[complete].dropna().reset_index()

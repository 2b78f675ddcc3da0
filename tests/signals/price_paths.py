"""Random candle paths for the signal property tests: one price path at two resolutions."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from gentrade.signals.candles import Candles, to_ns

T0 = datetime(2024, 1, 1, tzinfo=UTC)
MINUTE = 60_000_000_000


def random_path(seed: int, count: int, minutes: int, volatility: float) -> Candles:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, volatility, count)))
    open_ = np.concatenate(([100.0], close[:-1]))
    wick = np.abs(rng.normal(0, volatility * 100, (2, count)))
    time = to_ns(T0) + np.arange(count, dtype=np.int64) * minutes * MINUTE
    return Candles(
        "ABC/USDT",
        f"{minutes}m",
        time,
        open_,
        np.maximum(open_, close) + wick[0],
        np.maximum(np.minimum(open_, close) - wick[1], 1e-6),
        close,
    )


def aggregate(fine: Candles, factor: int, timeframe: str) -> Candles:
    """Coarse candles made of ``factor`` fine ones, so both resolutions describe one price path."""
    n = len(fine.time) // factor * factor
    shape = (n // factor, factor)
    return Candles(
        fine.pair,
        timeframe,
        fine.time[:n:factor].copy(),
        fine.open[:n:factor].copy(),
        fine.high[:n].reshape(shape).max(axis=1),
        fine.low[:n].reshape(shape).min(axis=1),
        fine.close[factor - 1 : n : factor].copy(),
    )


def jumpy_path(seed: int, count: int, minutes: int, volatility: float) -> Candles:
    """Like `random_path`, but every candle opens away from the previous close (gaps both ways)."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, volatility, count)))
    open_ = np.concatenate(([100.0], close[:-1])) * np.exp(rng.normal(0, volatility, count))
    wick = np.abs(rng.normal(0, volatility * 50, (2, count)))
    time = to_ns(T0) + np.arange(count, dtype=np.int64) * minutes * MINUTE
    return Candles(
        "ABC/USDT",
        f"{minutes}m",
        time,
        open_,
        np.maximum(open_, close) + wick[0],
        np.maximum(np.minimum(open_, close) - wick[1], 1e-6),
        close,
    )


def crafted(rows: list[tuple[float, float, float, float]], minutes: int = 60) -> Candles:
    """Candles from hand-written (open, high, low, close) rows, one per ``minutes`` from `T0`."""
    o, h, low, c = (np.array(column, dtype=np.float64) for column in zip(*rows, strict=True))
    time = to_ns(T0) + np.arange(len(rows), dtype=np.int64) * minutes * MINUTE
    return Candles("ABC/USDT", f"{minutes}m" if minutes < 60 else f"{minutes // 60}h", time, o, h, low, c)

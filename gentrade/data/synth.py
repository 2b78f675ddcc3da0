"""Deterministic synthetic candles for everything that must work without real market data.

The series walk through stretches of four regimes (trending up, ranging, trending down, volatile) so a
strategy meets the situations that separate good rules from lucky ones. Everything comes from a seeded
numpy Generator and is written with fixed compression settings, so one seed gives byte-identical files.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from gentrade.data import store
from gentrade.data.grid import on_grid
from gentrade.data.markets import amount_step, price_tick
from gentrade.errors import ConfigError
from gentrade.spec.common import timeframe_seconds

#: The pairs GenTrade's local world has candles for when nobody names any: synthetic data, quickstart and the
#: freqtrade configs' pair list all use these, so a config never asks for a pair the data lacks.
DEFAULT_PAIRS: tuple[str, ...] = ("BTC/USDT", "ETH/USDT", "SOL/USDT")
DEFAULT_START = datetime(2024, 1, 1, tzinfo=UTC)

_START_PRICE: dict[str, float] = {"BTC": 42_000.0, "ETH": 2_300.0, "SOL": 100.0, "BNB": 310.0, "XRP": 0.6}


@dataclass(frozen=True)
class Regime:
    name: str
    drift_per_day: float  # mean log return per day
    vol_per_day: float  # std of log return per day
    reversion: float  # pull toward the stretch's opening level per day (ranging markets)


REGIMES: tuple[Regime, ...] = (
    Regime("trending_up", 0.02, 0.018, 0.0),
    Regime("ranging", 0.0, 0.012, 2.0),
    Regime("trending_down", -0.02, 0.02, 0.0),
    Regime("volatile", 0.0, 0.05, 0.0),
)
_STRETCH_DAYS = (1.0, 4.0)


def _pair_rng(seed: int, pair: str) -> np.random.Generator:
    # crc32, not hash(): Python's str hash is salted per process and would break determinism.
    return np.random.default_rng([seed, zlib.crc32(pair.encode())])


def _regime_plan(rng: np.random.Generator, n: int, candles_per_day: float) -> np.ndarray:
    """Regime index per candle: shuffled rounds of all four regimes, each for one to four days."""
    plan = np.empty(n, dtype=np.int64)
    filled = 0
    while filled < n:
        for regime in rng.permutation(len(REGIMES)):
            length = max(1, int(rng.uniform(*_STRETCH_DAYS) * candles_per_day))
            plan[filled : filled + length] = regime
            filled += length
            if filled >= n:
                break
    return plan


def _candles(
    rng: np.random.Generator, pair: str, plan: np.ndarray, step_s: int, start: datetime
) -> pd.DataFrame:
    base, quote = pair.split("/")
    n, dt_days = len(plan), step_s / 86400
    start_price = _START_PRICE.get(base, float(10 ** rng.uniform(-1, 3)))

    log_close = np.empty(n)
    level = anchor = np.log(start_price)
    for i in range(n):
        regime = REGIMES[plan[i]]
        if i > 0 and plan[i] != plan[i - 1]:
            anchor = level
        pull = regime.reversion * (anchor - level) * dt_days
        level += regime.drift_per_day * dt_days + pull + regime.vol_per_day * np.sqrt(dt_days) * rng.normal()
        log_close[i] = level

    vol_c = np.array([REGIMES[r].vol_per_day for r in plan]) * np.sqrt(dt_days)
    close = np.exp(log_close)
    open_ = np.concatenate(([start_price], close[:-1]))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.6, n)) * vol_c)
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.6, n)) * vol_c)

    tick = price_tick(start_price)

    def on_tick(values: np.ndarray) -> np.ndarray:
        # The shared grid rounding (monotone, so high >= max(open, close) and low <= min(open, close) hold).
        return on_grid(np.maximum(values, tick), tick)

    lot = amount_step(start_price, quote)
    activity = 1.0 + 40.0 * np.abs(np.diff(log_close, prepend=np.log(start_price))) / np.maximum(vol_c, 1e-12)
    volume = rng.lognormal(mean=0.0, sigma=0.5, size=n) * activity * (50_000.0 / start_price)
    volume = np.maximum(np.round(volume / lot) * lot, lot)

    dates = pd.date_range(start=start, periods=n, freq=pd.Timedelta(seconds=step_s), tz=UTC)
    return pd.DataFrame(
        {
            "date": dates,
            "open": on_tick(open_),
            "high": on_tick(high),
            "low": on_tick(low),
            "close": on_tick(close),
            "volume": volume,
        }
    )


def synthesize(
    datadir: Path,
    pairs: Sequence[str] = DEFAULT_PAIRS,
    timeframe: str = "5m",
    days: int = 30,
    seed: int = 42,
    start: datetime = DEFAULT_START,
) -> list[Path]:
    """Write ``days`` of candles per pair into ``datadir`` in freqtrade's layout; returns the files."""
    if days <= 0:
        raise ConfigError(f"days must be positive, got {days}")
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    step_s = timeframe_seconds(timeframe)
    n = int(timedelta(days=days).total_seconds() // step_s)
    if n < 1:
        raise ConfigError(f"{days} days hold no {timeframe} candle")
    written = []
    for pair in pairs:
        store.pair_filename(pair)
        rng = _pair_rng(seed, pair)
        candles = _candles(rng, pair, _regime_plan(rng, n, 86400 / step_s), step_s, start)
        written.append(store.save_candles(Path(datadir), pair, timeframe, candles))
    return written

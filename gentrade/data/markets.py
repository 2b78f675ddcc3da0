"""A ccxt-style binance spot markets snapshot, so freqtrade's Exchange can work without the network.

freqtrade needs ``exchange.markets`` for precision, minimum stakes and the stake currency. Offline we build
the same dict structure ccxt's binance ``parse_market`` produces (precision as tick sizes, because binance
uses ccxt's TICK_SIZE mode), with limits close to binance's real ones, from the candles in a data dir.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from gentrade.data import store
from gentrade.errors import ConfigError, DataMissingError

BINANCE_SPOT_FEE = 0.001

# Binance's minimum notional per quote currency (approximately; they move it rarely).
_MIN_COST_BY_QUOTE: dict[str, float] = {
    "USDT": 5.0,
    "USDC": 5.0,
    "FDUSD": 5.0,
    "TUSD": 5.0,
    "BUSD": 5.0,
    "DAI": 5.0,
    "EUR": 5.0,
    "BTC": 0.0001,
    "ETH": 0.001,
    "BNB": 0.01,
}
_DEFAULT_MIN_COST = 0.0001
_SIGNIFICANT_PRICE_DIGITS = 5
_MIN_TICK = 1e-8


def price_tick(price: float) -> float:
    """Tick size giving about five significant digits at ``price`` (never below one satoshi)."""
    if price <= 0 or not math.isfinite(price):
        raise ValueError(f"price must be positive and finite, got {price}")
    exponent = math.floor(math.log10(price)) - (_SIGNIFICANT_PRICE_DIGITS - 1)
    return max(float(f"1e{exponent}"), _MIN_TICK)


def grid_tick(prices: np.ndarray) -> float:
    """The largest power-of-ten tick on which every price lies (one satoshi at the finest).

    Real candles carry the exchange's own price grid (2018 ETH/BTC: 8 decimals); a tick coarser than that
    would round order prices at a candle's open or close off the candle, and freqtrade would never fill them.
    """
    values = np.asarray(prices, dtype=float)
    values = values[np.isfinite(values) & (values > 0)]
    for decimals in range(0, 9):
        scaled = values * 10.0**decimals
        tolerance = np.maximum(1e-6, np.abs(scaled) * 4e-16)
        if np.all(np.abs(scaled - np.round(scaled)) <= tolerance):
            return float(f"1e-{decimals}")
    return _MIN_TICK


def market_tick(prices: np.ndarray) -> float:
    """About five significant digits at the median price, never coarser than the prices' own grid."""
    values = np.asarray(prices, dtype=float)
    return min(price_tick(float(np.median(values[values > 0]))), grid_tick(values))


def min_cost(quote: str) -> float:
    return _MIN_COST_BY_QUOTE.get(quote, _DEFAULT_MIN_COST)


def default_balance(quote: str) -> Decimal:
    """A starting balance worth trading with: about two thousand minimum orders of the quote currency."""
    return Decimal(repr(min_cost(quote))) * 2000


def amount_step(price: float, quote: str) -> float:
    """Amount step worth about 1% of the minimum order, clamped to [1e-8, 1] like binance's lot sizes."""
    exponent = math.floor(math.log10(min_cost(quote) / 100 / price))
    return min(max(float(f"1e{exponent}"), _MIN_TICK), 1.0)


def spot_market(
    pair: str, price: float, *, tick: float | None = None, fee: float = BINANCE_SPOT_FEE
) -> dict[str, Any]:
    """One market entry shaped like ccxt binance's ``parse_market`` output for a spot pair."""
    base, quote = pair.split("/")
    tick, step = tick or price_tick(price), amount_step(price, quote)
    return {
        "id": f"{base}{quote}",
        "lowercaseId": f"{base}{quote}".lower(),
        "symbol": pair,
        "base": base,
        "quote": quote,
        "settle": None,
        "baseId": base,
        "quoteId": quote,
        "settleId": None,
        "type": "spot",
        "spot": True,
        "margin": False,
        "marginModes": {"cross": False, "isolated": False},
        "swap": False,
        "future": False,
        "option": False,
        "stock": False,
        "active": True,
        "contract": False,
        "linear": None,
        "inverse": None,
        "subType": None,
        "taker": fee,
        "maker": fee,
        "contractSize": None,
        "expiry": None,
        "expiryDatetime": None,
        "strike": None,
        "optionType": None,
        "precision": {"amount": step, "price": tick, "base": _MIN_TICK, "quote": _MIN_TICK},
        "limits": {
            "leverage": {"min": None, "max": None},
            "amount": {"min": step, "max": 9_000_000_000.0},
            "price": {"min": tick, "max": 1_000_000_000.0},
            "cost": {"min": min_cost(quote), "max": 9_000_000_000.0},
            "market": {"min": 0.0, "max": 9_000_000_000.0},
        },
        "created": None,
        "info": {"symbol": f"{base}{quote}", "status": "TRADING", "source": "gentrade-snapshot"},
    }


def _market_from_candles(datadir: Path, pair: str) -> dict[str, Any]:
    timeframes = store.list_timeframes(datadir, pair)
    if not timeframes:
        raise DataMissingError(f"no candles for {pair} in {datadir}", details={"pair": pair})
    candles = store.load_candles_frame(datadir, pair, timeframes[0])
    closes = candles["close"][candles["close"] > 0]
    if closes.empty:
        raise DataMissingError(f"no positive prices for {pair} {timeframes[0]} in {datadir}")
    prices = np.concatenate([candles["open"].to_numpy(), closes.to_numpy()])
    return spot_market(pair, float(closes.median()), tick=market_tick(prices))


def snapshot_for_datadir(datadir: Path, pairs: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """Markets for ``pairs`` (default: every pair with candles), keyed by symbol like ccxt's ``markets``."""
    chosen = sorted(pairs) if pairs is not None else store.list_pairs(datadir)
    return {pair: _market_from_candles(datadir, pair) for pair in chosen}


def load_snapshot(path: Path) -> dict[str, dict[str, Any]]:
    """Load a captured snapshot (e.g. ``json.dump(ccxt.binance().load_markets())``) and check its shape."""
    try:
        markets = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read markets snapshot {path}: {exc}") from exc
    if not isinstance(markets, dict):
        raise ConfigError(f"markets snapshot {path} must be a JSON object keyed by symbol")
    for symbol, market in markets.items():
        if not isinstance(market, dict) or market.get("symbol") != symbol:
            raise ConfigError(f"markets snapshot {path}: entry {symbol!r} is not a market for that symbol")
        for key in ("base", "quote", "precision", "limits", "active", "spot"):
            if key not in market:
                raise ConfigError(f"markets snapshot {path}: {symbol} lacks {key!r}")
    return markets


def save_snapshot(markets: dict[str, dict[str, Any]], path: Path) -> Path:
    Path(path).write_text(json.dumps(markets, indent=1, sort_keys=True))
    return Path(path)

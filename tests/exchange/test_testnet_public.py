"""Public market data through real ccxt against the historical testnet over real Binance candles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import ccxt
import httpx
import numpy as np
import pandas as pd
import pytest

from gentrade.exchange.server import TestnetHandle


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def _stored(datadir: Path, name: str = "ETH_BTC-5m") -> pd.DataFrame:
    frame = pd.read_feather(datadir / f"{name}.feather")
    frame["ts"] = pd.to_datetime(frame["date"], utc=True).dt.as_unit("ms").astype("int64")
    return frame


def test_load_markets_lists_every_stored_pair_with_filters(
    historical: TestnetHandle, make_client: Callable[..., ccxt.binance]
) -> None:
    client = make_client(historical.url)
    markets = client.load_markets()
    assert {"ETH/BTC", "LTC/BTC", "ADA/BTC", "XLM/BTC"} <= set(markets)
    eth = markets["ETH/BTC"]
    assert eth["spot"] and eth["active"] and eth["id"] == "ETHBTC"
    assert eth["precision"]["price"] == pytest.approx(1e-8)  # the candles' own price grid
    assert eth["limits"]["cost"]["min"] == pytest.approx(0.0001)
    assert eth["limits"]["amount"]["min"] == eth["precision"]["amount"] > 0


def test_fetch_ohlcv_returns_the_stored_candles(
    historical: TestnetHandle, make_client: Callable[..., ccxt.binance], shared_data_dir: Path
) -> None:
    client = make_client(historical.url)
    since = _ms("2018-01-15T00:00:00")
    candles = client.fetch_ohlcv("ETH/BTC", "5m", since=since, limit=1000)
    stored = _stored(shared_data_dir)
    expected = stored[stored["ts"] >= since].head(1000)
    assert len(candles) == 1000
    got = np.array(candles, dtype=np.float64)
    assert np.array_equal(got[:, 0], expected["ts"].to_numpy(np.float64))
    assert np.array_equal(got[:, 1:], expected[["open", "high", "low", "close", "volume"]].to_numpy())


def test_fetch_ohlcv_resamples_to_longer_intervals(
    historical: TestnetHandle, make_client: Callable[..., ccxt.binance], shared_data_dir: Path
) -> None:
    client = make_client(historical.url)
    since = _ms("2018-01-20T00:00:00")
    candles = client.fetch_ohlcv("LTC/BTC", "1h", since=since, limit=24)
    frame = _stored(shared_data_dir, "LTC_BTC-5m").set_index("date")
    hourly = frame.resample("1h").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    )
    hourly = hourly[hourly.index >= pd.Timestamp(since, unit="ms", tz="UTC")].head(24)
    assert len(candles) == 24
    got = np.array(candles, dtype=np.float64)
    assert np.allclose(got[:, 1:], hourly.to_numpy(), rtol=1e-12)


def test_klines_window_semantics_match_binance(historical: TestnetHandle, shared_data_dir: Path) -> None:
    stored = _stored(shared_data_dir)
    url = f"{historical.url}/api/v3/klines"
    start, end = _ms("2018-01-12T00:00:00"), _ms("2018-01-12T01:00:00")
    both = httpx.get(
        url, params={"symbol": "ETHBTC", "interval": "5m", "startTime": start, "endTime": end}
    ).json()
    assert [row[0] for row in both] == list(range(start, end + 1, 300_000))
    assert all(row[6] == row[0] + 299_999 for row in both)
    only_end = httpx.get(
        url, params={"symbol": "ETHBTC", "interval": "5m", "endTime": end, "limit": 3}
    ).json()
    assert [row[0] for row in only_end] == [end - 600_000, end - 300_000, end]
    latest = httpx.get(url, params={"symbol": "ETHBTC", "interval": "5m", "limit": 2}).json()
    assert [row[0] for row in latest] == stored["ts"].tail(2).tolist()
    capped = httpx.get(
        url, params={"symbol": "ETHBTC", "interval": "5m", "startTime": 0, "limit": 5000}
    ).json()
    assert len(capped) == 1000 and capped[0][0] == stored["ts"].iloc[0]
    default = httpx.get(url, params={"symbol": "ETHBTC", "interval": "5m", "startTime": 0}).json()
    assert len(default) == 500


def test_fetch_ticker_and_tickers(
    historical: TestnetHandle, make_client: Callable[..., ccxt.binance], shared_data_dir: Path
) -> None:
    client = make_client(historical.url)
    ticker = client.fetch_ticker("ETH/BTC")
    last_close = float(_stored(shared_data_dir)["close"].iloc[-1])
    assert ticker["last"] == pytest.approx(last_close, abs=1e-6)
    assert ticker["bid"] < ticker["last"] < ticker["ask"]
    assert ticker["high"] >= ticker["last"] >= ticker["low"] > 0
    assert ticker["baseVolume"] > 0
    some = client.fetch_tickers(["ETH/BTC", "LTC/BTC"])
    assert set(some) == {"ETH/BTC", "LTC/BTC"}
    everything = client.fetch_tickers()
    assert set(client.markets) <= set(everything)
    prices = client.fetch_last_prices(["ETH/BTC"])
    assert prices["ETH/BTC"]["price"] == pytest.approx(ticker["last"])
    books = client.fetch_bids_asks(["ETH/BTC", "ADA/BTC"])
    assert books["ETH/BTC"]["bid"] == pytest.approx(ticker["bid"])


def test_fetch_order_book(historical: TestnetHandle, make_client: Callable[..., ccxt.binance]) -> None:
    client = make_client(historical.url)
    book = client.fetch_order_book("LTC/BTC", limit=20)
    assert len(book["bids"]) == len(book["asks"]) == 20
    bids = [price for price, _ in book["bids"]]
    asks = [price for price, _ in book["asks"]]
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks)
    assert bids[0] < asks[0]
    assert all(size > 0 for _, size in book["bids"] + book["asks"])


def test_time_and_ping(historical: TestnetHandle, make_client: Callable[..., ccxt.binance]) -> None:
    client = make_client(historical.url)
    before = datetime.now(UTC).timestamp() * 1000
    assert abs(client.fetch_time() - before) < 5_000
    assert httpx.get(f"{historical.url}/api/v3/ping").json() == {}


def test_exchange_info_for_one_symbol(historical: TestnetHandle) -> None:
    reply = httpx.get(f"{historical.url}/api/v3/exchangeInfo", params={"symbol": "LTCBTC"}).json()
    assert [s["symbol"] for s in reply["symbols"]] == ["LTCBTC"]
    filters = {f["filterType"] for f in reply["symbols"][0]["filters"]}
    assert {"PRICE_FILTER", "LOT_SIZE", "NOTIONAL"} <= filters

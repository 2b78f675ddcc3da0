"""Fixtures for the local testnet: running servers and real ccxt clients pointed at them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import ccxt
import httpx
import pytest

from gentrade.exchange.accounts import DEFAULT_API_KEY, DEFAULT_API_SECRET
from gentrade.exchange.server import TestnetHandle, start_testnet
from gentrade.freqtrade_config import local_ccxt_config

#: The synthetic data set starts 2024-01-01 and runs 30 days; replays start inside it.
SYNTHETIC_REPLAY_START = datetime(2024, 1, 10, tzinfo=UTC)

ClientFactory = Callable[..., ccxt.binance]


@pytest.fixture(scope="session")
def make_client() -> ClientFactory:
    """``make_client(url, api_key=..., secret=...)``: ccxt's binance client on the testnet's urls."""

    def make(url: str, api_key: str = DEFAULT_API_KEY, secret: str = DEFAULT_API_SECRET) -> ccxt.binance:
        return ccxt.binance(
            {"apiKey": api_key, "secret": secret, "timeout": 10_000, **local_ccxt_config(url)}
        )

    return make


@pytest.fixture(scope="module")
def historical(shared_data_dir: Path) -> Iterator[TestnetHandle]:
    """A historical-clock testnet over the real Binance candles."""
    with start_testnet(shared_data_dir) as handle:
        yield handle


@pytest.fixture
def replay(synthetic_data_dir: Path) -> Iterator[TestnetHandle]:
    """A fresh replay testnet (new balances every test) over the synthetic candles, at real-time speed."""
    with start_testnet(synthetic_data_dir, replay_start=SYNTHETIC_REPLAY_START) as handle:
        yield handle


@pytest.fixture(scope="session")
def set_prices() -> Callable[[str, str, list[float]], dict[str, object]]:
    """``set_prices(url, symbol, prices)``: the replayed market trades at ``prices`` from now on."""

    def post(url: str, symbol: str, prices: list[float]) -> dict[str, object]:
        reply = httpx.post(f"{url}/gentrade/v1/script", json={"symbol": symbol, "prices": prices}, timeout=10)
        reply.raise_for_status()
        return reply.json()

    return post

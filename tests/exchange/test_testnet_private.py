"""Signed endpoints through real ccxt: orders, fills, balances and trades on a replay testnet.

Prices are scripted (flat candles) so every fill is deterministic: BTC/USDT's tick is 1 USDT, the book is
one tick either side of the last price, and the fee is 0.1% of what is received.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import ccxt
import pytest

from gentrade.exchange.server import TestnetHandle

FEE = 0.001


@pytest.fixture
def client(
    replay: TestnetHandle,
    make_client: Callable[..., ccxt.binance],
    set_prices: Callable[[str, str, list[float]], dict[str, object]],
) -> ccxt.binance:
    set_prices(replay.url, "BTC/USDT", [40_000.0] * 50)
    exchange = make_client(replay.url)
    exchange.load_markets()
    return exchange


def test_starting_balance(client: ccxt.binance) -> None:
    balance = client.fetch_balance()
    assert balance["USDT"] == {"free": 10_000.0, "used": 0.0, "total": 10_000.0}


def test_market_buy_fills_at_the_ask_and_moves_balances(client: ccxt.binance) -> None:
    order = client.create_order("BTC/USDT", "market", "buy", 0.01)
    assert order["status"] == "closed"
    assert order["filled"] == pytest.approx(0.01)
    assert order["average"] == pytest.approx(40_001.0)
    assert order["fee"] == {"currency": "BTC", "cost": pytest.approx(0.01 * FEE)}
    balance = client.fetch_balance()
    assert balance["BTC"]["free"] == pytest.approx(0.01 * (1 - FEE))
    assert balance["USDT"]["free"] == pytest.approx(10_000 - 400.01)
    fetched = client.fetch_order(order["id"], "BTC/USDT")
    assert fetched["status"] == "closed" and fetched["cost"] == pytest.approx(400.01)


def test_market_sell_fills_at_the_bid(client: ccxt.binance) -> None:
    client.create_order("BTC/USDT", "market", "buy", 0.02)
    sold = client.create_order("BTC/USDT", "market", "sell", 0.01)
    assert sold["status"] == "closed" and sold["average"] == pytest.approx(39_999.0)
    assert sold["fee"]["currency"] == "USDT"
    assert sold["fee"]["cost"] == pytest.approx(399.99 * FEE)


def test_resting_limit_buy_locks_funds_then_fills_when_price_falls(
    client: ccxt.binance,
    replay: TestnetHandle,
    set_prices: Callable[[str, str, list[float]], dict[str, object]],
) -> None:
    order = client.create_order("BTC/USDT", "limit", "buy", 0.01, 39_000, {"clientOrderId": "dip-buyer-1"})
    assert order["status"] == "open" and order["clientOrderId"] == "dip-buyer-1"
    assert client.fetch_balance()["USDT"]["used"] == pytest.approx(390.0)
    assert [o["id"] for o in client.fetch_open_orders("BTC/USDT")] == [order["id"]]

    set_prices(replay.url, "BTC/USDT", [38_000.0] * 50)

    filled = client.fetch_order(None, "BTC/USDT", {"origClientOrderId": "dip-buyer-1"})
    assert filled["status"] == "closed" and filled["average"] == pytest.approx(39_000.0)
    assert client.fetch_open_orders("BTC/USDT") == []
    balance = client.fetch_balance()
    assert balance["USDT"] == {"free": pytest.approx(9_610.0), "used": 0.0, "total": pytest.approx(9_610.0)}
    assert balance["BTC"]["free"] == pytest.approx(0.01 * (1 - FEE))
    trades = client.fetch_my_trades("BTC/USDT")
    assert [(t["order"], t["takerOrMaker"], t["price"]) for t in trades] == [(order["id"], "maker", 39_000.0)]


def test_cancel_unlocks_funds(client: ccxt.binance) -> None:
    order = client.create_order("BTC/USDT", "limit", "buy", 0.05, 30_000)
    assert client.fetch_balance()["USDT"]["used"] == pytest.approx(1_500.0)
    canceled = client.cancel_order(order["id"], "BTC/USDT")
    assert canceled["status"] == "canceled"
    assert client.fetch_balance()["USDT"] == {"free": 10_000.0, "used": 0.0, "total": 10_000.0}
    with pytest.raises(ccxt.OrderNotFound):
        client.cancel_order(order["id"], "BTC/USDT")
    history = client.fetch_orders("BTC/USDT")
    assert [(o["id"], o["status"]) for o in history] == [(order["id"], "canceled")]


def test_stop_loss_limit_waits_for_its_stop(
    client: ccxt.binance,
    replay: TestnetHandle,
    set_prices: Callable[[str, str, list[float]], dict[str, object]],
) -> None:
    client.create_order("BTC/USDT", "market", "buy", 0.02)
    stop = client.create_order("BTC/USDT", "stop_loss_limit", "sell", 0.01, 38_000, {"stopPrice": 39_000})
    assert stop["status"] == "open" and stop["triggerPrice"] == pytest.approx(39_000)
    assert client.fetch_balance()["BTC"]["used"] == pytest.approx(0.01)

    set_prices(replay.url, "BTC/USDT", [38_500.0] * 50)

    done = client.fetch_order(stop["id"], "BTC/USDT")
    assert done["status"] == "closed" and done["average"] == pytest.approx(38_499.0)
    assert client.fetch_balance()["BTC"]["used"] == 0.0


def test_immediate_or_cancel_expires_and_post_only_refuses_to_take(client: ccxt.binance) -> None:
    expired = client.create_order("BTC/USDT", "limit", "buy", 0.01, 39_000, {"timeInForce": "IOC"})
    assert expired["status"] == "expired"
    assert client.fetch_balance()["USDT"]["used"] == 0.0
    with pytest.raises(ccxt.OrderImmediatelyFillable):
        client.create_order("BTC/USDT", "limit", "buy", 0.01, 41_000, {"postOnly": True})


def test_order_errors_map_to_ccxt_exceptions(client: ccxt.binance) -> None:
    with pytest.raises(ccxt.InsufficientFunds):
        client.create_order("BTC/USDT", "limit", "buy", 1, 39_000)
    with pytest.raises(ccxt.InsufficientFunds):
        client.create_order("BTC/USDT", "market", "sell", 0.5)
    with pytest.raises(ccxt.BadRequest):  # below the 5 USDT minimum notional: -1013, as from binance.com
        client.private_post_order(
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "0.0001",
                "price": "39000",
            }
        )
    with pytest.raises(ccxt.InvalidOrder):  # off the tick
        client.private_post_order(
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "0.01",
                "price": "39000.5",
            }
        )
    with pytest.raises(ccxt.OrderNotFound):
        client.fetch_order("987654", "BTC/USDT")
    with pytest.raises(ccxt.BadRequest):
        client.private_post_order({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.01"})
    with pytest.raises(ccxt.BadRequest):
        client.private_post_order({"symbol": "BTCUSDT", "side": "UP", "type": "MARKET", "quantity": "0.01"})
    assert client.fetch_balance()["USDT"]["total"] == 10_000.0


def test_test_order_validates_without_trading(client: ccxt.binance) -> None:
    assert (
        client.private_post_order_test(
            {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01"}
        )
        == {}
    )
    with pytest.raises(ccxt.InsufficientFunds):
        client.private_post_order_test(
            {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "1"}
        )
    assert client.fetch_orders("BTC/USDT") == []


def test_authentication_failures(replay: TestnetHandle, make_client: Callable[..., ccxt.binance]) -> None:
    with pytest.raises(ccxt.AuthenticationError):
        make_client(replay.url, secret="not-the-secret").fetch_balance()
    with pytest.raises(ccxt.AuthenticationError):
        make_client(replay.url, api_key="nobody").fetch_balance()
    stale = make_client(replay.url)
    stale.options["timeDifference"] = 120_000  # every request signed two minutes in the past
    with pytest.raises(ccxt.InvalidNonce):
        stale.fetch_balance()
    assert make_client(replay.url).fetch_balance()["USDT"]["total"] == 10_000.0


def test_accounts_are_separate(synthetic_data_dir: Path, make_client: Callable[..., ccxt.binance]) -> None:
    from gentrade.exchange.server import start_testnet

    accounts = [
        {"api_key": "alice", "api_secret": "a-secret", "balances": {"USDT": "100"}},
        {"api_key": "bob", "api_secret": "b-secret", "balances": {"BTC": "1", "USDT": "5"}},
    ]
    with start_testnet(synthetic_data_dir, accounts=accounts) as handle:
        alice = make_client(handle.url, api_key="alice", secret="a-secret")
        bob = make_client(handle.url, api_key="bob", secret="b-secret")
        assert alice.fetch_balance()["total"] == {"USDT": 100.0}
        assert bob.fetch_balance()["total"] == {"BTC": 1.0, "USDT": 5.0}
        with pytest.raises(ccxt.AuthenticationError):
            make_client(handle.url, api_key="alice", secret="b-secret").fetch_balance()

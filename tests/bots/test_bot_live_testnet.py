"""A bot with ``dry_run: false`` trades for real on the local testnet: the testnet's own books show it.

Real orders are allowed without the real-money confirmation only because every exchange url in the config
is a loopback address; the testnet account is its default one (10 000 USDT).
"""

from __future__ import annotations

from pathlib import Path

import ccxt
import pytest
from botkit import PAIR, hold_price, local_bot_config, set_price, wait_for
from freqtrade_client import FtRestClient

from gentrade.engine.bots import BotManager, BotStatus
from gentrade.exchange.accounts import DEFAULT_API_KEY, DEFAULT_API_SECRET
from gentrade.exchange.server import TestnetHandle
from gentrade.freqtrade_config import local_ccxt_config

pytestmark = pytest.mark.slow  # real freqtrade processes


def test_live_bot_places_real_orders_on_the_testnet(
    manager: BotManager, testnet: TestnetHandle, ladder_strategy: Path
) -> None:
    account = ccxt.binance(
        {
            "apiKey": DEFAULT_API_KEY,
            "secret": DEFAULT_API_SECRET,
            "timeout": 10_000,
            **local_ccxt_config(testnet.url),
        }
    )
    usdt_before = account.fetch_balance()["USDT"]["total"]
    config = local_bot_config(testnet.url)
    config["dry_run"] = True  # the manager's dry_run argument decides, not the file

    hold_price(testnet.url)
    info = manager.start(
        ladder_strategy,
        name="live",
        config=config,
        dry_run=False,
        exchange_key=DEFAULT_API_KEY,
        exchange_secret=DEFAULT_API_SECRET,
    )
    assert not info.dry_run
    running = manager.wait_running("live", timeout_s=90)
    creds = manager.credentials("live")
    client = FtRestClient(running.api_url, creds.username, creds.password)
    assert client.show_config()["dry_run"] is False

    buys = wait_for(
        lambda: [t for t in account.fetch_my_trades(PAIR) if t["side"] == "buy"], 120, "a buy fill"
    )
    bought = sum(t["amount"] for t in buys)
    assert account.fetch_balance()["USDT"]["total"] < usdt_before - 100
    entry = wait_for(lambda: (client.status() or [None])[0], 30, "the bot to record its trade")
    assert entry["amount"] > 0 and entry["orders"][0]["order_id"] == buys[0]["order"]

    set_price(testnet.url, entry["open_rate"] * 1.05)
    sells = wait_for(
        lambda: [t for t in account.fetch_my_trades(PAIR) if t["side"] == "sell"], 120, "TP1 sell"
    )
    assert 0 < sum(t["amount"] for t in sells) < bought
    tp1 = wait_for(
        lambda: [o for t in client.status() or [] for o in t["orders"] if o["ft_order_tag"] == "tp1"],
        30,
        "tp1",
    )
    assert tp1[0]["order_id"] == sells[0]["order"]

    assert manager.stop("live").status is BotStatus.STOPPED

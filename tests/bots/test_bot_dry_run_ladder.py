"""A real freqtrade dry-run bot, started by the manager against the replay testnet, trades its ladder.

The strategy enters on its first loop; once the entry has filled, the testnet is scripted 5% higher, which
crosses TP1 (1%) but not TP2 (50%).  Everything is read back through the bot's own REST API.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from botkit import hold_price, local_bot_config, set_price, wait_for
from freqtrade_client import FtRestClient

from gentrade.engine.bots import BotManager, BotStatus
from gentrade.engine.bots.processes import find, session_members
from gentrade.exchange.server import TestnetHandle

pytestmark = pytest.mark.slow  # real freqtrade processes


def _filled_entry(client: FtRestClient) -> dict | None:
    for trade in client.status() or []:
        if any(o["ft_order_side"] == "buy" and o["status"] == "closed" for o in trade["orders"]):
            return trade
    return None


def _tp1(client: FtRestClient) -> dict | None:
    for trade in client.status() or []:
        for order in trade["orders"]:
            if order["ft_order_tag"] == "tp1" and order["status"] == "closed":
                return trade
    return None


def test_dry_run_bot_enters_and_takes_tp1(
    manager: BotManager,
    testnet: TestnetHandle,
    ladder_strategy: Path,
    record_property: Callable[[str, object], None],
) -> None:
    hold_price(testnet.url)
    started = time.monotonic()
    info = manager.start(ladder_strategy, name="ladder", config=local_bot_config(testnet.url))
    assert info.status in (BotStatus.STARTING, BotStatus.RUNNING) and info.dry_run
    running = manager.wait_running("ladder", timeout_s=90)
    api_up = time.monotonic() - started
    creds = manager.credentials("ladder")
    client = FtRestClient(running.api_url, creds.username, creds.password)

    trade = wait_for(lambda: _filled_entry(client), 120, "the first entry to fill")
    first_trade = time.monotonic() - started
    set_price(testnet.url, trade["open_rate"] * 1.05)
    trade = wait_for(lambda: _tp1(client), 120, "the TP1 partial exit")
    tp1 = time.monotonic() - started

    exits = [o for o in trade["orders"] if o["ft_order_side"] == "sell"]
    assert [o["ft_order_tag"] for o in exits] == ["tp1"]
    assert trade["is_open"] and trade["amount"] < exits[0]["amount"] * 2.01
    assert trade["strategy"] == "QuickLadder"

    # The endpoints FreqUI uses, with a JWT from the login endpoint like FreqUI gets one.
    login = httpx.post(
        f"{running.api_url}/api/v1/token/login", auth=(creds.username, creds.password), timeout=10
    )
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    shown = httpx.get(f"{running.api_url}/api/v1/show_config", headers=headers, timeout=10).json()
    assert shown["strategy"] == "QuickLadder" and shown["dry_run"] is True and shown["state"] == "running"
    profit = httpx.get(f"{running.api_url}/api/v1/profit", headers=headers, timeout=10).json()
    assert profit["trade_count"] >= 1
    assert httpx.get(f"{running.api_url}/api/v1/status", timeout=10).status_code == 401
    assert creds.password not in manager.logs("ladder", lines=10_000)

    record_property("bot_api_up_s", round(api_up, 1))
    record_property("bot_first_trade_s", round(first_trade, 1))
    record_property("bot_tp1_s", round(tp1, 1))
    print(f"\napi up {api_up:.1f} s, first trade filled {first_trade:.1f} s, TP1 {tp1:.1f} s after start")

    record = manager.registry.load("ladder")
    stopped = manager.stop("ladder", grace_s=20)
    assert stopped.status is BotStatus.STOPPED and stopped.pid is None
    assert find(record.pid, record.create_time) is None
    assert session_members(record.pid, record.create_time) == []

"""Helpers shared by the bot tests (a module of its own: every test dir has a ``conftest``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from gentrade.engine.bots import BotManager
from gentrade.engine.bots.processes import session_members
from gentrade.freqtrade_config import ConfigRequest, Target, build_config

REPLAY_START = datetime(2024, 1, 10, tzinfo=UTC)
#: 5m candles replayed 5x fast: a 1m bot sees one stored candle per minute.
REPLAY_SPEED = 5
PAIR = "BTC/USDT"

QUICK_LADDER = {
    "name": "QuickLadder",
    "description": "Enters at once (close > 0) so a bot trades within its first loop; TP1 is 1% away.",
    "timeframe": "1m",
    "pairs": [PAIR],
    "entry_long": {"left": "close", "op": ">", "right": 0},
    "stop": {"initial": {"percent": 10}},
    "take_profit": [
        {"target": {"percent": 1}, "fraction": 0.5},
        {"target": {"percent": 50}, "fraction": 0.5},
    ],
}


TWO_PAIRS = {
    **QUICK_LADDER,
    "name": "QuickPair",
    "description": "Enters both pairs at once (close > 0); targets far away, so both positions stay open.",
    "pairs": [PAIR, "ETH/USDT"],
    "take_profit": [{"target": {"percent": 50}, "fraction": 1.0}],
}


def local_bot_config(url: str, pairs: tuple[str, ...] = (PAIR,)) -> dict[str, Any]:
    """A dry-run config on the testnet that fills at once (orders priced at the other side of the book)
    and loops every second."""
    config, _ = build_config(
        ConfigRequest(target=Target.LOCAL, url=url, pairs=pairs, timeframe="1m", datadir="user_data/data")
    )
    config["entry_pricing"]["price_side"] = "other"
    config["exit_pricing"]["price_side"] = "other"
    config["internals"]["process_throttle_secs"] = 1
    return config


def set_price(url: str, price: float, candles: int = 60, pair: str = PAIR) -> None:
    """From now on the replayed ``pair`` trades flat at ``price``."""
    reply = httpx.post(
        f"{url}/gentrade/v1/script", json={"symbol": pair, "prices": [price] * candles}, timeout=10
    )
    reply.raise_for_status()


def hold_prices(url: str, pairs: tuple[str, ...]) -> None:
    """``hold_price`` for several pairs."""
    for pair in pairs:
        reply = httpx.get(f"{url}/api/v3/ticker/price", params={"symbol": pair.replace("/", "")}, timeout=10)
        reply.raise_for_status()
        set_price(url, float(reply.json()["price"]), pair=pair)


def hold_price(url: str) -> float:
    """Script the replayed BTC/USDT flat at its current price, so an entry placed now at the other side of
    the book fills at once: left to the replay, the price may rise past the order and stay there for the
    whole wait, depending on when (under load, how late) the bot placed it."""
    reply = httpx.get(f"{url}/api/v3/ticker/price", params={"symbol": PAIR.replace("/", "")}, timeout=10)
    reply.raise_for_status()
    price = float(reply.json()["price"])
    set_price(url, price)
    return price


def wait_for(check: Callable[[], Any], timeout_s: float, what: str, every_s: float = 0.5) -> Any:
    """Poll ``check`` until it returns something truthy; bounded, so a broken bot fails the test."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every_s)
    raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")


def assert_no_process_left(manager: BotManager) -> None:
    for record in manager.registry.records():
        assert session_members(record.pid, record.create_time) == [], f"{record.name} left processes behind"

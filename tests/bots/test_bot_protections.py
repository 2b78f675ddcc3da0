"""StoplossGuard in a real dry-run bot on the replay testnet, and the same guard in a backtest.

The bot enters at once (``close > 0``); each time its entry has filled, the testnet is scripted 5 % lower,
under the 2 % stop, so the trade stops out. After the second stop-out the guard locks the pair: the bot
opens nothing until the lock ends, then enters again. The webhook hears the lock as a ``protection`` event.
A backtest of crafted 1m candles with two stop-outs in a row gives the same lock (reason and length).
A limit of two proves the guard as well as three would, and each stop-out costs the bot a 1m candle.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from botkit import PAIR, hold_price, local_bot_config, set_price, wait_for
from freqtrade_client import FtRestClient
from test_bot_webhook import Receiver

from gentrade.data import store
from gentrade.engine.bots import BotManager
from gentrade.exchange.server import TestnetHandle
from gentrade.services.backtests import backtest_spec
from gentrade.services.strategy_saving import build_strategy
from gentrade.settings import Settings
from gentrade.spec import parse_spec

GUARD = {
    "method": "StoplossGuard",
    "trade_limit": 2,
    "lookback_period_candles": 60,
    "stop_duration_candles": 1,
    "only_per_pair": True,
}


def guarded(pair: str, name: str = "GuardedBot", **risk: Any) -> dict[str, Any]:
    return {
        "name": name,
        "timeframe": "1m",
        "pairs": [pair],
        "entry_long": {"left": "close", "op": ">", "right": 0},
        "stop": {"initial": {"percent": 2}},
        "take_profit": [{"target": {"percent": 50}, "fraction": 1.0}],
        "risk": {"max_open_trades": 1, **(risk or {"protections": [GUARD]})},
    }


def stop_out(client: FtRestClient, url: str, count: int) -> None:
    """``count`` times: wait for a filled entry, then script the price 5 % under it (the stop is 2 %)."""
    for number in range(1, count + 1):
        trade = wait_for(lambda: _filled_open_trade(client), 150, f"entry {number}")
        set_price(url, trade["open_rate"] * 0.95)
        wait_for(lambda n=number: len(_closed(client)) >= n, 60, f"stop-out {number}")


def _filled_open_trade(client: FtRestClient) -> dict | None:
    for trade in client.status() or []:
        if any(o["ft_order_side"] == "buy" and o["status"] == "closed" for o in trade["orders"]):
            return trade
    return None


def _closed(client: FtRestClient) -> list[dict]:
    return list((client.trades() or {}).get("trades", []))


def _guard_locks(client: FtRestClient) -> list[dict]:
    locks = (client.locks() or {}).get("locks", [])
    return [lock for lock in locks if "stoplosses" in (lock.get("reason") or "")]


@pytest.mark.slow  # a real bot through two 1m candles and a lock: about three minutes
def test_stoploss_guard_locks_the_bot_like_the_backtest(
    manager: BotManager, testnet: TestnetHandle, tmp_path: Path
) -> None:
    strategy = build_strategy(parse_spec(guarded(PAIR)), tmp_path / "strategies").path
    hook = Receiver()
    try:
        hold_price(testnet.url)
        manager.start(strategy, name="guarded", config=local_bot_config(testnet.url), webhook_url=hook.url)
        running = manager.wait_running("guarded", timeout_s=90)
        creds = manager.credentials("guarded")
        client = FtRestClient(running.api_url, creds.username, creds.password)

        stop_out(client, testnet.url, 2)
        closed = _closed(client)
        assert [t["exit_reason"] for t in closed] == ["stop_loss"] * 2

        lock = wait_for(lambda: _guard_locks(client), 30, "the StoplossGuard lock")[0]
        assert lock["pair"] == PAIR
        lock_end = datetime.fromtimestamp(lock["lock_end_timestamp"] / 1000, tz=UTC)
        # Nothing opens while the pair is locked; the next entry comes once the lock has ended.
        following = wait_for(lambda: client.status(), 200, "the entry after the lock")[0]
        opened = datetime.fromtimestamp(following["open_timestamp"] / 1000, tz=UTC)
        assert opened >= lock_end
        assert len(_closed(client)) == 2
        event = wait_for(lambda: [e for e in hook.events if e["event"] == "protection"], 30, "the event")[0]
        assert event["pair"] == PAIR and "stoplosses" in event["reason"]
    finally:
        hook.close()

    backtest = _backtest_lock(tmp_path)
    assert backtest["reason"] == lock["reason"]
    assert backtest["side"] == lock["side"]


def _backtest_lock(tmp_path: Path) -> dict[str, Any]:
    """The guard's lock in a backtest of 1m candles: flat, two dips under the stop, flat."""
    import json
    import zipfile

    flat, dip = (100.0, 100.0, 100.0, 100.0), (100.0, 100.0, 97.0, 100.0)
    rows = [flat] * 30 + [dip] * 2 + [flat] * 30
    start = datetime(2024, 1, 1, tzinfo=UTC)
    frame = pd.DataFrame(
        [(start + timedelta(minutes=i), *row, 1000.0) for i, row in enumerate(rows)],
        columns=["date", "open", "high", "low", "close", "volume"],
    )
    store.save_candles(tmp_path / "data", "GRD/USDT", "1m", frame)
    _built, result = backtest_spec(
        Settings(),
        parse_spec(guarded("GRD/USDT")),
        strategies_dir=tmp_path / "bt_strategies",
        datadir=tmp_path / "data",
        timerange=None,
        results_dir=tmp_path / "results",
    )
    assert result.run is not None
    with zipfile.ZipFile(result.run.result_zip) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".json") and not n.endswith("_config.json"))
        locks = json.loads(archive.read(name))["strategy"]["GuardedBot"]["locks"]
    assert len(locks) == 1 and locks[0]["pair"] == "GRD/USDT"
    return dict(locks[0])


@pytest.mark.slow  # a real bot through two 1m candles: about two minutes
def test_daily_loss_limit_stops_the_bot_until_utc_midnight(
    manager: BotManager, testnet: TestnetHandle, tmp_path: Path
) -> None:
    # A third of the wallet per trade, out 5 % under the entry: ~1.7 % of the wallet per stop-out, so the
    # second one passes a 3 % daily limit and the first does not.
    spec = guarded(PAIR, name="DailyLimitBot", daily_loss_limit=3)
    strategy = build_strategy(parse_spec(spec), tmp_path / "strategies").path
    hold_price(testnet.url)
    manager.start(strategy, name="daily", config=local_bot_config(testnet.url))
    running = manager.wait_running("daily", timeout_s=90)
    creds = manager.credentials("daily")
    client = FtRestClient(running.api_url, creds.username, creds.password)

    stop_out(client, testnet.url, 2)
    locks = wait_for(
        lambda: [k for k in (client.locks() or {}).get("locks", []) if k["reason"] == "daily_loss_limit"],
        150,
        "the daily loss limit",
    )
    lock = locks[0]
    assert lock["pair"] == "*"
    lock_end = datetime.fromtimestamp(lock["lock_end_timestamp"] / 1000, tz=UTC)
    assert lock_end == datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
        days=1
    )
    time.sleep(5)  # several bot loops (one a second) with the entry signal still on
    assert client.status() == [] and len(_closed(client)) == 2

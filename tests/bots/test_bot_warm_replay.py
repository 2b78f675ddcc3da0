"""Warm replay: a replay sized for the strategy's warm-up lets a bot trade at once; one that is not says so.

The strategy needs 350 1m candles (an SMA-350 that must exist before it may enter). A ×5 replay with the
default day of warm-up serves 288 of them: that bot's status must say its indicators are not ready, and it
must not trade. A replay whose warm-up comes from the strategy (``strategy_warmup_ms``) serves enough: that
bot enters in its first loops.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from botkit import PAIR, REPLAY_SPEED, REPLAY_START, hold_price, local_bot_config, wait_for
from freqtrade_client import FtRestClient

from gentrade.engine.bots import BotManager
from gentrade.exchange.server import TestnetHandle, start_testnet
from gentrade.exchange.warmup import strategy_warmup_ms
from gentrade.services.strategy_saving import build_strategy
from gentrade.spec import parse_spec

SLOW_SMA = {
    "name": "WarmSma",
    "description": "Enters as soon as its SMA-350 exists: trades at once when warm, never when cold.",
    "timeframe": "1m",
    "pairs": [PAIR],
    "indicators": [{"id": "slow", "kind": "sma", "period": 350}],
    "entry_long": {"left": "slow", "op": ">", "right": 0},
    "stop": {"initial": {"percent": 10}},
    "take_profit": [{"target": {"percent": 50}, "fraction": 1.0}],
}

pytestmark = pytest.mark.slow  # real freqtrade processes


@pytest.fixture(scope="module")
def warm_strategy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_strategy(parse_spec(SLOW_SMA), tmp_path_factory.mktemp("warm")).path


@pytest.fixture(scope="module")
def warm_testnet(synthetic_data_dir: Path, warm_strategy: Path) -> Iterator[TestnetHandle]:
    warmup = strategy_warmup_ms(warm_strategy.read_text(), "WarmSma", REPLAY_SPEED)
    with start_testnet(
        synthetic_data_dir, replay_start=REPLAY_START, speed=REPLAY_SPEED, warmup_ms=warmup
    ) as handle:
        yield handle


def test_cold_replay_bot_says_its_indicators_are_not_ready(
    manager: BotManager, testnet: TestnetHandle, warm_strategy: Path
) -> None:
    manager.start(warm_strategy, name="cold", config=local_bot_config(testnet.url))
    manager.wait_running("cold", timeout_s=90)
    info = wait_for(lambda: manager.status("cold").warmup and manager.status("cold"), 60, "the warm-up note")
    assert info.warmup.startswith("indicators not ready: ")
    assert f"of 350 1m candles of {PAIR}" in info.warmup
    creds = manager.credentials("cold")
    assert FtRestClient(info.api_url, creds.username, creds.password).status() == []


def test_warm_replay_bot_enters_in_its_first_loops(
    manager: BotManager,
    warm_testnet: TestnetHandle,
    warm_strategy: Path,
    record_property: Callable[[str, object], None],
) -> None:
    hold_price(warm_testnet.url)
    manager.start(warm_strategy, name="warm", config=local_bot_config(warm_testnet.url))
    running = manager.wait_running("warm", timeout_s=90)
    api_up = time.monotonic()
    creds = manager.credentials("warm")
    client = FtRestClient(running.api_url, creds.username, creds.password)
    trades = wait_for(lambda: client.status(), 90, "the first entry")
    first_order_s = time.monotonic() - api_up
    assert trades[0]["pair"] == PAIR
    assert manager.status("warm").warmup is None
    record_property("warm_first_order_s", round(first_order_s, 1))
    print(
        f"\nfirst order {first_order_s:.1f} s after the api_server answered (one replayed 1m candle a minute)"
    )

"""Exchange testnets and the account limits a bot starts with (no network: configs and a stand-in process)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from gentrade.engine.bots import BotManager
from gentrade.errors import ConfigError
from gentrade.freqtrade_config import (
    ConfigRequest,
    Target,
    build_config,
    default_local_config,
    validate_config,
)
from gentrade.freqtrade_config.bot import guard_live
from gentrade.services.strategy_saving import build_strategy
from gentrade.spec import parse_spec


def test_bybit_demo_places_orders_without_the_real_money_confirmation() -> None:
    demo, _ = build_config(ConfigRequest(target=Target.BYBIT_DEMO, pairs=("BTC/USDT",)))
    assert demo["dry_run"] is False and demo["exchange"]["demo_trading"] is True
    validate_config(demo)  # freqtrade's own schema accepts it
    guard_live(demo, dry_run=False, confirm_real_money=False)  # play money: no second confirmation

    real = {**demo, "exchange": {**demo["exchange"], "demo_trading": False}}
    with pytest.raises(ConfigError, match="refusing to start a live bot"):
        guard_live(real, dry_run=False, confirm_real_money=False)
    elsewhere = {**demo, "exchange": {**demo["exchange"], "name": "kraken"}}
    with pytest.raises(ConfigError, match="refusing to start a live bot"):
        guard_live(elsewhere, dry_run=False, confirm_real_money=False)  # freqtrade has no kraken demo


def test_a_bot_on_the_default_config_keeps_the_specs_max_open_trades(tmp_path: Path) -> None:
    spec = parse_spec(
        {
            "name": "TwoAtATime",
            "pairs": ["BTC/USDT", "ETH/USDT"],
            "entry_long": {"left": "close", "op": ">", "right": 0},
            "risk": {"max_open_trades": 2},
        }
    )
    strategy = build_strategy(spec, tmp_path / "strategies").path
    script = tmp_path / "idle_freqtrade.py"
    script.write_text("import time\ntime.sleep(60)\n")
    bots = BotManager(
        tmp_path / "bots",
        freqtrade_command=[sys.executable, str(script)],
        sandbox=False,
        default_config=default_local_config,
    )
    try:
        bots.start(strategy, name="two")
        config = json.loads(bots.registry.load("two").config_file.read_text())
        assert config["max_open_trades"] == 2
    finally:
        bots.stop_all(grace_s=2)

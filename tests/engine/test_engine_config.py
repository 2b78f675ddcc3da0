"""The backtest config: honest costs, one stake currency, and a dict freqtrade itself validates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gentrade.errors import ConfigError
from gentrade.freqtrade_config.backtest import Costs, build_backtest_config, stake_currency


def test_fee_is_exchange_fee_plus_slippage() -> None:
    assert Costs().fee == 0.0015
    assert Costs(exchange_fee=0.00075, slippage=0.0).fee == 0.00075
    with pytest.raises(ValueError):
        Costs(slippage=-0.001)


def test_stake_currency_is_the_shared_quote() -> None:
    assert stake_currency(["ETH/BTC", "ADA/BTC"]) == "BTC"
    with pytest.raises(ConfigError, match="one quote currency"):
        stake_currency(["ETH/BTC", "ETH/USDT"])


def _config(tmp_path: Path, **overrides: object) -> dict:
    options: dict = {
        "strategy": "SampleStrategy",
        "pairs": ["ETH/BTC", "LTC/BTC"],
        "datadir": tmp_path,
        "user_data_dir": tmp_path,
        "timerange": "20180111-20180130",
        "timeframe": None,
        "costs": Costs(exchange_fee=0.001, slippage=0.0005),
    }
    options.update(overrides)
    return build_backtest_config(**options)


def test_config_records_both_costs_and_disables_result_reuse(tmp_path: Path) -> None:
    config = _config(tmp_path)
    assert config["fee"] == 0.0015
    assert config["gentrade"] == {"exchange_fee": 0.001, "slippage": 0.0005}
    assert config["backtest_cache"] == "none"
    assert config["export"] == "trades"
    assert config["stake_currency"] == "BTC"
    assert config["exchange"]["pair_whitelist"] == ["ETH/BTC", "LTC/BTC"]
    assert "timeframe" not in config  # the strategy's own timeframe applies
    assert _config(tmp_path, timeframe="1h")["timeframe"] == "1h"


def test_stake_amount_must_fit_the_wallet(tmp_path: Path) -> None:
    assert _config(tmp_path, stake_amount=100.0)["stake_amount"] == 100.0
    with pytest.raises(ConfigError, match="stake_amount"):
        _config(tmp_path, stake_amount=5000.0, dry_run_wallet=1000.0)


def test_freqtrade_validates_the_config(tmp_path: Path) -> None:
    from freqtrade.configuration import Configuration
    from freqtrade.configuration.config_validation import validate_config_consistency
    from freqtrade.enums import RunMode

    path = tmp_path / "config.json"
    path.write_text(json.dumps(_config(tmp_path)))
    config = Configuration({"config": [str(path)]}, RunMode.BACKTEST).get_config()
    validate_config_consistency(config, preliminary=True)
    assert config["fee"] == 0.0015
    assert config["backtest_cache"] == "none"

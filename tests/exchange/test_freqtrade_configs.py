"""Freqtrade configs: every target validated by freqtrade's schema, keys never written, live money guarded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from gentrade.cli import config as config_cli
from gentrade.errors import ConfigError
from gentrade.freqtrade_config import (
    FREQTRADE_KEY_ENV,
    FREQTRADE_SECRET_ENV,
    KEY_ENV,
    SECRET_ENV,
    TESTNET_WARNING,
    ConfigRequest,
    Target,
    build_config,
    default_local_config,
    freqtrade_env,
    parse_request,
    validate_config,
)

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config.json"


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.callback()(lambda: None)  # keep "config" a subcommand, as in the real CLI
    config_cli.register(app)
    return app


def test_local_config_points_every_binance_url_at_the_testnet() -> None:
    config, warnings = build_config(ConfigRequest(target=Target.LOCAL, url="http://127.0.0.1:9999/"))
    exchange = config["exchange"]
    urls = exchange["ccxt_config"]["urls"]["api"]
    assert {"public", "private", "sapi", "fapiPublic", "v1"} <= set(urls)
    assert all(u.startswith("http://127.0.0.1:9999/") for u in urls.values())
    assert urls["public"] == urls["private"] == "http://127.0.0.1:9999/api/v3"
    assert exchange["ccxt_config"]["options"]["fetchMarkets"] == {"types": ["spot"]}
    assert exchange["enable_ws"] is False and exchange["only_from_ccxt"] is True
    assert config["dry_run"] is True and warnings == []
    assert not {"key", "secret"} & set(exchange)


def test_stake_currency_and_wallet_follow_the_pairs() -> None:
    config, _ = build_config(
        ConfigRequest(target=Target.LOCAL, pairs=("ETH/BTC", "LTC/BTC"), strategy="Mine")
    )
    assert config["stake_currency"] == "BTC" and config["strategy"] == "Mine"
    assert config["exchange"]["pair_whitelist"] == ["ETH/BTC", "LTC/BTC"]
    assert 0 < config["dry_run_wallet"] < 10
    with pytest.raises(ConfigError, match="stake currency"):
        parse_request(target=Target.LOCAL, pairs=("ETH/BTC", "BTC/USDT"))
    with pytest.raises(ConfigError, match="pairs"):
        parse_request(target=Target.LOCAL, pairs=("eth-btc",))
    with pytest.raises(ConfigError, match="url"):
        parse_request(target=Target.LOCAL, url="ftp://somewhere")


def test_bybit_demo_trades_on_the_demo_account() -> None:
    config, warnings = build_config(ConfigRequest(target=Target.BYBIT_DEMO))
    assert config["exchange"]["name"] == "bybit" and config["exchange"]["demo_trading"] is True
    assert config["dry_run"] is False and warnings == []


def test_binance_testnet_is_flagged_as_unsupported() -> None:
    config, warnings = build_config(ConfigRequest(target=Target.BINANCE_TESTNET))
    assert config["exchange"]["ccxt_config"]["sandbox"] is True
    assert config["dry_run"] is False
    assert warnings == [TESTNET_WARNING] and TESTNET_WARNING in config["_gentrade"]["notes"]


def test_real_exchange_is_dry_run_unless_doubly_confirmed() -> None:
    config, _ = build_config(ConfigRequest(target=Target.BINANCE))
    assert config["dry_run"] is True and "ccxt_config" not in config["exchange"]
    with pytest.raises(ConfigError, match="refusing"):
        build_config(ConfigRequest(target=Target.BINANCE, live=True))
    with pytest.raises(ConfigError, match="only makes sense together with --live"):
        build_config(ConfigRequest(target=Target.BINANCE, confirm_real_money=True))
    live, _ = build_config(ConfigRequest(target=Target.BINANCE, live=True, confirm_real_money=True))
    assert live["dry_run"] is False and any("real money" in n for n in live["_gentrade"]["notes"])


def test_local_live_needs_no_real_money_confirmation() -> None:
    config, _ = build_config(ConfigRequest(target=Target.LOCAL, live=True))
    assert config["dry_run"] is False


def test_freqtrade_schema_rejects_broken_configs() -> None:
    config, _ = build_config(ConfigRequest(target=Target.LOCAL))
    config["stake_amount"] = "lots"
    with pytest.raises(ConfigError, match="freqtrade rejects"):
        validate_config(config)


def test_keys_travel_through_freqtrade_environment_variables() -> None:
    env = {KEY_ENV: "k", SECRET_ENV: "s", "OTHER": "x"}
    assert freqtrade_env(env) == {FREQTRADE_KEY_ENV: "k", FREQTRADE_SECRET_ENV: "s"}
    assert freqtrade_env({}) == {}


def test_repository_config_is_the_default_local_config() -> None:
    text = REPO_CONFIG.read_text()
    on_disk = json.loads(text)  # plain JSON: no comments
    assert on_disk == default_local_config()
    validate_config(on_disk)
    assert on_disk["exchange"]["pair_whitelist"] == ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
    assert on_disk["datadir"] == "user_data/data/binance" and on_disk["timeframe"] == "5m"
    assert on_disk["exchange"]["ccxt_config"]["urls"]["api"]["public"] == "http://127.0.0.1:8765/api/v3"


def test_cli_writes_configs_and_refuses_real_money(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "live.json"
    refused = runner.invoke(_cli(), ["config", "--exchange", "binance", "--live", "-o", str(out)])
    assert refused.exit_code == 1 and "refusing" in refused.output and not out.exists()
    refused = runner.invoke(
        _cli(), ["config", "--exchange", "binance", "--i-understand-this-uses-real-money", "-o", str(out)]
    )
    assert refused.exit_code == 1 and not out.exists()
    accepted = runner.invoke(
        _cli(),
        ["config", "--exchange", "binance", "--live", "--i-understand-this-uses-real-money", "-o", str(out)],
    )
    assert accepted.exit_code == 0, accepted.output
    assert json.loads(out.read_text())["dry_run"] is False

    testnet = tmp_path / "testnet.json"
    warned = runner.invoke(
        _cli(), ["config", "--exchange", "binance-testnet", "--pairs", "ETH/BTC, LTC/BTC", "-o", str(testnet)]
    )
    assert warned.exit_code == 0 and "warning" in warned.output and "12086" in warned.output
    assert json.loads(testnet.read_text())["exchange"]["pair_whitelist"] == ["ETH/BTC", "LTC/BTC"]


def test_cli_regenerates_the_repository_config(tmp_path: Path) -> None:
    out = tmp_path / "config.json"
    result = CliRunner().invoke(_cli(), ["config", "--exchange", "local", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text()) == json.loads(REPO_CONFIG.read_text())

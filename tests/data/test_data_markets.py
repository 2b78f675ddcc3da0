"""The markets snapshot has ccxt binance's shape, and freqtrade's exchange accepts it with no network."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from gentrade.data import markets
from gentrade.errors import ConfigError
from gentrade.freqtrade_config.backtest import Costs, build_backtest_config

if TYPE_CHECKING:  # importing freqtrade costs seconds; the helper imports it when called
    from freqtrade.exchange import Exchange


@pytest.mark.parametrize(
    ("price", "tick"),
    [(42_000.0, 1.0), (2_300.0, 0.1), (0.0868, 1e-6), (4.5e-5, 1e-8), (1.0, 1e-4)],
)
def test_price_tick_keeps_about_five_significant_digits(price: float, tick: float) -> None:
    assert markets.price_tick(price) == tick


def test_snapshot_has_ccxt_binance_spot_shape(shared_data_dir: Path) -> None:
    snapshot = markets.snapshot_for_datadir(shared_data_dir, ["ETH/BTC", "ADA/BTC"])
    eth = snapshot["ETH/BTC"]
    assert (eth["id"], eth["base"], eth["quote"], eth["type"]) == ("ETHBTC", "ETH", "BTC", "spot")
    assert eth["spot"] and eth["active"] and not eth["margin"]
    # The real candles are priced on a 1e-8 grid: the tick follows them, not five significant digits (1e-6),
    # so an order at a candle's open or close is a valid price.
    assert eth["precision"]["price"] == 1e-8
    assert eth["limits"]["cost"]["min"] == 0.0001
    assert eth["limits"]["amount"]["min"] == eth["precision"]["amount"] > 0
    assert eth["taker"] == eth["maker"] == 0.001


def _offline_exchange(pairs: list[str], snapshot: dict, datadir: Path, tmp_path: Path) -> Exchange:
    from freqtrade.configuration import Configuration

    from gentrade.engine.offline_exchange import build_offline_exchange

    config = build_backtest_config(
        strategy="SampleStrategy", pairs=pairs, datadir=datadir, user_data_dir=tmp_path,
        timerange=None, timeframe="5m", costs=Costs(),
    )  # fmt: skip
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return build_offline_exchange(Configuration.from_files([str(path)]), snapshot)


def test_freqtrade_exchange_accepts_the_snapshot_offline(shared_data_dir: Path, tmp_path: Path) -> None:
    pairs = ["ETH/BTC", "ADA/BTC", "LTC/BTC"]
    exchange = _offline_exchange(
        pairs, markets.snapshot_for_datadir(shared_data_dir, pairs), shared_data_dir, tmp_path
    )
    assert exchange.name == "Binance"
    assert sorted(exchange.markets) == sorted(pairs)
    assert exchange.get_quote_currencies() == ["BTC"]
    assert exchange.market_is_tradable(exchange.markets["ETH/BTC"])
    assert exchange.amount_to_precision("ETH/BTC", 1.234567891) == 1.23456
    assert exchange.price_to_precision("ETH/BTC", 0.086817361) == 0.08681736
    min_stake = exchange.get_min_pair_stake_amount("ETH/BTC", 0.0868, -0.1)
    assert min_stake is not None and 0.0001 < min_stake < 0.001


def test_synthetic_usdt_markets_work_too(synthetic_data_dir: Path, tmp_path: Path) -> None:
    snapshot = markets.snapshot_for_datadir(synthetic_data_dir)
    exchange = _offline_exchange(sorted(snapshot), snapshot, synthetic_data_dir, tmp_path)
    assert exchange.get_quote_currencies() == ["USDT"]
    assert exchange.get_min_pair_stake_amount("BTC/USDT", 42_000.0, -0.1) == pytest.approx(5 * 1.05 / 0.9)


def test_snapshot_must_cover_the_whitelist(shared_data_dir: Path, tmp_path: Path) -> None:
    snapshot = markets.snapshot_for_datadir(shared_data_dir, ["ETH/BTC"])
    with pytest.raises(ConfigError, match="LTC/BTC"):
        _offline_exchange(["ETH/BTC", "LTC/BTC"], snapshot, shared_data_dir, tmp_path)


def test_saved_snapshot_loads_back(shared_data_dir: Path, tmp_path: Path) -> None:
    snapshot = markets.snapshot_for_datadir(shared_data_dir, ["ETH/BTC"])
    assert markets.load_snapshot(markets.save_snapshot(snapshot, tmp_path / "m.json")) == snapshot


@pytest.mark.parametrize(
    "content",
    [
        "[]",
        "not json",
        '{"ETH/BTC": {"symbol": "LTC/BTC"}}',
        '{"ETH/BTC": {"symbol": "ETH/BTC", "base": "ETH"}}',
    ],
)
def test_malformed_snapshots_are_config_errors(tmp_path: Path, content: str) -> None:
    path = tmp_path / "m.json"
    path.write_text(content)
    with pytest.raises(ConfigError):
        markets.load_snapshot(path)


def test_tick_follows_the_grid_of_the_candles() -> None:
    from gentrade.data.markets import grid_tick, market_tick

    assert grid_tick(np.array([0.08949995000000001, 0.0895, 0.08955999])) == 1e-8
    assert grid_tick(np.array([42000.5, 41999.0])) == 0.1
    assert market_tick(np.array([0.0868, 0.0869])) == 1e-6  # on a coarse grid: five significant digits

"""Real freqtrade against the testnet: the plain CLI offline, and its Exchange class as a bot uses it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gentrade.exchange.accounts import DEFAULT_API_KEY, DEFAULT_API_SECRET
from gentrade.exchange.server import TestnetHandle
from gentrade.freqtrade_config import (
    KEY_ENV,
    SECRET_ENV,
    ConfigRequest,
    Target,
    build_config,
    freqtrade_env,
    write_config,
)

FREQTRADE = Path(sys.executable).parent / "freqtrade"
PAIRS = ("ETH/BTC", "LTC/BTC")


def _freqtrade(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FREQTRADE__")}
    return subprocess.run(
        [str(FREQTRADE), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture
def local_config(historical: TestnetHandle, tmp_path: Path) -> Path:
    path = tmp_path / "config.json"
    write_config(ConfigRequest(target=Target.LOCAL, url=historical.url, pairs=PAIRS), path)
    (tmp_path / "user_data").mkdir()
    return path


@pytest.mark.slow
def test_plain_freqtrade_backtesting_offline(
    local_config: Path, shared_data_dir: Path, sample_strategy_file: Path, tmp_path: Path
) -> None:
    results = tmp_path / "results"
    results.mkdir()
    run = _freqtrade(
        [
            "backtesting",
            "-c", str(local_config),
            "--userdir", str(tmp_path / "user_data"),
            "--strategy", "SampleStrategy",
            "--strategy-path", str(sample_strategy_file.parent),
            "--datadir", str(shared_data_dir),
            "--timerange", "20180115-20180120",
            "--cache", "none",
            "--export", "trades",
            "--backtest-directory", str(results),
        ],
        cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    [archive] = results.glob("backtest-result-*.zip") or results.glob("*.zip")
    with zipfile.ZipFile(archive) as zipped:
        [name] = [n for n in zipped.namelist() if n.endswith(".json") and "_config" not in n]
        result = json.loads(zipped.read(name))["strategy"]["SampleStrategy"]
    assert result["timerange"] == "20180115-20180120"
    assert result["total_trades"] == len(result["trades"]) > 0
    assert {t["pair"] for t in result["trades"]} <= set(PAIRS)
    assert result["stake_currency"] == "BTC"


@pytest.mark.slow
def test_plain_freqtrade_download_data_reproduces_the_source(
    local_config: Path, shared_data_dir: Path, tmp_path: Path
) -> None:
    target = tmp_path / "downloaded"
    run = _freqtrade(
        [
            "download-data",
            "--exchange", "binance",
            "-c", str(local_config),
            "--userdir", str(tmp_path / "user_data"),
            "--pairs", "ETH/BTC",
            "--timeframes", "5m",
            "--timerange", "20180115-20180120",
            "--datadir", str(target),
        ],
        cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    downloaded = pd.read_feather(target / "ETH_BTC-5m.feather")
    source = pd.read_feather(shared_data_dir / "ETH_BTC-5m.feather")
    start = pd.Timestamp("2018-01-15", tz="UTC")
    assert downloaded["date"].min() == start
    assert downloaded["date"].max() >= pd.Timestamp("2018-01-19 23:55", tz="UTC")
    expected = source[source["date"].between(start, downloaded["date"].max())]
    assert len(downloaded) == len(expected)
    assert (downloaded["date"].to_numpy() == expected["date"].to_numpy()).all()
    columns = ["open", "high", "low", "close", "volume"]
    assert np.array_equal(downloaded[columns].to_numpy(), expected[columns].to_numpy())


@pytest.mark.slow
def test_plain_freqtrade_sees_the_testnet_markets(local_config: Path, tmp_path: Path) -> None:
    """UNITTEST/BTC exists only in the local data dir: listing it proves ccxt talked to the testnet."""
    run = _freqtrade(
        ["list-pairs", "-c", str(local_config), "--userdir", str(tmp_path / "user_data"), "--print-json"],
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    pairs = json.loads(run.stdout.strip().splitlines()[-1])
    assert {"UNITTEST/BTC", "ETH/BTC", "LTC/BTC"} <= set(pairs)


def test_freqtrade_reads_keys_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from freqtrade.configuration import Configuration

    path = tmp_path / "config.json"
    write_config(ConfigRequest(target=Target.LOCAL, live=True), path)
    assert not {"key", "secret"} & set(json.loads(path.read_text())["exchange"])
    environ = {KEY_ENV: "my-key", SECRET_ENV: "my-secret"}
    for name, value in freqtrade_env(environ).items():
        monkeypatch.setenv(name, value)
    loaded = Configuration.from_files([str(path)])
    assert (loaded["exchange"]["key"], loaded["exchange"]["secret"]) == ("my-key", "my-secret")


def test_freqtrade_exchange_trades_live_against_the_testnet(
    replay: TestnetHandle, set_prices: Callable[[str, str, list[float]], dict[str, object]]
) -> None:
    """What a ``dry_run: false`` bot does through freqtrade's Exchange: all of it answered locally."""
    from freqtrade.configuration.config_validation import validate_config_schema
    from freqtrade.enums import CandleType, RunMode
    from freqtrade.resolvers import ExchangeResolver

    set_prices(replay.url, "BTC/USDT", [40_000.0] * 50)
    config, _ = build_config(ConfigRequest(target=Target.LOCAL, url=replay.url, live=True))
    config["exchange"].update(key=DEFAULT_API_KEY, secret=DEFAULT_API_SECRET)
    config = validate_config_schema(config)
    config["runmode"] = RunMode.LIVE
    exchange = ExchangeResolver.load_exchange(config, validate=True)
    try:
        assert exchange.get_balances()["USDT"]["free"] == pytest.approx(10_000.0)
        assert exchange.get_tickers()["BTC/USDT"]["last"] == pytest.approx(40_000.0)
        assert exchange.fetch_l2_order_book("BTC/USDT", 5)["bids"][0][0] == pytest.approx(39_999.0)
        candles = exchange.refresh_latest_ohlcv([("BTC/USDT", "5m", CandleType.SPOT)])
        assert len(candles[("BTC/USDT", "5m", CandleType.SPOT)]) > 100
        assert exchange.check_delisting_time("BTC/USDT") is None

        resting = exchange.create_order(
            pair="BTC/USDT", ordertype="limit", side="buy", amount=0.01, rate=39_000.0, leverage=1.0
        )
        assert exchange.fetch_order(resting["id"], "BTC/USDT")["status"] == "open"
        assert exchange.cancel_order(resting["id"], "BTC/USDT")["status"] == "canceled"

        bought = exchange.create_order(
            pair="BTC/USDT", ordertype="market", side="buy", amount=0.01, rate=40_000.0, leverage=1.0
        )
        order = exchange.fetch_order(bought["id"], "BTC/USDT")
        assert order["status"] == "closed" and order["filled"] == pytest.approx(0.01)
        placed = datetime.fromtimestamp(order["timestamp"] / 1000, tz=UTC)
        trades = exchange.get_trades_for_order(bought["id"], "BTC/USDT", placed)
        assert [t["order"] for t in trades] == [bought["id"]]
        stop = exchange.create_stoploss(
            pair="BTC/USDT", amount=0.005, stop_price=38_000.0, order_types={"stoploss": "limit"},
            side="sell", leverage=1.0,
        )  # fmt: skip
        assert exchange.fetch_stoploss_order(stop["id"], "BTC/USDT")["status"] == "open"
    finally:
        exchange.close()

"""Synthetic candles: identical bytes for one seed, valid OHLC, every regime, readable by freqtrade."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from gentrade.data import store, synth
from gentrade.errors import ConfigError


def _digests(paths: list[Path]) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def test_same_seed_writes_byte_identical_files(tmp_path: Path) -> None:
    first = synth.synthesize(tmp_path / "a", days=5, seed=7)
    second = synth.synthesize(tmp_path / "b", days=5, seed=7)
    assert _digests(first) == _digests(second)
    assert [p.name for p in first] == ["BTC_USDT-5m.feather", "ETH_USDT-5m.feather", "SOL_USDT-5m.feather"]


def test_another_seed_gives_other_prices(tmp_path: Path) -> None:
    a = store.load_candles_frame(synth.synthesize(tmp_path / "a", days=2, seed=1)[0].parent, "BTC/USDT", "5m")
    b = store.load_candles_frame(synth.synthesize(tmp_path / "b", days=2, seed=2)[0].parent, "BTC/USDT", "5m")
    assert not np.array_equal(a["close"].to_numpy(), b["close"].to_numpy())


def test_candles_are_consistent_and_regular(synthetic_data_dir: Path) -> None:
    for pair in synth.DEFAULT_PAIRS:
        candles = store.load_candles_frame(synthetic_data_dir, pair, "5m")
        assert len(candles) == 30 * 288
        assert candles["date"].iloc[0] == synth.DEFAULT_START
        assert (candles["date"].diff().dropna() == np.timedelta64(5, "m")).all()
        body_high = candles[["open", "close"]].max(axis=1)
        body_low = candles[["open", "close"]].min(axis=1)
        assert (candles["high"] >= body_high).all()
        assert (candles["low"] <= body_low).all()
        assert (candles["low"] > 0).all()
        assert (candles["volume"] > 0).all()


def test_every_regime_appears_in_a_month() -> None:
    plan = synth._regime_plan(np.random.default_rng(42), 30 * 288, 288)
    assert set(np.unique(plan)) == set(range(len(synth.REGIMES)))


def test_regimes_move_prices_their_way() -> None:
    """Trending stretches drift, the volatile one swings hardest: the regimes are not just labels."""
    rng = np.random.default_rng(0)
    returns: dict[str, list[float]] = {regime.name: [] for regime in synth.REGIMES}
    plan = synth._regime_plan(rng, 20 * 288, 288)
    candles = synth._candles(rng, "BTC/USDT", plan, 300, synth.DEFAULT_START)
    log_returns = np.diff(np.log(candles["close"].to_numpy()), prepend=np.log(candles["open"].iloc[0]))
    for index, value in zip(plan, log_returns, strict=True):
        returns[synth.REGIMES[index].name].append(value)
    means = {name: float(np.mean(values)) for name, values in returns.items()}
    spreads = {name: float(np.std(values)) for name, values in returns.items()}
    assert means["trending_up"] > 0 > means["trending_down"]
    assert spreads["volatile"] == max(spreads.values())


def test_options_are_honoured(tmp_path: Path) -> None:
    start = datetime(2023, 6, 1, tzinfo=UTC)
    [path] = synth.synthesize(tmp_path, pairs=["DOGE/BTC"], timeframe="1h", days=3, seed=5, start=start)
    candles = store.load_candles_frame(tmp_path, "DOGE/BTC", "1h")
    assert path.name == "DOGE_BTC-1h.feather"
    assert len(candles) == 72
    assert candles["date"].iloc[0] == start


def test_bad_arguments_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        synth.synthesize(tmp_path, days=0)
    with pytest.raises(ConfigError):
        synth.synthesize(tmp_path, pairs=["BTCUSDT"])


def test_freqtrade_reads_the_files(synthetic_data_dir: Path) -> None:
    from freqtrade.data.history import load_pair_history

    candles = load_pair_history(pair="ETH/USDT", timeframe="5m", datadir=synthetic_data_dir)
    assert len(candles) == 30 * 288
    assert candles["close"].equals(store.load_candles_frame(synthetic_data_dir, "ETH/USDT", "5m")["close"])

"""The replay clock: history shifted onto the present, optionally faster, with a forming last candle."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from gentrade.errors import ConfigError
from gentrade.exchange.scripts import load_scripts
from gentrade.exchange.server import TestnetHandle, start_testnet

FIVE_MINUTES = 300_000
SYNTHETIC_REPLAY_START = datetime(2024, 1, 10, tzinfo=UTC)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _klines(url: str, **params: str | int) -> list[list]:
    reply = httpx.get(f"{url}/api/v3/klines", params={"symbol": "BTCUSDT", **params}, timeout=10)
    reply.raise_for_status()
    return reply.json()


def _clock(url: str) -> dict:
    return httpx.get(f"{url}/gentrade/v1/clock", timeout=10).json()


def test_latest_candle_is_now_and_still_forming(replay: TestnetHandle) -> None:
    before = _now_ms()
    bars = _klines(replay.url, interval="5m", limit=3)
    after = _now_ms()
    current = bars[-1]
    assert before - before % FIVE_MINUTES <= current[0] <= after
    assert current[6] >= before  # closes in the future: not final yet
    assert all(bar[6] < before for bar in bars[:-1])
    assert [b[0] for b in bars] == [current[0] - 2 * FIVE_MINUTES, current[0] - FIVE_MINUTES, current[0]]


def test_closed_candles_are_the_stored_ones_shifted(replay: TestnetHandle, synthetic_data_dir: Path) -> None:
    clock = _clock(replay.url)
    offset = round((clock["historyNow"] - clock["serverTime"]) / FIVE_MINUTES) * FIVE_MINUTES
    bars = _klines(replay.url, interval="5m", limit=100)[:-1]
    stored = pd.read_feather(synthetic_data_dir / "BTC_USDT-5m.feather")
    stored.index = pd.to_datetime(stored["date"], utc=True).dt.as_unit("ms").astype("int64")
    expected = stored.loc[[b[0] + offset for b in bars], ["open", "high", "low", "close", "volume"]]
    assert np.array_equal(np.array([b[1:6] for b in bars], dtype=np.float64), expected.to_numpy())


def test_replay_starts_with_warmup_history_only(replay: TestnetHandle) -> None:
    clock = _clock(replay.url)
    start_ms = int(SYNTHETIC_REPLAY_START.timestamp() * 1000)
    assert clock["mode"] == "replay" and clock["replayStart"] == start_ms
    warmup = int(timedelta(days=1).total_seconds() * 1000)
    assert abs(start_ms + warmup - clock["historyNow"]) < FIVE_MINUTES + 10_000
    first = _klines(replay.url, interval="5m", startTime=0, limit=1)[0]
    offset = round((clock["historyNow"] - clock["serverTime"]) / FIVE_MINUTES) * FIVE_MINUTES
    assert first[0] + offset == start_ms


def test_speed_runs_history_faster(synthetic_data_dir: Path) -> None:
    with start_testnet(synthetic_data_dir, replay_start=SYNTHETIC_REPLAY_START, speed=600) as handle:
        first = _clock(handle.url)
        assert first["intervals"][:2] == ["1s", "1m"]
        seconds = _klines(handle.url, interval="1s", limit=5)  # one served second = two stored 5m candles
        time.sleep(1.5)
        second = _clock(handle.url)
        later = _klines(handle.url, interval="1s", limit=5)
    elapsed = second["serverTime"] - first["serverTime"]
    assert second["historyNow"] - first["historyNow"] == pytest.approx(600 * elapsed, rel=0.05)
    assert abs(seconds[-1][0] - first["serverTime"]) < 2_000
    assert later[-1][0] - seconds[-1][0] >= 1_000
    assert [b[0] for b in later] == list(range(later[0][0], later[-1][0] + 1, 1_000))


def test_intervals_must_hold_whole_stored_candles(replay: TestnetHandle) -> None:
    reply = httpx.get(
        f"{replay.url}/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1m"}, timeout=10
    )
    assert reply.status_code == 400 and reply.json()["code"] == -1120
    hourly = _klines(replay.url, interval="1h", limit=2)
    assert hourly[1][0] - hourly[0][0] == 3_600_000
    assert _clock(replay.url)["intervals"][:3] == ["5m", "15m", "30m"]


def test_scripted_prices_drive_ticker_and_candles(
    replay: TestnetHandle, set_prices: Callable[[str, str, list[float]], dict[str, object]]
) -> None:
    answer = set_prices(replay.url, "ETH/USDT", [2_000.0, 2_000.0])
    assert answer["candleDurationMs"] == FIVE_MINUTES
    ticker = httpx.get(f"{replay.url}/api/v3/ticker/price", params={"symbol": "ETHUSDT"}, timeout=10).json()
    assert float(ticker["price"]) == 2_000.0
    current = _klines(replay.url, symbol="ETHUSDT", interval="5m", limit=1)[0]
    assert [float(x) for x in current[1:5]] == [2_000.0] * 4
    book = httpx.get(
        f"{replay.url}/api/v3/ticker/bookTicker", params={"symbol": "ETHUSDT"}, timeout=10
    ).json()
    assert float(book["bidPrice"]) < 2_000.0 < float(book["askPrice"])


def test_forming_candle_agrees_with_the_ticker(replay: TestnetHandle) -> None:
    bar = _klines(replay.url, interval="5m", limit=1)[0]
    last = float(httpx.get(f"{replay.url}/api/v3/ticker/price", params={"symbol": "BTCUSDT"}).json()["price"])
    assert float(bar[3]) - 1 <= last <= float(bar[2]) + 1  # within the forming candle's range (1 USDT tick)


def test_scripts_need_the_replay_clock(synthetic_data_dir: Path) -> None:
    with start_testnet(synthetic_data_dir) as handle:
        reply = httpx.post(f"{handle.url}/gentrade/v1/script", json={"symbol": "BTCUSDT", "prices": [1.0]})
        assert reply.status_code == 400 and reply.json()["code"] == -1020
        reply = httpx.post(f"{handle.url}/gentrade/v1/script", json={"symbol": "BTCUSDT"})
        assert reply.status_code == 400 and "exactly one" in reply.json()["msg"]


def test_script_file_applies_at_start(synthetic_data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "script.json"
    path.write_text('[{"symbol": "SOL/USDT", "candles": [[90, 95, 85, 91, 12.5], [91, 92, 90, 91.5]]}]')
    with start_testnet(
        synthetic_data_dir, replay_start=SYNTHETIC_REPLAY_START, scripts=load_scripts(path)
    ) as handle:
        bar = _klines(handle.url, symbol="SOLUSDT", interval="5m", limit=1)[0]
    assert float(bar[1]) == 90 and 85 <= float(bar[4]) <= 95
    path.write_text('[{"symbol": "SOL/USDT", "candles": [[90, 80, 85, 91]]}]')
    with pytest.raises(ConfigError, match="inconsistent candle"):
        load_scripts(path)

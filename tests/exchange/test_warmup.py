"""Warm-up sizing for replays: from a strategy's own startup_candle_count, timeframe and the replay speed."""

from __future__ import annotations

from pathlib import Path

import httpx
from typer.testing import CliRunner

from gentrade.cli.main import app
from gentrade.codegen import render
from gentrade.examples import load_examples
from gentrade.exchange.intervals import DAY, HOUR, MINUTE
from gentrade.exchange.server import start_testnet
from gentrade.exchange.warmup import SPARE_CANDLES, strategy_warmup_ms, warmup_ms


def test_warmup_grows_with_candles_timeframe_and_speed() -> None:
    assert warmup_ms(100, "5m", 1) == (100 + SPARE_CANDLES) * 5 * MINUTE
    assert warmup_ms(100, "5m", 10) == 10 * warmup_ms(100, "5m", 1)
    assert warmup_ms(100, "1h", 1) == (100 + SPARE_CANDLES) * HOUR


def test_a_rendered_strategy_gets_its_startup_candles_and_at_least_a_day() -> None:
    trend = next(spec for spec in load_examples() if spec.name == "TrendFollower")
    source = render(trend)
    assert "startup_candle_count = 151" in source
    assert strategy_warmup_ms(source, "TrendFollower", 10) == (151 + SPARE_CANDLES) * 5 * MINUTE * 10
    assert strategy_warmup_ms(source, "TrendFollower", 0.01) == DAY  # never less than the old default


def test_a_warm_replay_serves_the_candles_the_strategy_needs(synthetic_data_dir: Path) -> None:
    trend = next(spec for spec in load_examples() if spec.name == "TrendFollower")
    warm = strategy_warmup_ms(render(trend), "TrendFollower", 10)
    counts = []
    for warmup in (DAY, warm):
        with start_testnet(
            synthetic_data_dir, replay_start="2024-01-10T00:00:00Z", speed=10, warmup_ms=warmup
        ) as t:
            reply = httpx.get(
                f"{t.url}/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "5m", "limit": 1000}
            )
            counts.append(len(reply.json()))
    assert counts[0] < 151 <= counts[1]


def test_warmup_for_needs_a_replay(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["exchange", "serve", "--warmup-for", str(tmp_path / "x.py")])
    assert result.exit_code == 1 and "--warmup-for only applies to --replay" in result.output

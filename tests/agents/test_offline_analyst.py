"""The offline analyst: TA-Lib snapshot → deterministic TradeSignal and a spec whose stop and ladder match."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agents.offline import ANALYST_MODEL_ID, analyze, take_snapshot
from gentrade.codegen import render
from gentrade.data import store
from gentrade.errors import DataMissingError
from gentrade.safety import audit
from gentrade.spec import AtrMultiple, RMultiple

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "binance"


def _trend(n: int = 400, drift: float = 0.002, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(drift + rng.normal(0, 0.004, n)))
    high, low = close * 1.003, close * 0.997
    return pd.DataFrame(
        {
            "date": pd.date_range("2024-01-01", periods=n, freq="1h", tz="UTC"),
            "open": close,
            "high": high,
            "low": low,
            "close": close,
            "volume": np.full(n, 10.0),
        }
    )


def test_uptrend_gives_a_long_signal_with_the_standard_ladder() -> None:
    analysis = analyze(_trend(), "ETH/USDT", "1h")
    signal, snap = analysis.signal, analysis.snapshot
    assert signal.direction == "long" and signal.model_id == ANALYST_MODEL_ID
    assert signal.entry == snap.close
    risk = signal.entry - signal.stop_loss
    assert risk == pytest.approx(1.5 * snap.atr)
    assert [t.price for t in signal.take_profits] == pytest.approx(
        [signal.entry + k * risk for k in (1, 2, 3)]
    )
    assert [t.allocation for t in signal.take_profits] == [0.4, 0.3, 0.3]
    assert signal.risk_reward == pytest.approx(1.9)
    assert snap.volume_24h == pytest.approx(240.0)
    assert 0 <= signal.confidence <= 100 and signal.market_condition in {"trending_up", "ranging", "volatile"}
    assert "EMA20" in signal.reasoning


def test_downtrend_gives_a_short_signal() -> None:
    signal = analyze(_trend(drift=-0.002), "ETH/USDT", "1h").signal
    assert signal.direction == "short" and signal.stop_loss > signal.entry > signal.take_profits[0].price


def test_spec_matches_the_signal_and_renders_clean() -> None:
    analysis = analyze(_trend(), "ETH/USDT", "1h")
    spec = analysis.spec
    assert spec.pairs == ["ETH/USDT"] and spec.timeframe == "1h" and spec.direction == "long"
    assert spec.stop.initial == AtrMultiple(atr=1.5) and spec.stop.breakeven_after_level == 1
    assert [(level.target, level.fraction) for level in spec.take_profit] == [
        (RMultiple(r=1), 0.4),
        (RMultiple(r=2), 0.3),
        (RMultiple(r=3), 0.3),
    ]
    assert audit(render(spec)).ok


def test_same_candles_same_bytes() -> None:
    assert (
        analyze(_trend(), "ETH/USDT", "1h").model_dump_json()
        == analyze(_trend(), "ETH/USDT", "1h").model_dump_json()
    )


def test_too_few_candles_is_a_clear_error() -> None:
    with pytest.raises(DataMissingError, match="needs 210"):
        take_snapshot(_trend(n=100), "ETH/USDT", "1h")


def test_real_candles_resampled_to_the_signal_timeframe() -> None:
    candles = store.load_candles_frame(DATA, "ETH/BTC", "1h", resample=True)
    assert len(candles) > 400 and (candles["date"].diff().dropna() == pd.Timedelta(hours=1)).all()
    analysis = analyze(candles, "ETH/BTC", "1h")
    assert analysis.signal.generated_at is not None
    assert analysis.snapshot.regime in {"trending", "ranging", "volatile"}

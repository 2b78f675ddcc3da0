"""Shared fixtures: the real Binance candles of ../shared/data and a compact signal builder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gentrade.spec import parse_signal
from gentrade.spec.signal import TradeSignal

REAL_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "binance"


@pytest.fixture(scope="session")
def real_datadir() -> Path:
    if not (REAL_DATA / "ETH_BTC-5m.feather").is_file():
        pytest.fail(f"real candles missing at {REAL_DATA}: they are always present in CI (../shared/data)")
    return REAL_DATA


def build_signal(
    symbol: str,
    generated_at: str,
    entry: float,
    stop: float,
    targets: list[tuple[float, float]],
    **extra: Any,
) -> TradeSignal:
    """A 1h signal valid for 6 candles unless ``extra`` says otherwise; targets are (price, allocation)."""
    data: dict[str, Any] = {
        "symbol": symbol,
        "timeframe": "1h",
        "valid_for_candles": 6,
        "entry": entry,
        "stop_loss": stop,
        "take_profits": [{"price": p, "allocation": a} for p, a in targets],
        "confidence": 60,
        "model_id": "test-model",
        "generated_at": generated_at,
    }
    data.update(extra)
    return parse_signal(data)


@pytest.fixture(scope="session")
def make_signal() -> Callable[..., TradeSignal]:
    return build_signal

"""Invariants on random signals over random candle paths (longs and shorts, with and without detail candles).

Bounds: no outcome beats every target filling, none is worse than the whole position stopped out at the
stop — both with the same fees and slippage — and the fills always account for the whole position.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from price_paths import T0, aggregate, random_path

from gentrade.signals import Candles, EvaluationSettings, SignalOutcome, evaluate
from gentrade.signals.candles import to_ns
from gentrade.spec import parse_signal
from gentrade.spec.signal import TradeSignal


@st.composite
def signals(draw: st.DrawFn) -> TradeSignal:
    direction = draw(st.sampled_from(["long", "short"]))
    s = 1 if direction == "long" else -1
    entry = draw(st.floats(95, 105))
    steps = draw(st.lists(st.floats(0.05, 3), min_size=1, max_size=4))
    weights = draw(st.lists(st.integers(1, 10), min_size=len(steps), max_size=len(steps)))
    prices = entry + s * np.cumsum(steps)
    return parse_signal(
        {
            "symbol": "ABC/USDT",
            "direction": direction,
            "timeframe": "1h",
            "entry": entry,
            "stop_loss": entry - s * draw(st.floats(0.05, 4)),
            "take_profits": [
                {"price": float(p), "allocation": w / sum(weights)}
                for p, w in zip(prices, weights, strict=True)
            ],
            "breakeven_after_tp1": draw(st.booleans()),
            "confidence": 50,
            "model_id": "prop",
            "generated_at": T0 + timedelta(minutes=5 * draw(st.integers(0, 5))),
            "valid_for_candles": draw(st.integers(1, 4)),
        }
    )


costs = st.builds(
    EvaluationSettings, size=st.floats(10, 10_000), fee=st.floats(0, 0.01), slippage=st.floats(0, 0.01)
)


def bounds(signal: TradeSignal, cost: EvaluationSettings) -> tuple[float, float]:
    s = 1 if signal.direction == "long" else -1
    entry_fill = signal.entry * (1 + s * cost.slippage)
    quantity = cost.size / entry_fill

    def leg(fraction: float, level: float) -> float:
        exit_fill = level * (1 - s * cost.slippage)
        return s * fraction * quantity * (exit_fill - entry_fill) - cost.fee * fraction * quantity * exit_fill

    best = sum(leg(t.allocation, t.price) for t in signal.take_profits) - cost.fee * cost.size
    return leg(1.0, signal.stop_loss) - cost.fee * cost.size, best


def check_invariants(
    signal: TradeSignal, cost: EvaluationSettings, outcome: SignalOutcome, candles: Candles
) -> None:
    if outcome.entered_at is None:  # never entered: no trade at all, and truly no candle reached the entry
        assert outcome.fills == [] and outcome.entry_fill_price is None
        assert outcome.net_pnl == outcome.gross_pnl == outcome.fees == 0.0
        assert outcome.status in ("pending", "not_triggered", "incomplete_data")
        until = outcome.evaluated_until or outcome.expires_at
        lo, hi = candles.span(to_ns(outcome.generated_at), to_ns(until))
        reached = (
            candles.low[lo:hi] <= signal.entry
            if signal.direction == "long"
            else candles.high[lo:hi] >= signal.entry
        )
        assert not reached.any()
        return
    # Nothing fills before the entry candle, and no target inside it.
    assert all(f.time >= outcome.entered_at for f in outcome.fills)
    assert all(f.time > outcome.entered_at for f in outcome.fills if f.kind == "target")
    worst, best = bounds(signal, cost)
    marks = [f.price for f in outcome.fills if f.kind == "mark"]
    if marks:  # the entry candle may close past targets it is not credited with: the mark can beat them
        best = max(best, bounds(signal.model_copy(update={"stop_loss": marks[0]}), cost)[0])
    tolerance = 1e-9 * cost.size
    assert worst - tolerance <= outcome.net_pnl <= best + tolerance
    assert outcome.closed_fraction + outcome.open_fraction == pytest.approx(1.0, abs=1e-9)
    assert sum(f.fraction for f in outcome.fills) == pytest.approx(1.0, abs=1e-9)
    assert [f.target for f in outcome.fills if f.kind == "target"] == list(range(1, outcome.targets_hit + 1))
    assert outcome.fees >= cost.fee * cost.size
    if outcome.status == "expired":
        assert [f.kind for f in outcome.fills] == ["mark"]


@settings(max_examples=300, deadline=None)
@given(signals(), costs, st.integers(0, 2**32), st.integers(1, 90), st.floats(0.001, 0.02))
def test_net_pnl_stays_within_the_levels(
    signal: TradeSignal, cost: EvaluationSettings, seed: int, count: int, volatility: float
) -> None:
    candles = random_path(seed, count, 5, volatility)
    outcome = evaluate(signal, candles, settings=cost)
    check_invariants(signal, cost, outcome, candles)


@settings(max_examples=200, deadline=None)
@given(signals(), costs, st.integers(0, 2**32), st.floats(0.002, 0.02))
def test_detail_candles_keep_the_bounds_and_never_do_worse_than_pessimism(
    signal: TradeSignal, cost: EvaluationSettings, seed: int, volatility: float
) -> None:
    fine = random_path(seed, 5 * 60, 1, volatility)
    coarse = aggregate(fine, 5, "5m")
    pessimistic = evaluate(signal, coarse, settings=cost)
    resolved = evaluate(signal, coarse, detail=fine, settings=cost)
    check_invariants(signal, cost, resolved, coarse)
    # Pessimism closes the remainder at the stop, the worst price any resolution can reach.
    assert pessimistic.net_pnl <= resolved.net_pnl + 1e-9 * cost.size

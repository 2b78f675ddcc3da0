"""Signals are not flattered: nothing counts before the entry is reached, a never-reached entry is no trade,
a stop inside a gap fills at the open, a gapped-through target at its own price, and break-even is the
shared definition. Each case is a hand-written candle path (1h candles from T0), checked on ``evaluate``
and on ``evaluate_batch`` alike; the same holds on random paths that gap at every candle.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest
from price_paths import T0, crafted, jumpy_path

from gentrade.signals import Candles, EvaluationSettings, SignalOutcome, evaluate, evaluate_batch
from gentrade.spec import parse_signal
from gentrade.spec.costs import breakeven_price
from gentrade.spec.signal import TradeSignal

FREE = EvaluationSettings(fee=0, slippage=0)


def signal(
    entry: float,
    stop: float,
    targets: list[tuple[float, float]],
    *,
    direction: str = "long",
    candles: int = 6,
    breakeven: bool = False,
) -> TradeSignal:
    return parse_signal(
        {
            "symbol": "ABC/USDT",
            "direction": direction,
            "timeframe": "1h",
            "entry": entry,
            "stop_loss": stop,
            "take_profits": [{"price": p, "allocation": a} for p, a in targets],
            "confidence": 50,
            "model_id": "paths",
            "generated_at": T0.isoformat(),
            "valid_for_candles": candles,
            "breakeven_after_tp1": breakeven,
        }
    )


def both(s: TradeSignal, candles: Candles, settings: EvaluationSettings = FREE) -> SignalOutcome:
    """The single-signal outcome, after checking the batch evaluator finds exactly the same."""
    outcome = evaluate(s, candles, settings=settings)
    assert evaluate_batch([s], candles, settings=settings).outcome(0) == outcome
    return outcome


def hour(k: int) -> datetime:
    return T0 + timedelta(hours=k)


def test_targets_before_the_entry_do_not_count() -> None:
    # A long at 100 while the market trades at 105: TP1 110 is touched at 01:00, before the price ever comes
    # down to the entry (02:00, low 99.5); only the touch after the entry (03:00) fills it.
    path = crafted(
        [
            (105, 106, 104, 105),
            (105, 112, 104.5, 111),
            (111, 111, 99.5, 100),
            (100, 111, 99.8, 110.5),
            (110.5, 111, 110, 110.5),
            (110.5, 111, 110, 110.5),
        ]
    )
    outcome = both(signal(100, 95, [(110, 1.0)]), path)
    assert outcome.entered_at == hour(2)
    assert [(f.kind, f.time, f.price) for f in outcome.fills] == [("target", hour(3), 110.0)]
    assert outcome.status == "completed_success" and outcome.net_pnl == pytest.approx(100.0)
    assert outcome.duration == timedelta(hours=3)


def test_an_entry_never_reached_is_not_triggered_or_pending() -> None:
    # Every target and the stop... nothing: the long's entry 100 is never reached (lows ≥ 101).
    rows = [(105, 112, 101, 111), (111, 111, 101, 102), (102, 103, 101, 102)]
    s = signal(100, 95, [(110, 1.0)], candles=3)
    done = both(s, crafted(rows))
    assert done.status == "not_triggered" and not done.decided
    assert done.fills == [] and done.entered_at is None and done.entry_fill_price is None
    assert (done.net_pnl, done.gross_pnl, done.fees) == (0.0, 0.0, 0.0)
    # The same with one candle still to come: pending, also without any money.
    waiting = both(s, crafted(rows[:2]), EvaluationSettings())
    assert waiting.status == "pending" and waiting.fills == [] and waiting.fees == 0.0


def test_a_short_waits_for_its_entry_above_the_market() -> None:
    path = crafted([(95, 96, 89, 90), (90, 100.5, 90, 100), (100, 100.2, 89, 89.5)])
    outcome = both(signal(100, 103, [(90, 1.0)], direction="short", candles=3), path)
    assert outcome.entered_at == hour(1)  # 00:00 reached TP 90 but not the entry
    assert [(f.kind, f.time) for f in outcome.fills] == [("target", hour(2))]


def test_a_stop_inside_a_gap_fills_at_the_open() -> None:
    # Long 100 / stop 98: 01:00 opens at 97 (the market jumped over the stop) → filled at 97, not at 98.
    path = crafted([(101, 101.5, 99.9, 100.5), (97, 97.5, 96, 96.5), (96.5, 97, 96, 96.5)])
    outcome = both(signal(100, 98, [(110, 1.0)], candles=3), path)
    [stop] = outcome.fills
    assert (stop.kind, stop.time, stop.price, stop.gapped) == ("stop", hour(1), 97.0, True)
    assert outcome.net_pnl == pytest.approx(-30.0)  # 1000 × (97 / 100 − 1), worse than the stop's −20
    # A short's stop above: 01:00 opens at 104 over the stop 102.
    path = crafted([(99, 100.1, 98.5, 99), (104, 105, 103, 104), (104, 105, 103, 104)])
    outcome = both(signal(100, 102, [(90, 1.0)], direction="short", candles=3), path)
    assert (outcome.fills[0].price, outcome.fills[0].gapped) == (104.0, True)
    assert outcome.net_pnl == pytest.approx(-40.0)


def test_a_stop_touched_without_a_gap_and_in_the_entry_candle_fills_at_the_stop() -> None:
    # 00:00 opens at 101, falls through the entry 100 to 97: it reached the entry first, then the stop 98.
    path = crafted([(101, 101, 97, 97.5), (97.5, 99, 97, 98)])
    outcome = both(signal(100, 98, [(110, 1.0)], candles=2), path)
    [stop] = outcome.fills
    assert (stop.time, stop.price, stop.gapped) == (hour(0), 98.0, False)


def test_a_target_gapped_through_fills_at_its_own_price() -> None:
    # The take-profit is a resting limit order: the jump to 112 at 01:00 fills it at 110, never better.
    path = crafted([(100.5, 101, 99.9, 100.5), (112, 113, 111, 112)])
    outcome = both(signal(100, 95, [(110, 1.0)], candles=2), path)
    [target] = outcome.fills
    assert (target.kind, target.price, target.gapped) == ("target", 110.0, False)
    assert outcome.net_pnl == pytest.approx(100.0)


def test_a_target_inside_the_entry_candle_is_not_credited() -> None:
    # 00:00 reaches both the entry 100 and TP1 110, in an unknown order: no target; the rest is marked at
    # 01:00's close.
    path = crafted([(101, 111, 99.9, 105), (105, 106, 104, 105)])
    outcome = both(signal(100, 95, [(110, 1.0)], candles=2), path)
    assert outcome.status == "expired"
    assert [(f.kind, f.time, f.price) for f in outcome.fills] == [("mark", hour(1), 105.0)]


def test_break_even_is_the_shared_definition() -> None:
    # Costs 0.1 % fee + 0.1 % slippage per side: break-even = 100 × 1.002 / 0.998 = 100.4008. After TP1
    # (01:00) the 02:00 low 100.3 reaches it (it would not reach a stop at the bare entry 100); it opened at
    # 101, so it fills at the break-even price and that half of the trade nets (almost) nothing.
    costs = EvaluationSettings()
    level = breakeven_price(100.0, "long", costs.fee, costs.slippage)
    path = crafted(
        [
            (100.5, 101, 99.9, 100.5),
            (100.5, 106, 101, 105),
            (101, 101.5, 100.3, 100.5),
            (100.5, 101, 100.3, 100.5),
        ]
    )
    outcome = both(signal(100, 95, [(105, 0.5), (120, 0.5)], candles=4, breakeven=True), path, costs)
    assert outcome.breakeven_price == level == pytest.approx(100.4008016)
    assert [(f.kind, f.time, f.price) for f in outcome.fills] == [
        ("target", hour(1), 105.0),
        ("breakeven_stop", hour(2), level),
    ]
    qty = 1000 / (100 * 1.001)
    tp1_half = 0.5 * qty * (105 * 0.999 - 100 * 1.001) - 0.5 - 0.001 * 0.5 * qty * 105 * 0.999
    assert outcome.net_pnl == pytest.approx(tp1_half, abs=1e-5)
    # A short mirrors it: break-even 100 × 0.998 / 1.002 below the entry.
    short = parse_signal(
        {
            **signal(100, 105, [(95, 0.5), (80, 0.5)], direction="short", breakeven=True).model_dump(
                mode="json"
            )
        }
    )
    mirror = crafted([(99.5, 100.1, 99, 99.5), (99.5, 99.5, 94, 95), (99, 99.7, 98.5, 99.5)])
    outcome = both(short, mirror, costs)
    assert outcome.fills[-1].kind == "breakeven_stop"
    assert outcome.fills[-1].price == breakeven_price(100.0, "short", costs.fee, costs.slippage)


def test_random_paths_that_gap_at_every_candle_fill_stops_at_the_open_only_when_it_is_worse() -> None:
    """Over many signals on a path with a gap at every candle: every gapped stop lies beyond its level (a
    loss versus the stop price), every fill comes at or after the entry candle, and the batch agrees."""
    candles = jumpy_path(11, 2_000, 15, 0.01)
    rng = np.random.default_rng(3)
    signals = []
    for k in range(120):  # one every 4 hours (16 candles), valid 24 hours
        direction = "long" if k % 2 == 0 else "short"
        side = 1 if direction == "long" else -1
        entry = float(candles.open[k * 16]) * (1 - side * rng.uniform(0, 0.02))
        signals.append(
            parse_signal(
                {
                    "symbol": "ABC/USDT",
                    "direction": direction,
                    "timeframe": "1h",
                    "entry": entry,
                    "stop_loss": entry * (1 - side * 0.01),
                    "take_profits": [{"price": entry * (1 + side * 0.02), "allocation": 1.0}],
                    "confidence": 50,
                    "model_id": "paths",
                    "generated_at": (T0 + timedelta(hours=4 * k)).isoformat(),
                    "valid_for_candles": 24,
                    "breakeven_after_tp1": False,
                }
            )
        )
    batch = evaluate_batch(signals, candles, settings=FREE)
    gapped = 0
    for i, s in enumerate(signals):
        outcome = batch.outcome(i)
        assert outcome == evaluate(s, candles, settings=FREE)
        if outcome.entered_at is None:
            continue
        assert all(f.time >= outcome.entered_at for f in outcome.fills)
        for f in outcome.fills:
            if f.gapped:
                gapped += 1
                assert (f.price < s.stop_loss) if s.direction == "long" else (f.price > s.stop_loss)
    assert gapped >= 10  # the path really exercises the rule
    assert {"not_triggered", "completed_failure", "completed_success"} <= set(batch.status_names())

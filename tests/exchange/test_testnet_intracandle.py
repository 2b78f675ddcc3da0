"""The price path inside a candle and the clock's arithmetic (pure functions, no server)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gentrade.exchange.clock import Clock
from gentrade.exchange.intracandle import Ohlc, first_touch, partial, price_at

RISING = Ohlc(open=10.0, high=14.0, low=8.0, close=12.0)  # path 10 → 8 → 14 → 12, length 2 + 6 + 2
FALLING = Ohlc(open=10.0, high=11.0, low=5.0, close=6.0)  # path 10 → 11 → 5 → 6, length 1 + 6 + 1


def test_rising_candle_visits_low_then_high() -> None:
    assert price_at(RISING, 0.0) == 10.0
    assert price_at(RISING, 0.2) == pytest.approx(8.0)
    assert price_at(RISING, 0.8) == pytest.approx(14.0)
    assert price_at(RISING, 1.0) == 12.0
    assert tuple(partial(RISING, 0.5)) == pytest.approx((10.0, 11.0, 8.0, 11.0))


def test_falling_candle_visits_high_then_low() -> None:
    assert price_at(FALLING, 0.125) == pytest.approx(11.0)
    assert tuple(partial(FALLING, 0.5)) == pytest.approx((10.0, 11.0, 8.0, 8.0))
    assert tuple(partial(FALLING, 1.0)) == pytest.approx(tuple(FALLING))


def test_first_touch_finds_the_crossing_moment() -> None:
    assert first_touch(RISING, 0.0, 1.0, 9.0, below=True) == pytest.approx(0.1)
    assert first_touch(RISING, 0.0, 1.0, 13.0, below=False) == pytest.approx(0.7)
    assert first_touch(RISING, 0.35, 1.0, 9.0, below=True) is None  # the dip was before 0.35
    assert first_touch(RISING, 0.0, 0.5, 13.0, below=False) is None  # not yet
    assert first_touch(FALLING, 0.5, 1.0, 9.0, below=True) == 0.5  # already below at the start
    assert first_touch(Ohlc(5.0, 5.0, 5.0, 5.0), 0.0, 1.0, 6.0, below=False) is None


@given(
    st.tuples(*[st.floats(1.0, 100.0)] * 4),
    st.floats(0.0, 1.0),
)
def test_partial_candle_stays_inside_the_full_one(values: tuple[float, ...], fraction: float) -> None:
    o, c = values[0], values[1]
    candle = Ohlc(o, max(values), min(values), c)
    seen = partial(candle, fraction)
    assert candle.low - 1e-9 <= seen.low <= seen.close <= seen.high <= candle.high + 1e-9
    assert seen.open == candle.open


def test_replay_clock_maps_history_onto_now() -> None:
    now = 1_800_000_123_456
    clock = Clock.replay(
        start_ms=1_700_000_000_000, warmup_ms=86_400_000, speed=1.0, align_ms=300_000, now_ms=now
    )
    assert clock.offset_ms % 300_000 == 0
    assert 0 <= 1_700_086_400_000 - clock.to_history(now) < 300_000
    assert clock.to_served(clock.to_history(now)) == now
    fast = Clock.replay(start_ms=1_700_000_000_000, warmup_ms=0, speed=60.0, align_ms=300_000, now_ms=now)
    assert fast.to_history(now + 1_000) - fast.to_history(now) == 60_000
    assert fast.span_ms(1_000) == 60_000 and Clock.historical().span_ms(60_000) == 60_000
    assert Clock.replay(start_ms=0, warmup_ms=0, speed=0.3, align_ms=1, now_ms=0).span_ms(1) is None

"""The price inside one candle.

A candle only records open, high, low and close, so the replay assumes the usual path through them: a rising
candle goes open → low → high → close, a falling one open → high → low → close, each leg at constant speed
along the price axis.  That fixes the price at any fraction of the candle, the partial (unclosed) candle a
client sees mid-way, and the moment a resting order's price is first touched.
"""

from __future__ import annotations

from typing import NamedTuple


class Ohlc(NamedTuple):
    open: float
    high: float
    low: float
    close: float


def _points(c: Ohlc) -> tuple[float, float, float, float]:
    if c.close >= c.open:
        return (c.open, c.low, c.high, c.close)
    return (c.open, c.high, c.low, c.close)


def _legs(c: Ohlc) -> tuple[list[tuple[float, float, float, float]], float]:
    """Legs as (price_from, price_to, distance_from, distance_to) and the total path length."""
    pts = _points(c)
    legs = []
    walked = 0.0
    for a, b in zip(pts, pts[1:], strict=False):
        length = abs(b - a)
        legs.append((a, b, walked, walked + length))
        walked += length
    return legs, walked


def price_at(c: Ohlc, fraction: float) -> float:
    legs, total = _legs(c)
    if total == 0.0:
        return c.open
    d = min(max(fraction, 0.0), 1.0) * total
    for a, b, d0, d1 in legs:
        if d <= d1 and d1 > d0:
            return a + (b - a) * (d - d0) / (d1 - d0)
    return c.close


def partial(c: Ohlc, fraction: float) -> Ohlc:
    """The candle as seen after ``fraction`` of its time: extremes are only those already visited."""
    now = price_at(c, fraction)
    legs, total = _legs(c)
    visited = [c.open, now]
    d = min(max(fraction, 0.0), 1.0) * total
    visited += [b for _a, b, _d0, d1 in legs if d1 <= d]
    return Ohlc(c.open, max(visited), min(visited), now)


def first_touch(c: Ohlc, start: float, end: float, level: float, below: bool) -> float | None:
    """First fraction in [start, end] where the price is at or beyond ``level`` (≤ if ``below``, else ≥)."""

    def hit(price: float) -> bool:
        return price <= level if below else price >= level

    if hit(price_at(c, start)):
        return start
    legs, total = _legs(c)
    if total == 0.0:
        return None
    d_start, d_end = start * total, end * total
    for a, b, d0, d1 in legs:
        lo, hi = max(d0, d_start), min(d1, d_end)
        if lo > hi or d1 == d0:
            continue
        if hit(a + (b - a) * (hi - d0) / (d1 - d0)):
            return min(max((d0 + (level - a) / (b - a) * (d1 - d0)) / total, start), end)
    return None

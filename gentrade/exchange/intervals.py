"""Binance kline intervals and freqtrade file timeframes, in milliseconds.

Kept free of freqtrade imports on purpose: importing freqtrade costs seconds and the server does not need it.
"""

from __future__ import annotations

SECOND = 1_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEEK = 7 * DAY

#: Binance kline intervals the server can build (``1M`` is left out: months have no fixed length).
INTERVALS: dict[str, int] = {
    "1s": SECOND,
    "1m": MINUTE,
    "3m": 3 * MINUTE,
    "5m": 5 * MINUTE,
    "15m": 15 * MINUTE,
    "30m": 30 * MINUTE,
    "1h": HOUR,
    "2h": 2 * HOUR,
    "4h": 4 * HOUR,
    "6h": 6 * HOUR,
    "8h": 8 * HOUR,
    "12h": 12 * HOUR,
    "1d": DAY,
    "3d": 3 * DAY,
    "1w": WEEK,
}

#: Weekly candles open on Monday; the Unix epoch was a Thursday, so weeks start four days after it.
_WEEK_ORIGIN = 4 * DAY


def interval_origin(interval_ms: int) -> int:
    """Where bucket number zero of an interval opens (epoch milliseconds)."""
    return _WEEK_ORIGIN if interval_ms == WEEK else 0


def parse_duration(text: str) -> int:
    """Parse ``90s``, ``15m``, ``12h``, ``1d`` or ``2w`` into milliseconds (for warm-up and script steps)."""
    units = {"s": SECOND, "m": MINUTE, "h": HOUR, "d": DAY, "w": WEEK}
    text = text.strip()
    if len(text) < 2 or text[-1] not in units or not text[:-1].isdigit():
        raise ValueError(f"not a duration: {text!r} (expected e.g. 30m, 12h, 1d)")
    return int(text[:-1]) * units[text[-1]]

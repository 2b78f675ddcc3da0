"""Binance kline intervals and freqtrade file timeframes, in milliseconds (derived from the spec's table).

Kept free of freqtrade imports on purpose: importing freqtrade costs seconds and the server does not need it.
"""

from __future__ import annotations

from gentrade.spec.common import TIMEFRAME_SECONDS

SECOND = 1_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEEK = 7 * DAY

#: Binance kline intervals the server can build: every timeframe of the spec's table, and Binance's one-second
#: klines, which only the testnet serves (a replay cut from coarser files); ``1M`` is left out: months have no
#: fixed length.
INTERVALS: dict[str, int] = {
    "1s": SECOND,
    **{name: seconds * SECOND for name, seconds in TIMEFRAME_SECONDS.items()},
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

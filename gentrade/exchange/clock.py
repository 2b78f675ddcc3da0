"""How served time relates to the stored history.

Both clocks are one linear map ``history = offset + served * speed``:

* the historical clock (offset 0, speed 1, no "now") serves the stored candles as they are, every one closed;
* the replay clock shifts a stretch of history onto the present: at start-up the history moment
  ``replay_start + warmup`` becomes "now", history before ``replay_start`` is hidden, and history after
  "now" does not exist yet.  With ``speed`` > 1 history runs that many times faster than the wall clock,
  so one served minute holds ``speed`` minutes of history (a 1m bot on a speed-5 replay of 5m data sees one
  stored candle per minute).

The offset is a whole multiple of ``align_ms`` (the longest stored timeframe step that every pair shares),
so stored candle boundaries land on served bucket boundaries and aggregation never splits a candle.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class Clock:
    offset_ms: int
    speed: float
    live: bool
    hidden_before_ms: int | None = None

    @classmethod
    def historical(cls) -> Clock:
        return cls(offset_ms=0, speed=1.0, live=False)

    @classmethod
    def replay(cls, *, start_ms: int, warmup_ms: int, speed: float, align_ms: int, now_ms: int) -> Clock:
        if speed <= 0:
            raise ValueError("speed must be positive")
        target = start_ms + warmup_ms - round(now_ms * speed)
        offset = (target // align_ms) * align_ms
        return cls(offset_ms=offset, speed=speed, live=True, hidden_before_ms=start_ms)

    def to_history(self, served_ms: int) -> int:
        return self.offset_ms + round(served_ms * self.speed)

    def to_served(self, history_ms: int) -> int:
        return round((history_ms - self.offset_ms) / self.speed)

    def history_now(self) -> int | None:
        """The history moment that is "now", or None when every stored candle counts as past."""
        return self.to_history(wall_ms()) if self.live else None

    def span_ms(self, served_ms: int) -> int | None:
        """History milliseconds in ``served_ms`` of served time, or None if that is not a whole number."""
        span = served_ms * self.speed
        whole = round(span)
        return whole if whole > 0 and abs(span - whole) < 1e-6 else None

"""How much history a replay must already have served so a bot's indicators are ready when it starts.

A replay compresses history (``speed`` stored minutes per served minute), so the warm-up a strategy needs
grows with the speed: ``startup_candle_count`` candles of the bot's timeframe, each ``speed`` times as much
history. Without it a 5m bot on a ×10 replay of a day's warm-up gets 30 candles and an EMA-50 strategy
cannot trade for hours, silently.
"""

from __future__ import annotations

import math

from gentrade.codegen.parse import class_literal
from gentrade.errors import ConfigError
from gentrade.exchange.intervals import DAY, INTERVALS

#: Extra candles on top of the strategy's count: freqtrade drops the running candle, and a few spare
#: candles keep a bot started a little late from falling short.
SPARE_CANDLES = 5


def warmup_ms(candles: int, timeframe: str, speed: float) -> int:
    """History milliseconds that serve ``candles`` closed candles of ``timeframe`` at replay ``speed``."""
    if timeframe not in INTERVALS:
        raise ConfigError(f"unknown timeframe {timeframe!r}")
    if candles < 0 or speed <= 0:
        raise ConfigError(f"need candles >= 0 and speed > 0, got {candles} and {speed}")
    return math.ceil((candles + SPARE_CANDLES) * INTERVALS[timeframe] * speed)


def strategy_warmup_ms(source: str, class_name: str, speed: float) -> int:
    """The warm-up for a strategy (its literal ``startup_candle_count`` and ``timeframe``), at least a day."""
    candles = class_literal(source, class_name, "startup_candle_count")
    timeframe = class_literal(source, class_name, "timeframe")
    if not isinstance(timeframe, str):
        raise ConfigError(f"{class_name} sets no literal timeframe: cannot size the warm-up")
    count = candles if isinstance(candles, int) and candles >= 0 else 0
    return max(DAY, warmup_ms(count, timeframe, speed))

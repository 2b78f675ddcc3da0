"""Small shared vocabulary of the spec package (timeframes, pairs, directions)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict

from gentrade.errors import ConfigError

Timeframe = Literal["1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w"]
Direction = Literal["long", "short", "both"]
PriceColumn = Literal["open", "high", "low", "close", "volume"]

#: Seconds per candle of every timeframe a spec, a signal or a candle file may name: the one timeframe table
#: (the data store, the signal evaluator and the testnet's kline intervals derive theirs from it). Its keys
#: are ``Timeframe``'s values (tests/spec checks they agree).
TIMEFRAME_SECONDS: dict[str, int] = {
    "1m": 60,
    "3m": 3 * 60,
    "5m": 5 * 60,
    "15m": 15 * 60,
    "30m": 30 * 60,
    "1h": 3600,
    "2h": 2 * 3600,
    "4h": 4 * 3600,
    "6h": 6 * 3600,
    "8h": 8 * 3600,
    "12h": 12 * 3600,
    "1d": 86400,
    "3d": 3 * 86400,
    "1w": 7 * 86400,
}


def timeframe_seconds(timeframe: str) -> int:
    """Seconds per candle; a timeframe outside the table is a ``ConfigError`` naming it and the known ones, so
    a data file, a signal and a spec can never disagree on what a timeframe means."""
    seconds = TIMEFRAME_SECONDS.get(timeframe)
    if seconds is None:
        raise ConfigError(f"unknown timeframe {timeframe!r} (expected one of {', '.join(TIMEFRAME_SECONDS)})")
    return seconds


_PAIR_RE = re.compile(r"^[A-Z0-9]{2,15}/[A-Z0-9]{2,15}(:[A-Z0-9]{2,15})?$")


def _check_pair(value: str) -> str:
    if not _PAIR_RE.match(value):
        raise ValueError(f"'{value}' is not a pair like 'ETH/BTC' (upper-case BASE/QUOTE)")
    return value


Pair = Annotated[str, AfterValidator(_check_pair)]


class Strict(BaseModel):
    """Base for every spec model: unknown fields are errors, so a typo never silently changes a strategy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

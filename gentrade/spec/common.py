"""Small shared vocabulary of the spec package (timeframes, pairs, directions)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict

Timeframe = Literal["1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w"]
Direction = Literal["long", "short", "both"]
PriceColumn = Literal["open", "high", "low", "close", "volume"]

TIMEFRAME_MINUTES: dict[str, int] = {
    "1m": 1,
    "3m": 3,
    "5m": 5,
    "15m": 15,
    "30m": 30,
    "1h": 60,
    "2h": 120,
    "4h": 240,
    "6h": 360,
    "8h": 480,
    "12h": 720,
    "1d": 1440,
    "3d": 4320,
    "1w": 10080,
}

_PAIR_RE = re.compile(r"^[A-Z0-9]{2,15}/[A-Z0-9]{2,15}(:[A-Z0-9]{2,15})?$")


def _check_pair(value: str) -> str:
    if not _PAIR_RE.match(value):
        raise ValueError(f"'{value}' is not a pair like 'ETH/BTC' (upper-case BASE/QUOTE)")
    return value


Pair = Annotated[str, AfterValidator(_check_pair)]


class Strict(BaseModel):
    """Base for every spec model: unknown fields are errors, so a typo never silently changes a strategy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

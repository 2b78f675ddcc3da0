"""Scripted price paths: tests and demos dictate what the market does next.

A script replaces the stored candles of one symbol, starting with the candle that is forming now (or at a
given history moment), by the given candles or by flat candles at the given prices.  Each scripted candle
lasts one stored timeframe of history, i.e. ``timeframe / speed`` of wall time.  Scripts come from a JSON file
at start-up (``--script FILE``: a list of these objects) or from ``POST /gentrade/v1/script``.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, TypeAdapter, model_validator

from gentrade.errors import ConfigError
from gentrade.exchange.intracandle import Ohlc

MAX_SCRIPT_CANDLES = 100_000

#: open, high, low, close and optionally volume.
CandleRow = (
    tuple[PositiveFloat, PositiveFloat, PositiveFloat, PositiveFloat]
    | tuple[PositiveFloat, PositiveFloat, PositiveFloat, PositiveFloat, float]
)


class PriceScript(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    symbol: str = Field(description="Binance id (ETHBTC) or pair (ETH/BTC).")
    prices: list[PositiveFloat] | None = Field(default=None, max_length=MAX_SCRIPT_CANDLES)
    candles: list[CandleRow] | None = Field(default=None, max_length=MAX_SCRIPT_CANDLES)
    start: datetime | None = Field(
        default=None, description="History moment the script starts at (UTC); default: the replay's now."
    )

    @model_validator(mode="after")
    def _one_path(self) -> Self:
        if (self.prices is None) == (self.candles is None):
            raise ValueError("give exactly one of 'prices' or 'candles'")
        if not (self.prices or self.candles):
            raise ValueError("a script needs at least one price or candle")
        for row in self.candles or []:
            o, h, low, c = row[:4]
            if h < max(o, c, low) or low > min(o, c):
                raise ValueError(f"inconsistent candle {list(row)}: need low <= open, close <= high")
            if len(row) == 5 and row[4] < 0:
                raise ValueError(f"negative volume in candle {list(row)}")
        return self

    @property
    def symbol_id(self) -> str:
        return self.symbol.replace("/", "").upper()

    def ohlc(self) -> list[Ohlc]:
        if self.prices is not None:
            return [Ohlc(p, p, p, p) for p in self.prices]
        return [Ohlc(*row[:4]) for row in self.candles or []]

    def volumes(self, default: float) -> list[float]:
        rows = self.candles or []
        if not rows:
            return [default] * len(self.prices or [])
        return [row[4] if len(row) == 5 else default for row in rows]


def load_scripts(path: Path) -> list[PriceScript]:
    try:
        return TypeAdapter(list[PriceScript]).validate_python(json.loads(path.read_text()))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read script file {path}: {exc}") from exc

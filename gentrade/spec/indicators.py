"""The indicator catalogue: each entry is a typed model with validated parameters and named outputs.

Every indicator is computed with TA-Lib (or a pandas rolling window for Donchian channels) by the renderer;
this module only describes *what* is computed, so producers (agents, people, the API) cannot ask for
anything the renderer does not know how to write.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Discriminator, Field, field_validator, model_validator

from gentrade.spec.common import PriceColumn, Strict

_ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_RESERVED_IDS = {
    "open",
    "high",
    "low",
    "close",
    "volume",
    "date",
    "enter_long",
    "enter_short",
    "exit_long",
    "exit_short",
    "enter_tag",
    "exit_tag",
}


class _Indicator(Strict):
    id: str = Field(description="Name used by rules to refer to this indicator, e.g. 'rsi_fast'.")

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not _ID_RE.match(value) or value.startswith("gt_"):
            raise ValueError(
                f"'{value}' must be lower_snake_case (a letter, then letters, digits or '_', at most 40) "
                "and not start with 'gt_'"
            )
        if value in _RESERVED_IDS:
            raise ValueError(f"'{value}' is a reserved column name")
        return value

    @property
    def outputs(self) -> tuple[str, ...]:
        """Output names; a single-output indicator has the output '' (referred to by its id alone)."""
        return ("",)

    @property
    def warmup(self) -> int:
        """Candles needed before the value no longer depends on where the data starts."""
        raise NotImplementedError


class RSI(_Indicator):
    kind: Literal["rsi"] = "rsi"
    period: int = Field(14, ge=2, le=500)
    source: PriceColumn = "close"

    @property
    def warmup(self) -> int:
        return 3 * self.period


class EMA(_Indicator):
    kind: Literal["ema"] = "ema"
    period: int = Field(20, ge=2, le=1000)
    source: PriceColumn = "close"

    @property
    def warmup(self) -> int:
        return 3 * self.period


class SMA(_Indicator):
    kind: Literal["sma"] = "sma"
    period: int = Field(20, ge=2, le=1000)
    source: PriceColumn = "close"

    @property
    def warmup(self) -> int:
        return self.period


class MACD(_Indicator):
    kind: Literal["macd"] = "macd"
    fast: int = Field(12, ge=2, le=200)
    slow: int = Field(26, ge=3, le=400)
    signal: int = Field(9, ge=1, le=200)
    source: PriceColumn = "close"

    @model_validator(mode="after")
    def _fast_below_slow(self) -> MACD:
        if self.fast >= self.slow:
            raise ValueError(f"fast ({self.fast}) must be below slow ({self.slow})")
        return self

    @property
    def outputs(self) -> tuple[str, ...]:
        return ("macd", "signal", "hist")

    @property
    def warmup(self) -> int:
        return 3 * self.slow + self.signal


class BollingerBands(_Indicator):
    kind: Literal["bbands"] = "bbands"
    period: int = Field(20, ge=2, le=500)
    std: float = Field(2.0, gt=0, le=5)
    source: PriceColumn = "close"

    @property
    def outputs(self) -> tuple[str, ...]:
        return ("upper", "middle", "lower")

    @property
    def warmup(self) -> int:
        return self.period


class ATR(_Indicator):
    kind: Literal["atr"] = "atr"
    period: int = Field(14, ge=1, le=500)

    @property
    def warmup(self) -> int:
        return 3 * self.period


class ADX(_Indicator):
    kind: Literal["adx"] = "adx"
    period: int = Field(14, ge=2, le=500)

    @property
    def outputs(self) -> tuple[str, ...]:
        return ("adx", "plus_di", "minus_di")

    @property
    def warmup(self) -> int:
        return 4 * self.period


class Stochastic(_Indicator):
    kind: Literal["stoch"] = "stoch"
    fastk: int = Field(14, ge=1, le=500)
    slowk: int = Field(3, ge=1, le=100)
    slowd: int = Field(3, ge=1, le=100)

    @property
    def outputs(self) -> tuple[str, ...]:
        return ("k", "d")

    @property
    def warmup(self) -> int:
        return self.fastk + self.slowk + self.slowd


class MFI(_Indicator):
    kind: Literal["mfi"] = "mfi"
    period: int = Field(14, ge=2, le=500)

    @property
    def warmup(self) -> int:
        return self.period + 1


class CCI(_Indicator):
    kind: Literal["cci"] = "cci"
    period: int = Field(20, ge=2, le=500)

    @property
    def warmup(self) -> int:
        return self.period


class OBV(_Indicator):
    """On-balance volume. Its level depends on where the data starts; compare it with itself (a shift or
    a crossing), never with a constant."""

    kind: Literal["obv"] = "obv"

    @property
    def warmup(self) -> int:
        return 1


class Donchian(_Indicator):
    """Highest high / lowest low of the last `period` candles, the current one included; a breakout rule
    compares the close with the previous candle's channel (shift 1)."""

    kind: Literal["donchian"] = "donchian"
    period: int = Field(20, ge=2, le=1000)

    @property
    def outputs(self) -> tuple[str, ...]:
        return ("upper", "lower", "middle")

    @property
    def warmup(self) -> int:
        return self.period


class VolumeSMA(_Indicator):
    kind: Literal["volume_sma"] = "volume_sma"
    period: int = Field(20, ge=2, le=1000)

    @property
    def warmup(self) -> int:
        return self.period


Indicator = Annotated[
    RSI | EMA | SMA | MACD | BollingerBands | ATR | ADX | Stochastic | MFI | CCI | OBV | Donchian | VolumeSMA,
    Discriminator("kind"),
]

INDICATOR_KINDS: tuple[str, ...] = (
    "rsi",
    "ema",
    "sma",
    "macd",
    "bbands",
    "atr",
    "adx",
    "stoch",
    "mfi",
    "cci",
    "obv",
    "donchian",
    "volume_sma",
)

# Indicators whose absolute level depends on the first candle of the data set.
PATH_DEPENDENT_KINDS: frozenset[str] = frozenset({"obv"})

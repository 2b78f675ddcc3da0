"""Chart series of a finished backtest (see ``gentrade.engine.series``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

MarkerKind = Literal["entry", "tp", "breakeven", "trailing", "stop", "exit"]


class EquityPointOut(BaseModel):
    time: int = Field(description="Unix seconds (UTC).")
    equity: float
    drawdown_pct: float = Field(description="Below the running peak, in percent (0 or negative).")


class EquityOut(BaseModel):
    backtest_id: int
    stake_currency: str
    starting_balance: float
    points: list[EquityPointOut] = Field(
        description="The starting balance on the first candle, then the balance after each moment that "
        "trades closed."
    )


class MarkerOut(BaseModel):
    time: int = Field(description="Unix seconds of the bar that holds the fill.")
    price: float
    kind: MarkerKind
    label: str = Field(description="Order tag or exit reason as freqtrade recorded it (tp1, stop_loss …).")
    is_short: bool


class CandlesOut(BaseModel):
    backtest_id: int
    pair: str
    timeframe: str
    source_candles: int = Field(description="Candles in the backtested range.")
    candles_per_bar: int = Field(
        description="1, or how many candles each bar aggregates (OHLC) when the range exceeds max_candles."
    )
    max_candles: int
    candles: list[tuple[int, float, float, float, float]] = Field(
        description="(time, open, high, low, close)."
    )
    markers: list[MarkerOut]

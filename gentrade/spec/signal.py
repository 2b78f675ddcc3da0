"""`TradeSignal`: one trade idea with an entry, a take-profit ladder and a stop, as an analyst emits it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import AwareDatetime, Field, model_validator

from gentrade.spec.common import TIMEFRAME_SECONDS, Pair, Strict

SignalTimeframe = Literal["1h", "4h", "1d", "1w"]
MarketCondition = Literal["trending_up", "trending_down", "ranging", "volatile", "unknown"]
_FRACTION_TOLERANCE = 1e-9


class SignalTarget(Strict):
    price: float = Field(gt=0, allow_inf_nan=False)
    allocation: float = Field(gt=0, le=1, description="Share of the position closed here (0.4 = 40 %).")


class TradeSignal(Strict):
    symbol: Pair
    direction: Literal["long", "short"] = "long"
    timeframe: SignalTimeframe = "4h"
    entry: float = Field(gt=0, allow_inf_nan=False)
    take_profits: list[SignalTarget] = Field(min_length=1, max_length=5)
    stop_loss: float = Field(gt=0, allow_inf_nan=False)
    breakeven_after_tp1: bool = True
    confidence: int = Field(ge=0, le=100)
    market_condition: MarketCondition = "unknown"
    reasoning: str = Field("", max_length=8000)
    model_id: str = Field(min_length=1, max_length=200)
    generated_at: AwareDatetime | None = None
    valid_for_candles: int = Field(6, ge=1, le=1000, description="Expiry, in candles of the timeframe.")

    @model_validator(mode="after")
    def _geometry(self) -> TradeSignal:
        sign = 1.0 if self.direction == "long" else -1.0
        if sign * (self.stop_loss - self.entry) >= 0:
            side = "below" if self.direction == "long" else "above"
            raise ValueError(f"stop_loss: must be {side} the entry for a {self.direction} signal")
        previous = self.entry
        for index, target in enumerate(self.take_profits):
            if sign * (target.price - previous) <= 0:
                what = "the entry" if index == 0 else f"take_profits[{index - 1}]"
                side = "above" if self.direction == "long" else "below"
                raise ValueError(f"take_profits[{index}].price: must be {side} {what}")
            previous = target.price
        total = sum(t.allocation for t in self.take_profits)
        if abs(total - 1.0) > _FRACTION_TOLERANCE:
            raise ValueError(f"take_profits: allocations sum to {total * 100:g}%, they must sum to 100%")
        return self

    @property
    def risk_reward(self) -> float:
        """Allocation-weighted reward over risk, in units of the stop distance."""
        risk = abs(self.entry - self.stop_loss)
        reward = sum(t.allocation * abs(t.price - self.entry) for t in self.take_profits)
        return reward / risk

    def expires_at(self) -> datetime | None:
        if self.generated_at is None:
            return None
        return self.generated_at + timedelta(
            seconds=TIMEFRAME_SECONDS[self.timeframe] * self.valid_for_candles
        )

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AliasChoices, AwareDatetime, BaseModel, Field

from gentrade.api.schemas.common import Out
from gentrade.signals.outcome import OutcomeStatus
from gentrade.spec import TradeSignal
from gentrade.spec.common import Pair
from gentrade.spec.signal import SignalTimeframe

SignalStatus = OutcomeStatus
"""A signal is ``active`` until evaluated; then it carries its outcome's status."""


class SignalIn(BaseModel):
    pair: Pair
    timeframe: SignalTimeframe = "1h"
    as_of: AwareDatetime | None = Field(
        None, description="Analyse only the candles closed by this moment (replays, backfills); default: all."
    )


class SignalImport(BaseModel):
    """A signal from elsewhere (another analyst, a person), stored and evaluated like a generated one."""

    signal: TradeSignal


class Target(BaseModel):
    price: float
    allocation: float


class SignalRow(Out):
    id: int
    owner_id: int
    symbol: str
    direction: Literal["long", "short"]
    timeframe: str
    entry: float
    take_profits: list[Target]
    stop_loss: float = Field(validation_alias=AliasChoices("stop_loss", "stop"))
    breakeven_after_tp1: bool
    confidence: float | None
    market_condition: str | None
    model_id: str | None
    status: SignalStatus
    generated_at: datetime
    expires_at: datetime | None


class OutcomeOut(Out):
    net_pnl_pct: float | None
    net_pnl_abs: float | None
    evaluated_at: datetime
    outcome: dict[str, Any] = Field(description="Every fill, the P/L and the data quality (SignalOutcome).")


class SignalOut(SignalRow):
    reasoning: str | None
    snapshots: dict[str, Any] | None = Field(
        description="indicators (RSI, MACD, EMA 20/50/200, Bollinger, ATR, 24h volume) and market "
        "(price, 24h change, sentiment fields — empty offline) at generation."
    )
    outcome: OutcomeOut | None


class SignalPage(BaseModel):
    items: list[SignalRow]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")

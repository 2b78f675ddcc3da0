"""The result of checking one trade signal against candles: what was hit, when, and what it earned.

Numbers are kept as full floats so statistics add up exactly; the ``*_rounded`` fields exist for people
(cents-rounded money) and are derived, never stored separately.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

OutcomeStatus = Literal[
    "completed_success",
    "completed_failure",
    "expired",
    "active",
    "incomplete_data",
    "pending",
    "not_triggered",
]
"""``pending``: the entry has not been reached yet and the window is still open; ``not_triggered``: the
window closed without the price ever reaching the entry (no trade, no P/L)."""
FillKind = Literal["target", "stop", "breakeven_stop", "mark"]
Resolution = Literal["candle", "detail", "pessimistic"]
DECIDED_STATUSES: frozenset[str] = frozenset({"completed_success", "completed_failure", "expired"})


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EvaluationSettings(_Frozen):
    """Money and trust knobs of an evaluation: by default $1000, 0.1 % fee and 0.1 % slippage per side."""

    size: float = Field(1000.0, gt=0, allow_inf_nan=False, description="Position notional in quote currency.")
    fee: float = Field(0.001, ge=0, lt=1, description="Fee rate per side, on the notional of each fill.")
    slippage: float = Field(0.001, ge=0, lt=1, description="Adverse price move per fill, as a rate.")
    min_coverage: float = Field(0.9, ge=0, le=1, description="Below this candle coverage: incomplete_data.")

    @model_validator(mode="after")
    def _costs_below_one(self) -> EvaluationSettings:
        if self.fee + self.slippage >= 1:
            raise ValueError("fee, slippage: together they must stay below 1 (100 % per side)")
        return self


DEFAULT_SETTINGS = EvaluationSettings()


class Gap(_Frozen):
    """A run of missing candles: ``start`` is the first missing candle's open time, ``end`` the last one's."""

    start: datetime
    end: datetime
    missing_candles: int = Field(ge=1)


class DataQuality(_Frozen):
    """How far the candles of a window can be trusted.

    ``score = coverage × (1 − largest_gap_candles / expected_candles)``: one long hole hides more of the price
    path than the same number of scattered single missing candles, so it costs more.
    """

    timeframe: str
    expected_candles: int = Field(ge=0)
    present_candles: int = Field(ge=0)
    coverage: float = Field(ge=0, le=1)
    gaps: list[Gap] = Field(default_factory=list)
    largest_gap_candles: int = Field(0, ge=0)
    score: float = Field(ge=0, le=1)


class Fill(_Frozen):
    """One part of the position leaving it. ``kind="mark"`` is the open remainder valued at the last close."""

    kind: FillKind
    target: int | None = Field(None, ge=1, description="1-based take-profit number for kind='target'.")
    time: datetime = Field(description="Open time of the candle in which the level was touched.")
    price: float = Field(description="The level (the open after a gap; a mark: the close), before slippage.")
    fill_price: float = Field(description="The price after slippage.")
    fraction: float = Field(gt=0, le=1, description="Share of the original position.")
    resolved_by: Resolution = "candle"
    gapped: bool = Field(False, description="A stop its candle opened past: filled at the open.")


class SignalOutcome(_Frozen):
    """Everything one evaluation found; see ``gentrade.signals.evaluate`` for the exact rules."""

    symbol: str
    direction: Literal["long", "short"]
    signal_timeframe: str
    candle_timeframe: str
    detail_timeframe: str | None = None
    generated_at: datetime
    expires_at: datetime
    evaluated_until: datetime | None = Field(description="Close time of the last candle looked at.")
    status: OutcomeStatus
    entry: float
    entered_at: datetime | None = Field(
        None, description="Open time of the candle that reached the entry; None while it has not."
    )
    entry_fill_price: float | None = Field(description="The entry after slippage; None without an entry.")
    breakeven_price: float = Field(description="Where the stop moves after TP1: entry plus round-trip costs.")
    size: float
    fee_rate: float
    slippage_rate: float
    fills: list[Fill]
    targets_hit_at: list[datetime | None] = Field(description="Per take-profit, when it filled (or None).")
    stop_hit_at: datetime | None = None
    stop_was_breakeven: bool = False
    closed_fraction: float = Field(ge=0, le=1)
    open_fraction: float = Field(ge=0, le=1, description="Remainder valued at the mark (the last close).")
    closed_at: datetime | None = Field(None, description="When the last part of the position was closed.")
    duration: timedelta
    gross_pnl: float = Field(description="P/L at the level prices, before fees and slippage.")
    gross_pnl_pct: float
    fees: float
    net_pnl: float = Field(description="P/L after slippage on every fill and fees on both sides.")
    net_pnl_pct: float
    data_quality: DataQuality
    notes: list[str] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def gross_pnl_rounded(self) -> float:
        return round(self.gross_pnl, 2)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def net_pnl_rounded(self) -> float:
        return round(self.net_pnl, 2)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def fees_rounded(self) -> float:
        return round(self.fees, 2)

    @property
    def targets_hit(self) -> int:
        return sum(hit is not None for hit in self.targets_hit_at)

    @property
    def decided(self) -> bool:
        """True when the outcome counts in performance statistics (not active, data trusted)."""
        return self.status in DECIDED_STATUSES

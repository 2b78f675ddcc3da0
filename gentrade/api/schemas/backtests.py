from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from gentrade.api.redact import redact_paths
from gentrade.api.schemas.common import MAX_ID, Out
from gentrade.data.store import TimeRange
from gentrade.engine.result import BacktestResult
from gentrade.errors import ConfigError
from gentrade.services.compare import MetricComparison, SpecDifference
from gentrade.spec.common import Pair, Timeframe

Status = Literal["queued", "running", "succeeded", "failed", "cancelled"]
TIMERANGE = r"^(\d{8})?-(\d{8})?$"


class BacktestIn(BaseModel):
    strategy_id: int = Field(ge=1, le=MAX_ID)
    version: int | None = Field(None, ge=1, le=MAX_ID, description="Default: the current version.")
    timerange: str = Field(pattern=TIMERANGE, description="freqtrade timerange, e.g. 20180115-20180120.")
    pairs: list[Pair] | None = Field(
        None, min_length=1, max_length=100, description="Default: the spec's pairs."
    )
    timeframe: Timeframe | None = Field(None, description="Default: the strategy's own timeframe.")
    fee: float = Field(0.001, ge=0, le=0.05, description="Exchange fee per side.")
    slippage: float = Field(0.0005, ge=0, le=0.05, description="Assumed slippage per side.")

    @field_validator("timerange")
    @classmethod
    def _real_range(cls, value: str) -> str:
        """Reversed, empty (``-``) and impossible (``00000000-``, ``99999999-``) ranges are refused here,
        not by the worker after a 202."""
        try:
            TimeRange.parse(value)
        except ConfigError as exc:
            raise ValueError(exc.message) from None
        return value


class BacktestQueued(BaseModel):
    id: int
    status: Status


class BacktestRow(Out):
    id: int
    owner_id: int
    strategy_id: int
    version_number: int
    parameters: dict[str, object]
    status: Status
    total_profit_pct: float | None
    total_profit_abs: float | None
    trades: int | None
    win_rate: float | None
    max_drawdown_pct: float | None
    sharpe: float | None
    sortino: float | None
    calmar: float | None
    profit_factor: float | None
    error_code: str | None
    error_message: str | None

    @field_validator("error_message")
    @classmethod
    def _no_server_paths(cls, value: str | None) -> str | None:
        """Stored messages come from the worker and freqtrade, some naming files by absolute path."""
        return redact_paths(value) if value is not None else None

    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class BacktestOut(BacktestRow):
    result: BacktestResult | None = Field(
        description="freqtrade's result, read from its zip; when succeeded."
    )


class BacktestPage(BaseModel):
    items: list[BacktestRow]
    total: int
    limit: int
    offset: int


class BacktestComparison(BaseModel):
    items: list[BacktestRow] = Field(description="In the order the ids were given.")
    metrics: list[MetricComparison] = Field(
        default_factory=list, description="Each headline metric side by side, with which backtest is better."
    )
    spec_diff: list[SpecDifference] = Field(
        default_factory=list, description="Spec paths whose value differs between the backtests' versions."
    )

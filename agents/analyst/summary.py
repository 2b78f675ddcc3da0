"""The few numbers of a `BacktestResult` that critiques, chat replies and progress events talk about.

Graph state is checkpointed as JSON, so a run carries this small, stable summary rather than the full result
(whose trade list can be large); the result zip stays on disk for anyone who needs every trade.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from gentrade.engine import BacktestResult


class BacktestSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    strategy: str
    timerange: str | None
    start: datetime
    end: datetime
    pairs: list[str]
    timeframe: str
    trades: int
    wins: int
    losses: int
    win_rate: float
    profit_total_pct: float
    max_drawdown_pct: float
    sharpe: float | None
    profit_factor: float | None
    exit_reasons: dict[str, int]

    @classmethod
    def of(cls, result: BacktestResult) -> BacktestSummary:
        return cls(
            strategy=result.strategy,
            timerange=result.timerange,
            start=result.backtest_start,
            end=result.backtest_end,
            pairs=result.pairs,
            timeframe=result.timeframe,
            trades=result.trades,
            wins=result.wins,
            losses=result.losses,
            win_rate=result.win_rate,
            profit_total_pct=result.profit_total_pct,
            max_drawdown_pct=result.max_drawdown_pct,
            sharpe=result.sharpe,
            profit_factor=result.profit_factor,
            exit_reasons=result.exit_reasons,
        )

    def line(self) -> str:
        """One sentence a person can check against the result file."""
        factor = "n/a" if self.profit_factor is None or self.losses == 0 else f"{self.profit_factor:.2f}"
        return (
            f"{self.strategy} {self.timeframe} {self.start:%Y-%m-%d %H:%M} → {self.end:%Y-%m-%d %H:%M}: "
            f"{self.trades} trades, win rate {self.win_rate * 100:.0f}%, "
            f"profit {self.profit_total_pct:+.2f}%, "
            f"max drawdown {self.max_drawdown_pct:.2f}%, profit factor {factor}"
        )

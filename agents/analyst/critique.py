"""The critic: fixed rules over a backtest summary decide whether a strategy passes a range.

The verdict is deliberately not an LLM's to give: a model may propose a revision, but whether the numbers
are good enough is decided by rules a person can read here, so no wording (or injected "market news") can
talk a strategy into passing.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agents.analyst.summary import BacktestSummary

FindingCode = Literal[
    "too_few_trades", "losing", "profit_factor_below_one", "deep_drawdown", "stopped_out_often"
]


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: FindingCode
    message: str


class CritiqueRules(BaseModel):
    """Thresholds of the critic; the held-back range is shorter, so it asks for fewer trades."""

    model_config = ConfigDict(frozen=True)

    min_trades: int = Field(default=3, ge=1)
    held_back_min_trades: int = Field(default=1, ge=1)
    max_drawdown_pct: float = Field(default=20.0, gt=0)
    max_stop_share: float = Field(
        default=0.6, gt=0, le=1, description="Share of trades that may end at the stop."
    )


def critique(summary: BacktestSummary, rules: CritiqueRules, *, held_back: bool = False) -> list[Finding]:
    """Every rule the summary breaks; an empty list means the range passed."""
    findings: list[Finding] = []
    min_trades = rules.held_back_min_trades if held_back else rules.min_trades
    if summary.trades < min_trades:
        findings.append(
            Finding(code="too_few_trades", message=f"{summary.trades} trades, fewer than {min_trades}")
        )
    if summary.profit_total_pct < 0:
        findings.append(Finding(code="losing", message=f"total profit {summary.profit_total_pct:+.2f}%"))
    # freqtrade reports a profit factor of 0 when nothing lost, so it only means something after a loss.
    if summary.losses and summary.profit_factor is not None and summary.profit_factor < 1:
        findings.append(
            Finding(code="profit_factor_below_one", message=f"profit factor {summary.profit_factor:.2f}")
        )
    if summary.max_drawdown_pct > rules.max_drawdown_pct:
        findings.append(
            Finding(
                code="deep_drawdown",
                message=f"max drawdown {summary.max_drawdown_pct:.1f}% > {rules.max_drawdown_pct:g}%",
            )
        )
    stops = summary.exit_reasons.get("stop_loss", 0) + summary.exit_reasons.get("trailing_stop_loss", 0)
    if summary.trades >= min_trades and stops / summary.trades > rules.max_stop_share:
        findings.append(
            Finding(
                code="stopped_out_often",
                message=f"{stops} of {summary.trades} trades ended at the stop",
            )
        )
    return findings

"""The stored shape of a finished backtest: its result JSON and headline metric columns.

Shared by the backtest task (``gentrade.tasks.execution``) and the quickstart import, so a backtest that
ran elsewhere is stored exactly as one the API ran, and every page and chart reads both the same way.
"""

from __future__ import annotations

import math
from typing import Any

from gentrade.engine.result import BacktestResult


def finite(value: Any) -> Any:
    """JSON (and PostgreSQL's JSONB) has no NaN or infinity; freqtrade's ratios can be either."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return value


def headline_metrics(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "total_profit_pct": result["profit_total_pct"],
        "total_profit_abs": result["profit_total_abs"],
        "trades": result["trades"],
        "win_rate": result["win_rate"],
        "max_drawdown_pct": result["max_drawdown_pct"],
        "sharpe": result["sharpe"],
        "sortino": result["sortino"],
        "calmar": result["calmar"],
        "profit_factor": result["profit_factor"],
    }


def stored_result(outcome: BacktestResult) -> tuple[dict[str, Any], dict[str, Any]]:
    """(headline metrics, result JSON) as the backtests table stores them."""
    result = finite(outcome.model_dump(mode="json"))
    return headline_metrics(result), result

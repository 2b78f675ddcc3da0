"""Compare backtests: headline metrics side by side, which is better on each, and how their specs differ.

"Better" has a direction per metric (less drawdown is better, more of everything else); a metric a backtest
lacks (still queued, or freqtrade could not compute it) is left out of that metric's verdict, and equal best
values all win. The spec difference is over the strategy versions the backtests ran: every leaf path of the
specs (``stop.initial.atr``, ``indicators[0].period``) whose value is not the same in all of them, with each
backtest's value (None where its spec has no such path), so two versions of one strategy read as a diff and
two different strategies as everything that sets them apart.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from gentrade.db.models import Backtest, User
from gentrade.db.repositories import backtests as repo
from gentrade.db.repositories import strategies as strategies_repo

METRICS: dict[str, Literal["higher", "lower"]] = {
    "total_profit_pct": "higher",
    "total_profit_abs": "higher",
    "win_rate": "higher",
    "max_drawdown_pct": "lower",
    "sharpe": "higher",
    "sortino": "higher",
    "calmar": "higher",
    "profit_factor": "higher",
}
"""Metrics with a better direction; trade counts are shown by callers but have none."""


class MetricComparison(BaseModel):
    metric: str
    better: Literal["higher", "lower"]
    values: dict[int, float | None] = Field(description="Backtest id -> value.")
    best: list[int] = Field(
        description="Backtest ids with the best value (ties all win; empty if none has one)."
    )


class SpecDifference(BaseModel):
    path: str
    values: dict[int, Any] = Field(
        description="Backtest id -> the value at this path (None: not in that spec)."
    )


class Comparison(BaseModel):
    ids: list[int]
    metrics: list[MetricComparison]
    spec_diff: list[SpecDifference]


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Leaf paths of a JSON value: ``{"stop": {"initial": {"atr": 2}}}`` -> ``{"stop.initial.atr": 2}``."""
    if isinstance(value, dict):
        if not value:
            return {prefix: {}} if prefix else {}
        out: dict[str, Any] = {}
        for key, child in value.items():
            out.update(flatten(child, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list):
        if not value:
            return {prefix: []}
        out = {}
        for index, child in enumerate(value):
            out.update(flatten(child, f"{prefix}[{index}]"))
        return out
    return {prefix: value}


def compare_metrics(backtests: list[Backtest]) -> list[MetricComparison]:
    result = []
    for metric, better in METRICS.items():
        values = {b.id: getattr(b, metric) for b in backtests}
        known = {i: v for i, v in values.items() if v is not None}
        best: list[int] = []
        if known:
            target = max(known.values()) if better == "higher" else min(known.values())
            best = [i for i, v in known.items() if v == target]
        result.append(MetricComparison(metric=metric, better=better, values=values, best=best))
    return result


def spec_diff(specs: dict[int, dict[str, Any]]) -> list[SpecDifference]:
    flat = {backtest_id: flatten(spec) for backtest_id, spec in specs.items()}
    paths = list(dict.fromkeys(path for leaves in flat.values() for path in leaves))
    differences = []
    for path in paths:
        values = {backtest_id: leaves.get(path) for backtest_id, leaves in flat.items()}
        if len({repr(value) for value in values.values()}) > 1:
            differences.append(SpecDifference(path=path, values=values))
    return differences


def compare(session: Session, user: User, ids: list[int]) -> tuple[list[Backtest], Comparison]:
    """The backtests (in the order asked; a foreign or missing id is a 404) and their comparison."""
    backtests = repo.many(session, ids, user)
    specs = {}
    for backtest in backtests:
        version = strategies_repo.version_by_id(session, backtest.strategy_version_id)
        specs[backtest.id] = version.spec if version is not None else {}
    comparison = Comparison(ids=ids, metrics=compare_metrics(backtests), spec_diff=spec_diff(specs))
    return backtests, comparison

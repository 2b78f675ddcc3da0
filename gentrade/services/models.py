"""A producer's track record: what each model (or person) made, and how it did.

A producer is a strategy version's ``created_by_model_id`` (an LLM's ``provider/model``, the offline drafter's
``gentrade-offline-…``, the optimiser's ``gentrade-optimizer/<loss>``), or ``person`` for versions people
wrote; for signals it is the signal's ``model_id``. Per producer: how many strategies and versions it made,
the succeeded backtests of those versions (mean profit and Sharpe), the held-back results of the versions
that came out of a walk-forward optimisation (the only backtests judged on data their maker never saw), and
its signals: how many, how many are decided, win rate, per-level hit rates and calibration (from
``gentrade.signals.stats``, the same numbers as ``GET /signals/stats``). An LLM producer also shows the
user's calls to it (``gentrade.services.llm_calls``: tokens in/out, latency, fallbacks), credited to its
``provider/model``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from statistics import fmean

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from gentrade.db.models import User
from gentrade.db.repositories import backtests as backtests_repo
from gentrade.db.repositories import signals as signals_repo
from gentrade.db.repositories import strategies as strategies_repo
from gentrade.services import signals
from gentrade.services.llm_calls import LLMUsage, usage_by_model
from gentrade.signals.stats import CalibrationBucket, Evaluated, signal_stats

PERSON = "person"
UNKNOWN = "unknown"


class ProducerRecord(BaseModel):
    producer: str
    strategies: int = 0
    versions: int = 0
    backtests: int = Field(0, description="Succeeded backtests of this producer's versions.")
    mean_profit_pct: float | None = None
    mean_sharpe: float | None = None
    optimized_versions: int = 0
    mean_held_back_pct_per_day: float | None = Field(
        None, description="Mean held-back profit per day over the folds of its optimised versions."
    )
    signals: int = 0
    signals_decided: int = 0
    signal_win_rate: float | None = None
    level_hit_rates: dict[str, float] = Field(default_factory=dict)
    calibration: list[CalibrationBucket] = Field(default_factory=list)
    llm: LLMUsage | None = Field(None, description="The user's calls to this model, when it is an LLM.")


def _mean(values: list[float]) -> float | None:
    return fmean(values) if values else None


def model_performance(session: Session, user: User) -> list[ProducerRecord]:
    """One record per producer of the user's strategy versions and signals, sorted by producer."""
    records: dict[str, ProducerRecord] = {}

    def of(producer: str) -> ProducerRecord:
        return records.setdefault(producer, ProducerRecord(producer=producer))

    producer_of: dict[int, str] = {}
    strategies: dict[str, set[int]] = defaultdict(set)
    held_back: dict[str, list[float]] = defaultdict(list)
    for version_id, strategy_id, kind, model_id, optimization in strategies_repo.producer_rows(session, user):
        producer = model_id or (PERSON if kind == "person" else kind)
        producer_of[version_id] = producer
        record = of(producer)
        record.versions += 1
        strategies[producer].add(strategy_id)
        if optimization:
            record.optimized_versions += 1
            held_back[producer].extend(
                fold["held_back"]["profit_pct_per_day"] for fold in optimization["folds"]
            )
    profits: dict[str, list[float]] = defaultdict(list)
    sharpes: dict[str, list[float]] = defaultdict(list)
    for version_id, profit, sharpe in backtests_repo.succeeded_metrics(session, user):
        if version_id not in producer_of:
            continue
        producer = producer_of[version_id]
        of(producer).backtests += 1
        if profit is not None:
            profits[producer].append(profit)
        if sharpe is not None:
            sharpes[producer].append(sharpe)
    for producer, record in records.items():
        record.strategies = len(strategies[producer])
        record.mean_profit_pct = _mean(profits[producer])
        record.mean_sharpe = _mean(sharpes[producer])
        record.mean_held_back_pct_per_day = _mean(held_back[producer])
    _signals(session, user, of)
    for producer, usage in usage_by_model(session, user).items():
        of(producer).llm = usage
    return [records[name] for name in sorted(records)]


def _signals(session: Session, user: User, record_of: Callable[[str], ProducerRecord]) -> None:
    for model, count in signals_repo.counts_by_model(session, user):
        record_of(model or UNKNOWN).signals = count
    by_model: dict[str, list[Evaluated]] = defaultdict(list)
    for signal, outcome in signals.evaluated(session, user, own_only=True):
        by_model[signal.model_id or UNKNOWN].append((signal, outcome))
    for model, rows in by_model.items():
        stats = signal_stats(rows)
        record = record_of(model)
        record.signals_decided = stats.decided
        record.signal_win_rate = stats.win_rate
        record.level_hit_rates = stats.level_hit_rates
        record.calibration = stats.calibration

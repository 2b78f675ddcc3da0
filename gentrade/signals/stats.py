"""How good a set of signals was: win rate, money, per-level hit rates, breakdowns and calibration.

Only *decided* outcomes (``completed_success``, ``completed_failure``, ``expired``) enter the performance
numbers: an ``active`` signal has no result yet and an ``incomplete_data`` one has a result nobody should
trust. A win is ``completed_success``; an ``expired`` signal counts as a non-win with its marked P/L. A
``pending`` or ``not_triggered`` signal never traded (its entry was not reached): counted in ``by_status``,
never scored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from gentrade.signals.outcome import SignalOutcome
from gentrade.spec.signal import TradeSignal

Evaluated = tuple[TradeSignal, SignalOutcome]
CONFIDENCE_BUCKETS: tuple[tuple[int, int], ...] = ((0, 20), (20, 40), (40, 60), (60, 80), (80, 100))


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GroupStats(_Frozen):
    count: int
    wins: int
    win_rate: float
    total_net_pnl: float
    average_net_pnl: float


class CalibrationBucket(_Frozen):
    """Confidence ``[low, high)`` (the last bucket includes 100) against how often such signals won."""

    low: int
    high: int
    count: int
    mean_confidence: float | None
    realized_win_rate: float | None


class SignalRef(_Frozen):
    index: int = Field(description="Position in the list given to `signal_stats`.")
    symbol: str
    generated_at: datetime
    net_pnl: float


class SignalStats(_Frozen):
    total: int = Field(description="Every signal given, decided or not.")
    decided: int
    by_status: dict[str, int]
    wins: int
    win_rate: float | None
    total_net_pnl: float
    average_net_pnl: float | None
    profit_factor: float | None = Field(description="Gross wins / gross losses; None without losses.")
    best: SignalRef | None
    worst: SignalRef | None
    average_duration: timedelta | None
    level_hit_rates: dict[str, float] = Field(
        description="'tp1'.. and 'stop': share of decided signals (that have the level) which hit it."
    )
    by_symbol: dict[str, GroupStats]
    by_timeframe: dict[str, GroupStats]
    by_market_condition: dict[str, GroupStats]
    by_model: dict[str, GroupStats]
    calibration: list[CalibrationBucket]


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _group(rows: Sequence[Evaluated], key: Callable[[TradeSignal], str]) -> dict[str, GroupStats]:
    members: dict[str, list[SignalOutcome]] = defaultdict(list)
    for signal, outcome in rows:
        members[key(signal)].append(outcome)
    groups: dict[str, GroupStats] = {}
    for name in sorted(members):
        outcomes = members[name]
        wins = sum(o.status == "completed_success" for o in outcomes)
        total = sum(o.net_pnl for o in outcomes)
        groups[name] = GroupStats(
            count=len(outcomes),
            wins=wins,
            win_rate=wins / len(outcomes),
            total_net_pnl=total,
            average_net_pnl=total / len(outcomes),
        )
    return groups


def _calibration(rows: Sequence[Evaluated]) -> list[CalibrationBucket]:
    buckets = []
    for low, high in CONFIDENCE_BUCKETS:
        top = high + 1 if high == 100 else high
        inside = [(s, o) for s, o in rows if low <= s.confidence < top]
        wins = sum(o.status == "completed_success" for _, o in inside)
        mean = sum(s.confidence for s, _ in inside) / len(inside) if inside else None
        buckets.append(
            CalibrationBucket(
                low=low,
                high=high,
                count=len(inside),
                mean_confidence=mean,
                realized_win_rate=_rate(wins, len(inside)),
            )
        )
    return buckets


def _level_hit_rates(decided: Sequence[Evaluated]) -> dict[str, float]:
    levels = max((len(s.take_profits) for s, _ in decided), default=0)
    rates: dict[str, float] = {}
    for k in range(levels):
        having = [o for s, o in decided if len(s.take_profits) > k]
        rates[f"tp{k + 1}"] = sum(o.targets_hit_at[k] is not None for o in having) / len(having)
    if decided:
        rates["stop"] = sum(o.stop_hit_at is not None for _, o in decided) / len(decided)
    return rates


def signal_stats(rows: Sequence[Evaluated]) -> SignalStats:
    """Statistics over evaluated signals; performance numbers use decided outcomes only (module doc)."""
    decided = [(s, o) for s, o in rows if o.decided]
    by_status: dict[str, int] = defaultdict(int)
    for _, outcome in rows:
        by_status[outcome.status] += 1
    nets = [o.net_pnl for _, o in decided]
    wins = sum(o.status == "completed_success" for _, o in decided)
    gains, losses = sum(n for n in nets if n > 0), -sum(n for n in nets if n < 0)
    refs = [
        SignalRef(index=i, symbol=s.symbol, generated_at=o.generated_at, net_pnl=o.net_pnl)
        for i, (s, o) in enumerate(rows)
        if o.decided
    ]
    durations = [o.duration for _, o in decided]
    return SignalStats(
        total=len(rows),
        decided=len(decided),
        by_status=dict(sorted(by_status.items())),
        wins=wins,
        win_rate=_rate(wins, len(decided)),
        total_net_pnl=sum(nets),
        average_net_pnl=sum(nets) / len(nets) if nets else None,
        profit_factor=gains / losses if losses else None,
        best=max(refs, key=lambda r: r.net_pnl, default=None),
        worst=min(refs, key=lambda r: r.net_pnl, default=None),
        average_duration=sum(durations, timedelta()) / len(durations) if durations else None,
        level_hit_rates=_level_hit_rates(decided),
        by_symbol=_group(decided, lambda s: s.symbol),
        by_timeframe=_group(decided, lambda s: s.timeframe),
        by_market_condition=_group(decided, lambda s: s.market_condition),
        by_model=_group(decided, lambda s: s.model_id),
        calibration=_calibration(decided),
    )

"""What ``evaluate_batch`` returns: `BatchOutcomes`, the outcomes of many signals as arrays (one row per
signal), with the codes its int8 columns use; a `SignalOutcome` is built only when asked for."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from gentrade.signals.arrays import SignalArrays
from gentrade.signals.candles import Candles, assess, from_ns
from gentrade.signals.outcome import (
    EvaluationSettings,
    Fill,
    FillKind,
    OutcomeStatus,
    Resolution,
    SignalOutcome,
)

STATUSES: tuple[OutcomeStatus, ...] = (
    "incomplete_data",
    "active",
    "expired",
    "completed_success",
    "completed_failure",
    "pending",
    "not_triggered",
)
EXIT_KINDS: tuple[FillKind | None, ...] = (None, "stop", "breakeven_stop", "mark", None)
"""``exit_kind`` codes: 0 closed by its last target (no closing fill), 1 stop, 2 break-even stop, 3 mark,
4 never entered (no fill at all)."""
RESOLUTIONS: tuple[Resolution, ...] = ("candle", "detail", "pessimistic")

I64 = NDArray[np.int64]
I8 = NDArray[np.int8]
F64 = NDArray[np.float64]
B = NDArray[np.bool_]
RawFill = tuple[FillKind, int | None, int, float, float, Resolution, bool]


@dataclass(eq=False)
class BatchOutcomes:
    """The outcomes of ``evaluate_batch`` as arrays (one row per signal); ``outcome(i)`` builds one model.

    Times are int64 ns since the epoch. Targets: ``targets_hit`` (k), ``target_time[:, :k]``,
    ``target_resolved[:, :k]`` (codes of `RESOLUTIONS`); prices and fractions are the signal's. The closing
    fill: ``exit_kind`` (codes of `EXIT_KINDS`), ``exit_time``, ``exit_price`` (before slippage),
    ``exit_fraction``, ``exit_resolved``. ``status`` holds codes of `STATUSES` (``status_names()``);
    ``first_gap`` is the start of the window's first missing candle (``-1``: none); ``closed_at`` is ``-1``
    while the position is open. ``pessimistic``: a candle touched a target and the stop and the stop was
    assumed first; ``detail_resolved``: such a candle was decided with detail candles. ``entered``: the
    price reached the entry, at ``entered_at`` (``-1``: never); ``exit_gapped``: the stop filled at the open
    of a candle that opened past it; ``breakeven_price``: where the stop moves after TP1.
    """

    signals: SignalArrays
    candles: Candles
    detail: Candles | None
    settings: EvaluationSettings
    horizon: I64
    targets_hit: I64
    target_time: I64
    target_resolved: I8
    exit_kind: I8
    exit_time: I64
    exit_price: F64
    exit_fraction: F64
    exit_resolved: I8
    closed: B
    closed_at: I64
    pessimistic: B
    detail_resolved: B
    entered: B
    entered_at: I64
    exit_gapped: B
    breakeven_price: F64
    entry_fill: F64
    gross_pnl: F64
    fees: F64
    net_pnl: F64
    closed_fraction: F64
    open_fraction: F64
    expected_candles: I64
    present_candles: I64
    coverage: F64
    largest_gap_candles: I64
    score: F64
    first_gap: I64
    status: I8
    duration_ns: I64
    notes: dict[int, list[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.horizon)

    @property
    def gross_pnl_pct(self) -> F64:
        return self.gross_pnl / self.settings.size * 100

    @property
    def net_pnl_pct(self) -> F64:
        return self.net_pnl / self.settings.size * 100

    def status_names(self) -> list[OutcomeStatus]:
        return [STATUSES[code] for code in self.status.tolist()]

    def raw_fills(self, i: int) -> list[RawFill]:
        """Signal ``i``'s fills as ``(kind, target, time_ns, price, fraction, resolved_by, gapped)``, in
        order."""
        fills: list[RawFill] = [
            (
                "target",
                k + 1,
                int(self.target_time[i, k]),
                float(self.signals.prices[i, k]),
                float(self.signals.fractions[i, k]),
                RESOLUTIONS[self.target_resolved[i, k]],
                False,
            )
            for k in range(int(self.targets_hit[i]))
        ]
        kind = EXIT_KINDS[self.exit_kind[i]]
        if kind is not None:
            fills.append(
                (
                    kind,
                    None,
                    int(self.exit_time[i]),
                    float(self.exit_price[i]),
                    float(self.exit_fraction[i]),
                    RESOLUTIONS[self.exit_resolved[i]],
                    bool(self.exit_gapped[i]),
                )
            )
        return fills

    def outcome(self, i: int) -> SignalOutcome:
        """The `SignalOutcome` of signal ``i``: equal to ``evaluate(signal, candles, ...)``."""
        generated_at = self.signals.generated_at[i]
        settings = self.settings
        long = bool(self.signals.long[i])
        s = 1.0 if long else -1.0
        fills = [
            Fill(
                kind=kind,
                target=target,
                time=from_ns(ns),
                price=price,
                fill_price=price * (1 - s * settings.slippage),
                fraction=fraction,
                resolved_by=resolved,
                gapped=gapped,
            )
            for kind, target, ns, price, fraction, resolved, gapped in self.raw_fills(i)
        ]
        hit_at: list[datetime | None] = [None] * int(self.signals.n_targets[i])
        for k, fill in enumerate(fills[: int(self.targets_hit[i])]):
            hit_at[k] = fill.time
        horizon = int(self.horizon[i])
        closed_at = from_ns(int(self.closed_at[i])) if self.closed[i] else None
        return SignalOutcome(
            symbol=self.candles.pair,
            direction="long" if long else "short",
            signal_timeframe=self.signals.timeframes[i],
            candle_timeframe=self.candles.timeframe,
            detail_timeframe=self.detail.timeframe if self.detail is not None else None,
            generated_at=generated_at,
            expires_at=from_ns(int(self.signals.expires[i])),
            evaluated_until=from_ns(horizon),
            status=STATUSES[self.status[i]],
            entry=float(self.signals.entry[i]),
            entered_at=from_ns(int(self.entered_at[i])) if self.entered[i] else None,
            entry_fill_price=float(self.entry_fill[i]) if self.entered[i] else None,
            breakeven_price=float(self.breakeven_price[i]),
            size=settings.size,
            fee_rate=settings.fee,
            slippage_rate=settings.slippage,
            fills=fills,
            targets_hit_at=hit_at,
            stop_hit_at=fills[-1].time if self.exit_kind[i] in (1, 2) else None,
            stop_was_breakeven=bool(self.exit_kind[i] == 2),
            closed_fraction=float(self.closed_fraction[i]),
            open_fraction=float(self.open_fraction[i]),
            closed_at=closed_at,
            duration=(closed_at or from_ns(horizon)) - generated_at,
            gross_pnl=float(self.gross_pnl[i]),
            gross_pnl_pct=float(self.gross_pnl_pct[i]),
            fees=float(self.fees[i]),
            net_pnl=float(self.net_pnl[i]),
            net_pnl_pct=float(self.net_pnl_pct[i]),
            data_quality=assess(self.candles, int(self.signals.start[i]), horizon),
            notes=self._notes(i),
        )

    def to_outcomes(self) -> list[SignalOutcome]:
        return [self.outcome(i) for i in range(len(self))]

    def _notes(self, i: int) -> list[str]:
        if i in self.notes:
            return list(self.notes[i])
        if not self.pessimistic[i]:
            return []
        when = from_ns(int(self.exit_time[i])).isoformat()
        return [
            f"candle {when} ({self.candles.timeframe}) touched TP{int(self.targets_hit[i]) + 1} and the "
            "stop; assumed the stop first (pessimistic)"
        ]

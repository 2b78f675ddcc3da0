"""Judge a `TradeSignal` against the candles that followed it, with numpy first-touch searches.

The rules, exactly (``s`` = +1 for a long, −1 for a short; "touch" = the candle's high ≥ level for a long
target or a short stop, the candle's low ≤ level for a long stop or a short target):

Window
    Candles whose open time lies in ``[generated_at, expires_at)``, where ``expires_at`` is
    ``generated_at + valid_for_candles × signal.timeframe``. The *signal* timeframe only sets that validity;
    the *candle* timeframe is whatever the candles passed in are (e.g. 5m candles for a 1h signal). A candle
    that opened before ``generated_at`` is never used: its high and low may predate the signal.
Entry
    Assumed filled at ``entry`` at ``generated_at`` (no wait for the price to come to the entry). The buy
    (a long) or sell (a short) pays slippage: ``entry_fill = entry × (1 + s × slippage)``, and the position is
    ``quantity = size / entry_fill``.
First touches
    Each take-profit fills its allocation at its price in the first candle that touches it; targets fill in
    order, and several may fill in one candle. The stop closes everything still open at the stop price in
    the first candle that touches it. Fills are at the level price, never at a worse candle open (no
    gap-through modelling); slippage is the only price impact.
Break-even
    With ``breakeven_after_tp1`` the stop moves to ``entry`` once TP1 fills, effective from the *next* candle
    (at the resolution that found TP1), the way a bot updates its stop after the fill it saw.
A candle touching a target and the stop
    The order inside it is unknown. With ``detail`` candles (a lower timeframe that fully covers that candle)
    the same rules run over the detail candles inside it. Otherwise — or when the detail candles have a hole
    there — the stop is assumed first (pessimistic), and ``notes`` says so.
Costs
    Every exit fill price is ``level × (1 − s × slippage)``; the fee is ``fee × notional`` of every fill
    (entry notional = ``size``). ``gross_pnl = s × size × Σ fraction × (level / entry − 1)`` (no costs);
    ``net_pnl = Σ s × fraction × quantity × (exit_fill − entry_fill) − fees``. Percentages are of ``size``.
Open remainder
    Whatever is still open at the end of the observed window is valued as if closed at the last candle's
    close (with slippage and fee) — a ``kind="mark"`` fill; before any candle exists the mark is the entry.
Data quality
    Expected candles are the epoch-aligned slots of the candle timeframe from ``generated_at`` up to
    ``min(expires_at, data end)``; coverage = present / expected; missing runs are listed as gaps.
Status, first rule that applies
    ``incomplete_data``: coverage < ``min_coverage``, or a gap starts before the decision (the close of the
    position, or the end of the observed window while it stays open) — a missing candle there may hide a
    touch. ``active``: the position is still open and the data ends before ``expires_at``.
    ``expired``: the window is over and no target nor the stop was touched (P/L is the mark's).
    ``completed_success`` / ``completed_failure``: a level was touched and the position is closed or the
    window is over; success when ``net_pnl > 0`` (remainder at the mark included), failure otherwise.
Duration
    From ``generated_at`` to the open time of the candle that closed the position, else to the end of the
    observed window.

Many signals at once: ``gentrade.signals.batch.evaluate_batch`` applies these rules to every signal of a pair
in a few numpy passes and returns exactly the same results (``evaluate_many`` uses it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from gentrade.errors import ConfigError, DataMissingError, SpecValidationError
from gentrade.signals.candles import Candles, assess, from_ns, to_ns
from gentrade.signals.outcome import (
    EvaluationSettings,
    Fill,
    FillKind,
    OutcomeStatus,
    Resolution,
    SignalOutcome,
)
from gentrade.spec.signal import TradeSignal

DEFAULT_SETTINGS = EvaluationSettings()
_FIRST_CHUNK = 32


@dataclass
class _RawFill:
    kind: FillKind
    target: int | None
    time: int
    price: float
    fraction: float
    resolved_by: Resolution


@dataclass
class _Walk:
    """The position's state while candles are searched; survives the hop into detail candles and back."""

    long: bool
    entry: float
    prices: list[float]
    fractions: list[float]
    breakeven: bool
    stop: float
    stop_from: int
    next_target: int = 0
    closed: bool = False
    stop_is_breakeven: bool = False
    fills: list[_RawFill] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def fill_target(self, time: int, step: int, resolved_by: Resolution) -> None:
        k = self.next_target
        self.fills.append(_RawFill("target", k + 1, time, self.prices[k], self.fractions[k], resolved_by))
        self.next_target += 1
        if k == 0 and self.breakeven:
            self.stop, self.stop_from, self.stop_is_breakeven = self.entry, time + step, True
        self.closed = self.next_target == len(self.prices)

    def fill_stop(self, time: int, resolved_by: Resolution) -> None:
        kind: FillKind = "breakeven_stop" if self.stop_is_breakeven else "stop"
        self.fills.append(_RawFill(kind, None, time, self.stop, self.remaining(), resolved_by))
        self.closed = True

    def mark(self, time: int, price: float) -> None:
        self.fills.append(_RawFill("mark", None, time, price, self.remaining(), "candle"))

    def remaining(self) -> float:
        return min(1.0, sum(self.fractions[self.next_target :]))


def _first(values: NDArray[np.float64], lo: int, hi: int, level: float, at_or_above: bool) -> int:
    """Index of the first value in ``values[lo:hi]`` at/above (or at/below) ``level``; ``hi`` if none.

    Searches growing chunks (32, 128, 512 … candles) so a level touched early costs a short scan, not a
    pass over the whole window — most signals resolve long before they expire.
    """
    width = _FIRST_CHUNK
    while lo < hi:
        end = min(hi, lo + width)
        segment = values[lo:end]
        mask = segment >= level if at_or_above else segment <= level
        j = int(mask.argmax())
        if mask[j]:
            return lo + j
        lo, width = end, width * 4
    return hi


def _detail_span(detail: Candles, start: int, step: int) -> tuple[int, int] | None:
    lo, hi = detail.span(start, start + step)
    return (lo, hi) if hi - lo == step // detail.step else None


def _walk(w: _Walk, c: Candles, lo: int, hi: int, detail: Candles | None, resolved_by: Resolution) -> None:
    favourable, adverse = (c.high, c.low) if w.long else (c.low, c.high)
    i = lo
    while not w.closed and i < hi:
        t = _first(favourable, i, hi, w.prices[w.next_target], w.long)
        stop_lo = max(i, int(np.searchsorted(c.time, w.stop_from, "left")))
        s = _first(adverse, stop_lo, hi, w.stop, not w.long)
        if t == hi and s == hi:
            return
        if t < s:
            w.fill_target(int(c.time[t]), c.step, resolved_by)
            i = t
        elif s < t:
            w.fill_stop(int(c.time[s]), resolved_by)
        else:
            when = from_ns(int(c.time[t])).isoformat()
            span = _detail_span(detail, int(c.time[t]), c.step) if detail is not None else None
            if span is None:
                w.notes.append(
                    f"candle {when} ({c.timeframe}) touched TP{w.next_target + 1} and the stop; "
                    "assumed the stop first (pessimistic)"
                )
                w.fill_stop(int(c.time[t]), "pessimistic")
            else:
                assert detail is not None
                w.notes.append(
                    f"candle {when} ({c.timeframe}) touched TP{w.next_target + 1} and the stop; "
                    f"resolved with {detail.timeframe} candles"
                )
                _walk(w, detail, span[0], span[1], None, "detail")
                i = t + 1


def _check_inputs(signal: TradeSignal, candles: Candles, detail: Candles | None) -> None:
    if signal.generated_at is None:
        raise SpecValidationError(
            "generated_at: a signal needs its generation time to be evaluated",
            details=[{"path": "generated_at", "message": "required for evaluation"}],
        )
    if candles.pair != signal.symbol:
        raise ConfigError(f"candles are for {candles.pair}, the signal is for {signal.symbol}")
    _check_detail(candles, detail)


def _check_detail(candles: Candles, detail: Candles | None) -> None:
    if detail is not None and (
        detail.pair != candles.pair or detail.step >= candles.step or candles.step % detail.step
    ):
        raise ConfigError(
            f"detail candles {detail.pair} {detail.timeframe} cannot refine "
            f"{candles.pair} {candles.timeframe} (need the same pair and a finer timeframe "
            "that divides it)"
        )


def _money(
    signal: TradeSignal, raw: list[_RawFill], settings: EvaluationSettings
) -> tuple[float, list[Fill], float, float, float]:
    s = 1.0 if signal.direction == "long" else -1.0
    entry_fill = signal.entry * (1 + s * settings.slippage)
    quantity = settings.size / entry_fill
    fills: list[Fill] = []
    fees = settings.fee * settings.size
    gross = traded = 0.0
    for f in raw:
        exit_fill = f.price * (1 - s * settings.slippage)
        gross += s * settings.size * f.fraction * (f.price / signal.entry - 1)
        traded += s * f.fraction * quantity * (exit_fill - entry_fill)
        fees += settings.fee * f.fraction * quantity * exit_fill
        fills.append(
            Fill(
                kind=f.kind,
                target=f.target,
                time=from_ns(f.time),
                price=f.price,
                fill_price=exit_fill,
                fraction=f.fraction,
                resolved_by=f.resolved_by,
            )
        )
    return entry_fill, fills, gross, fees, traded - fees


def evaluate(
    signal: TradeSignal,
    candles: Candles,
    *,
    detail: Candles | None = None,
    settings: EvaluationSettings = DEFAULT_SETTINGS,
) -> SignalOutcome:
    """The outcome of ``signal`` on ``candles``, optionally refined by ``detail``; rules: module doc."""
    _check_inputs(signal, candles, detail)
    expires_at = signal.expires_at()
    assert signal.generated_at is not None and expires_at is not None
    start, expires = to_ns(signal.generated_at), to_ns(expires_at)
    data_end = candles.end
    horizon = expires if data_end is None else max(start, min(expires, data_end))
    lo, hi = candles.span(start, horizon)

    total = sum(t.allocation for t in signal.take_profits)
    walk = _Walk(
        long=signal.direction == "long",
        entry=signal.entry,
        prices=[t.price for t in signal.take_profits],
        fractions=[t.allocation / total for t in signal.take_profits],
        breakeven=signal.breakeven_after_tp1,
        stop=signal.stop_loss,
        stop_from=start,
    )
    _walk(walk, candles, lo, hi, detail, "candle")
    touched = bool(walk.fills)
    closed_at = walk.fills[-1].time if walk.closed else None
    if not walk.closed and hi > lo:
        walk.mark(int(candles.time[hi - 1]), float(candles.close[hi - 1]))
    elif not walk.closed:
        walk.mark(start, signal.entry)

    entry_fill, fills, gross, fees, net = _money(signal, walk.fills, settings)
    quality = assess(candles, start, horizon)
    decision = closed_at if closed_at is not None else horizon
    status: OutcomeStatus
    if quality.coverage < settings.min_coverage or (quality.gaps and to_ns(quality.gaps[0].start) < decision):
        status = "incomplete_data"
    elif not walk.closed and horizon < expires:
        status = "active"
    elif not touched:
        status = "expired"
    else:
        status = "completed_success" if net > 0 else "completed_failure"

    hit_at: list[datetime | None] = [None] * len(signal.take_profits)
    stop_hit_at: datetime | None = None
    for fill in fills:
        if fill.kind == "target" and fill.target is not None:
            hit_at[fill.target - 1] = fill.time
        elif fill.kind in ("stop", "breakeven_stop"):
            stop_hit_at = fill.time
    open_fraction = fills[-1].fraction if fills[-1].kind == "mark" else 0.0
    return SignalOutcome(
        symbol=signal.symbol,
        direction=signal.direction,
        signal_timeframe=signal.timeframe,
        candle_timeframe=candles.timeframe,
        detail_timeframe=detail.timeframe if detail is not None else None,
        generated_at=signal.generated_at,
        expires_at=expires_at,
        evaluated_until=from_ns(horizon),
        status=status,
        entry=signal.entry,
        entry_fill_price=entry_fill,
        size=settings.size,
        fee_rate=settings.fee,
        slippage_rate=settings.slippage,
        fills=fills,
        targets_hit_at=hit_at,
        stop_hit_at=stop_hit_at,
        stop_was_breakeven=stop_hit_at is not None and walk.stop_is_breakeven,
        closed_fraction=min(1.0, sum(f.fraction for f in fills) - open_fraction),
        open_fraction=open_fraction,
        closed_at=from_ns(closed_at) if closed_at is not None else None,
        duration=from_ns(decision) - signal.generated_at,
        gross_pnl=gross,
        gross_pnl_pct=gross / settings.size * 100,
        fees=fees,
        net_pnl=net,
        net_pnl_pct=net / settings.size * 100,
        data_quality=quality,
        notes=walk.notes,
    )


def evaluate_many(
    signals: Iterable[TradeSignal],
    candles_by_symbol_tf: Mapping[tuple[str, str], Candles],
    *,
    candle_timeframe: str | None = None,
    detail_timeframe: str | None = None,
    settings: EvaluationSettings = DEFAULT_SETTINGS,
) -> list[SignalOutcome]:
    """Outcomes of many signals, in their order: one ``evaluate_batch`` per (symbol, candle timeframe).

    Each signal reads ``(symbol, candle_timeframe or signal.timeframe)``; detail candles
    ``(symbol, detail_timeframe)`` are used when present (otherwise the pessimistic rule applies).
    """
    from gentrade.signals.batch import evaluate_batch

    groups: dict[tuple[str, str], list[int]] = {}
    signals = list(signals)
    for i, signal in enumerate(signals):
        key = (signal.symbol, candle_timeframe or signal.timeframe)
        candles = candles_by_symbol_tf.get(key)
        if candles is None:
            raise DataMissingError(
                f"no {key[1]} candles for {signal.symbol}",
                details={"pair": signal.symbol, "timeframe": key[1]},
            )
        detail = candles_by_symbol_tf.get((signal.symbol, detail_timeframe)) if detail_timeframe else None
        _check_inputs(signal, candles, detail)
        groups.setdefault(key, []).append(i)
    outcomes: list[SignalOutcome | None] = [None] * len(signals)
    for (symbol, timeframe), members in groups.items():
        detail = candles_by_symbol_tf.get((symbol, detail_timeframe)) if detail_timeframe else None
        batch = evaluate_batch(
            [signals[i] for i in members],
            candles_by_symbol_tf[(symbol, timeframe)],
            detail=detail,
            settings=settings,
        )
        for j, i in enumerate(members):
            outcomes[i] = batch.outcome(j)
    return [outcome for outcome in outcomes if outcome is not None]

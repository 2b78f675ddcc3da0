"""Judge a `TradeSignal` against the candles that followed it, with numpy first-touch searches.

The rules, exactly (``s`` = +1 for a long, −1 for a short; "touch" = the candle's high ≥ level for a long
target or a short stop, the candle's low ≤ level for a long stop or a short target):

Window
    Candles whose open time lies in ``[generated_at, expires_at)``, where ``expires_at`` is
    ``generated_at + valid_for_candles × signal.timeframe``. The *signal* timeframe only sets that validity;
    the *candle* timeframe is whatever the candles passed in are (e.g. 5m candles for a 1h signal). A candle
    that opened before ``generated_at`` is never used: its high and low may predate the signal.
Entry
    A limit order resting at ``entry``: the signal is *pending* until the first candle whose price reaches
    it (a long's low ≤ entry, a short's high ≥ entry), and fills there at ``entry`` — never credited with a
    better market (a long whose entry lies above the market is still bought at the entry). A window that
    ends without that candle is ``not_triggered``: no trade, no fills, no P/L. The buy (a long) or sell (a
    short) pays slippage: ``entry_fill = entry × (1 + s × slippage)``, and ``quantity = size / entry_fill``.
First touches, only after the entry
    The stop counts from the entry candle on (the price reached the entry on its way to the stop); the
    targets from the *next* candle, since inside the entry candle nobody knows whether the high came before
    or after the low (pessimistic). Each take-profit fills its allocation at its price in the first candle
    that touches it; targets fill in order, and several may fill in one candle. The stop closes everything
    still open in the first candle that touches it.
Gaps
    A stop is a stop order: it triggers at the first trade past it, so in a candle after the entry candle
    that *opened* past the stop it fills at that open (``Fill.gapped``), worse than the stop. Targets and the
    entry are resting limit orders: a price that gaps through one still fills it at its own price (the
    resting order is the best one in the book), so a gap is never credited as a better price.
Break-even
    With ``breakeven_after_tp1`` the stop moves to the break-even price (the entry plus the round-trip fees
    and slippage, ``gentrade.spec.costs.breakeven_price``: the one definition the rendered strategies use
    too) once TP1 fills, effective from the *next* candle (at
    the resolution that found TP1), the way a bot updates its stop after the fill it saw.
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
    close (with slippage and fee) — a ``kind="mark"`` fill.
Data quality
    Expected candles are the epoch-aligned slots of the candle timeframe from ``generated_at`` up to
    ``min(expires_at, data end)``; coverage = present / expected; missing runs are listed as gaps.
Status, first rule that applies
    ``incomplete_data``: coverage < ``min_coverage``, or a gap starts before the decision (the close of the
    position, or the end of the observed window while it stays open) — a missing candle there may hide a
    touch. ``pending`` / ``not_triggered``: the entry was never reached, and the data ends before
    ``expires_at`` / the window is over. ``active``: the position is still open and the data ends before
    ``expires_at``. ``expired``: the window is over and no target nor the stop was touched after the entry
    (P/L is the mark's).
    ``completed_success`` / ``completed_failure``: a level was touched and the position is closed or the
    window is over; success when ``net_pnl > 0`` (remainder at the mark included), failure otherwise.
Duration
    From ``generated_at`` to the open time of the candle that closed the position, else to the end of the
    observed window.

Many signals at once: ``gentrade.signals.batch.evaluate_batch`` applies these rules to every signal of a pair
in a few numpy passes and returns exactly the same results (``evaluate_many`` uses it). The walk itself
lives in `gentrade.signals.walk`, shared by both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from gentrade.errors import DataMissingError
from gentrade.signals.batch import evaluate_batch
from gentrade.signals.candles import Candles, assess, from_ns, to_ns
from gentrade.signals.outcome import (
    DEFAULT_SETTINGS,
    EvaluationSettings,
    Fill,
    OutcomeStatus,
    SignalOutcome,
)
from gentrade.signals.walk import Walk, WalkFill, check_inputs, entry_index, walk
from gentrade.spec.costs import breakeven_price
from gentrade.spec.signal import TradeSignal


def _money(
    signal: TradeSignal, raw: list[WalkFill], settings: EvaluationSettings
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
                gapped=f.gapped,
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
    check_inputs(signal, candles, detail)
    expires_at = signal.expires_at()
    assert signal.generated_at is not None and expires_at is not None
    start, expires = to_ns(signal.generated_at), to_ns(expires_at)
    data_end = candles.end
    horizon = expires if data_end is None else max(start, min(expires, data_end))
    lo, hi = candles.span(start, horizon)
    long = signal.direction == "long"
    entered = entry_index(candles, lo, hi, long, signal.entry)
    entered_at = int(candles.time[entered]) if entered < hi else None

    total = sum(t.allocation for t in signal.take_profits)
    position = Walk(
        long=long,
        entry=signal.entry,
        breakeven_price=breakeven_price(signal.entry, signal.direction, settings.fee, settings.slippage),
        prices=[t.price for t in signal.take_profits],
        fractions=[t.allocation / total for t in signal.take_profits],
        breakeven=signal.breakeven_after_tp1,
        stop=signal.stop_loss,
        stop_from=start,
        target_from=(entered_at or 0) + 1,
        gap_from=(entered_at or 0) + 1,
    )
    if entered_at is not None:
        walk(position, candles, entered, hi, detail, "candle")
        if not position.closed:
            position.mark(int(candles.time[hi - 1]), float(candles.close[hi - 1]))
    touched = any(f.kind != "mark" for f in position.fills)
    closed_at = position.fills[-1].time if position.closed else None

    entry_fill, fills, gross, fees, net = _money(signal, position.fills, settings)
    if entered_at is None:
        gross = fees = net = 0.0
    quality = assess(candles, start, horizon)
    decision = closed_at if closed_at is not None else horizon
    status: OutcomeStatus
    if quality.coverage < settings.min_coverage or (quality.gaps and to_ns(quality.gaps[0].start) < decision):
        status = "incomplete_data"
    elif entered_at is None:
        status = "pending" if horizon < expires else "not_triggered"
    elif not position.closed and horizon < expires:
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
    open_fraction = fills[-1].fraction if fills and fills[-1].kind == "mark" else 0.0
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
        entered_at=from_ns(entered_at) if entered_at is not None else None,
        entry_fill_price=entry_fill if entered_at is not None else None,
        breakeven_price=position.breakeven_price,
        size=settings.size,
        fee_rate=settings.fee,
        slippage_rate=settings.slippage,
        fills=fills,
        targets_hit_at=hit_at,
        stop_hit_at=stop_hit_at,
        stop_was_breakeven=stop_hit_at is not None and position.stop_is_breakeven,
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
        notes=position.notes,
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
        check_inputs(signal, candles, detail)
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

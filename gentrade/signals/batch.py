"""Many signals over one candle array at once: the rules of `gentrade.signals.evaluate`, as numpy over arrays.

``evaluate_batch`` judges every signal of one pair against the same candles in a fixed number of numpy passes
whatever the number of signals, and returns a `BatchOutcomes` struct of arrays
(`gentrade.signals.batch_outcomes`); a `SignalOutcome` (pydantic, with the data-quality gaps listed) is only
built when asked for (``outcome(i)``, ``to_outcomes()``). The results are exactly those of ``evaluate``
(same fills, same floats, same statuses): the P/L sums run in the same order as there, and a property test
holds the two paths to it.

How
    *Signals to columns*: `gentrade.signals.arrays` (``SignalArrays``). *Windows and first touches*:
    `gentrade.signals.touches` (vectorized searches over a sparse table of running maxima).
    *The entry*: one first-touch query per signal (a long's low at or below the entry, a short's high at or
    above it) from the window start; a signal without it has no fills and no money.
    *The walk* (`gentrade.signals.batch_walk`): the targets lie beyond one another, so each target's first
    touch from the candle after the entry candle is where the walk fills it; the stop in force is the
    original stop's first touch from the entry candle, or with break-even after TP1 a second search for the
    break-even price starting at the candle after TP1's. Target k fills when its touch comes strictly before
    the stop's; equal indices are a candle touching both. A stop after the entry candle whose candle opened
    past it fills at the open.
    *A candle touching a target and the stop*: the pessimistic stop is vectorized; only a signal whose
    ambiguous candle is fully covered by ``detail`` candles is re-walked with the single-signal code
    (``BatchOutcomes.detail_resolved`` marks them).
    *Data quality*: `gentrade.signals.window_quality`.
    *Money*: each formula runs once over a (legs × signals) matrix; only the sums go leg by leg, in the
    order ``evaluate`` adds them, so the floats are the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import cast

import numpy as np
from numpy.typing import NDArray

from gentrade.errors import ConfigError
from gentrade.signals.arrays import SignalArrays
from gentrade.signals.batch_outcomes import F64, BatchOutcomes
from gentrade.signals.batch_walk import rewalk, walk_chunk
from gentrade.signals.candles import Candles
from gentrade.signals.outcome import DEFAULT_SETTINGS, EvaluationSettings
from gentrade.signals.touches import Search, chunks
from gentrade.signals.walk import check_detail
from gentrade.signals.window_quality import window_quality
from gentrade.spec.costs import breakeven_price
from gentrade.spec.signal import TradeSignal


def evaluate_batch(
    signals: Sequence[TradeSignal] | SignalArrays,
    candles: Candles,
    *,
    detail: Candles | None = None,
    settings: EvaluationSettings = DEFAULT_SETTINGS,
) -> BatchOutcomes:
    """The outcomes of many signals of one pair on ``candles`` (optionally refined by ``detail``), at once.

    Same rules and same results as ``evaluate`` (module doc of `gentrade.signals.evaluate`); ``signals``
    may be prepared once with ``SignalArrays.from_signals``.
    """
    sig = signals if isinstance(signals, SignalArrays) else SignalArrays.from_signals(signals)
    check_detail(candles, detail)
    wrong = sig.pairs - {candles.pair}
    if wrong:
        raise ConfigError(f"candles are for {candles.pair}, the signals are for {', '.join(sorted(wrong))}")
    columns, notes = _columns(sig, candles, detail, settings)
    return BatchOutcomes(
        signals=sig, candles=candles, detail=detail, settings=settings, notes=notes, **columns
    )


_COLUMNS = tuple(f.name for f in fields(BatchOutcomes))[4:-1]


def _columns(
    sig: SignalArrays, candles: Candles, detail: Candles | None, settings: EvaluationSettings
) -> tuple[dict[str, NDArray], dict[int, list[str]]]:
    """All the array columns of `BatchOutcomes`, and the notes of the signals decided by detail candles."""
    n, width = len(sig), sig.prices.shape[1]
    data_end = candles.end
    horizon = (
        sig.expires.copy() if data_end is None else np.maximum(sig.start, np.minimum(sig.expires, data_end))
    )
    search = Search(candles.time, candles.step, sig.start)
    lo, hi = search(sig.start), search(horizon)
    out: dict[str, NDArray] = {
        "horizon": horizon,
        "targets_hit": np.zeros(n, np.int64),
        "target_time": np.zeros((n, width), np.int64),
        "target_resolved": np.zeros((n, width), np.int8),
        "exit_kind": np.zeros(n, np.int8),
        "exit_time": np.zeros(n, np.int64),
        "exit_price": np.zeros(n),
        "exit_fraction": np.zeros(n),
        "exit_resolved": np.zeros(n, np.int8),
        "closed": np.zeros(n, bool),
        "closed_at": np.zeros(n, np.int64),
        "pessimistic": np.zeros(n, bool),
        "detail_resolved": np.zeros(n, bool),
        "entered": np.zeros(n, bool),
        "entered_at": np.full(n, -1, np.int64),
        "exit_gapped": np.zeros(n, bool),
        "breakeven_price": _breakeven_prices(sig, settings),
    }
    entry_at = np.zeros(n, np.int64)
    by_detail: list[int] = []
    for chunk in chunks(lo, hi):
        by_detail += walk_chunk(out, entry_at, chunk, sig, candles, lo, hi, detail, search.below is not None)
    notes: dict[int, list[str]] = {}
    for i in by_detail:
        assert detail is not None
        rewalk(out, notes, i, sig, candles, int(entry_at[i]), int(hi[i]), detail)
    _money(out, sig, settings)
    window_quality(out, candles, sig.start, horizon, search, lo, hi)
    _status(out, sig, settings)
    assert set(out) == set(_COLUMNS)
    return out, notes


def _breakeven_prices(sig: SignalArrays, settings: EvaluationSettings) -> F64:
    """``breakeven_price`` of every signal: the arrays go through that one function (its arithmetic is
    element-wise), so the floats are those of ``evaluate`` and there is still one definition."""
    entry = cast(float, sig.entry)
    long = breakeven_price(entry, "long", settings.fee, settings.slippage)
    short = breakeven_price(entry, "short", settings.fee, settings.slippage)
    return np.where(sig.long, long, short)


def _money(out: dict[str, NDArray], sig: SignalArrays, settings: EvaluationSettings) -> None:
    """Entry fill, gross/net P/L and fees, summed fill by fill in the order and grouping of ``_money``.

    Every leg (the targets, then the closing fill) is one row of a matrix, so each formula is one numpy call
    for all legs, and the four sums run leg by leg together, in the order the single-signal loop adds. A leg
    not filled has fraction 0 (and a finite price): its terms are ±0, which leave a sum started at +0 (or
    at the entry fee) as it is, so no mask is needed.
    """
    s = np.where(sig.long, 1.0, -1.0)
    size, fee, slippage = settings.size, settings.fee, settings.slippage
    entry_fill = sig.entry * (1 + s * slippage)
    quantity = size / entry_fill
    n, width = sig.prices.shape
    price = np.empty((width + 1, n))
    price[:width] = sig.prices.T
    price[width] = out["exit_price"]
    if int(sig.n_targets.min(initial=width)) < width:
        np.copyto(price[:width], sig.entry, where=np.isnan(price[:width]))  # the padding
    fraction = np.empty((width + 1, n))
    np.multiply(sig.fractions.T, np.arange(width)[:, None] < out["targets_hit"], out=fraction[:width])
    fraction[width] = out["exit_fraction"]  # 0 when the last target closed the position
    exit_fill = price * (1 - s * slippage)
    legs = np.empty((4, width + 2, n))  # gross, traded, fees, shares; column 0 is where each sum starts
    legs[:, 0] = 0.0
    legs[2, 0] = fee * size
    gross, traded, fees = legs[0, 1:], legs[1, 1:], legs[2, 1:]
    np.multiply(s * size, fraction, out=gross)
    gross *= price / sig.entry - 1
    np.multiply(s, fraction, out=traded)
    traded *= quantity
    traded *= exit_fill - entry_fill
    np.multiply(fee, fraction, out=fees)
    fees *= quantity
    fees *= exit_fill
    legs[3, 1:] = fraction
    total = legs[:, 0].copy()
    for k in range(1, width + 2):
        total += legs[:, k]
    open_fraction = np.where(out["exit_kind"] == 3, out["exit_fraction"], 0.0)
    entered = out["entered"]  # a signal never entered has no money at all, not even the entry fee
    out.update(
        entry_fill=entry_fill,
        gross_pnl=np.where(entered, total[0], 0.0),
        fees=np.where(entered, total[2], 0.0),
        net_pnl=np.where(entered, total[1] - total[2], 0.0),
        open_fraction=open_fraction,
        closed_fraction=np.minimum(1.0, total[3] - open_fraction),
    )


def _status(out: dict[str, NDArray], sig: SignalArrays, settings: EvaluationSettings) -> None:
    closed, horizon, exit_kind = out["closed"], out["horizon"], out["exit_kind"]
    decision = np.where(closed, out["closed_at"], horizon)
    first_gap = out["first_gap"]
    gap_first = (first_gap >= 0) & (first_gap // 1_000 * 1_000 < decision)  # gaps are listed as µs datetimes
    touched = (out["targets_hit"] > 0) | (exit_kind == 1) | (exit_kind == 2)
    incomplete = (out["coverage"] < settings.min_coverage) | gap_first
    active = ~closed & (horizon < sig.expires)
    success = out["net_pnl"] > 0
    waiting = np.where(horizon < sig.expires, 5, 6)  # never entered: pending / not_triggered
    decided = np.where(touched, np.where(success, 3, 4), 2)
    out["status"] = np.select([incomplete, ~out["entered"], active], [0, waiting, 1], decided).astype(np.int8)
    out["duration_ns"] = decision // 1_000 * 1_000 - sig.start

"""Many signals over one candle array at once: the rules of `gentrade.signals.evaluate`, as numpy over arrays.

``evaluate_batch`` judges every signal of one pair against the same candles in a fixed number of numpy passes
whatever the number of signals, and returns a `BatchOutcomes` struct of arrays; a `SignalOutcome` (pydantic,
with the data-quality gaps listed) is only built when asked for (``outcome(i)``, ``to_outcomes()``). The
results are exactly those of ``evaluate`` (same fills, same floats, same statuses): the P/L sums run in the
same order as there, and a property test holds the two paths to it.

How
    *Signals to columns*: `gentrade.signals.arrays` (``SignalArrays``). *Windows and first touches*:
    `gentrade.signals.touches` (vectorized searches over a sparse table of running maxima).
    *The entry*: one first-touch query per signal (a long's low at or below the entry, a short's high at or
    above it) from the window start; a signal without it has no fills and no money.
    *The walk*: the targets lie beyond one another, so each target's first touch from the candle after the
    entry candle is where the walk fills it; the stop in force is the original stop's first touch from the
    entry candle, or with break-even after TP1 a second search for the break-even price starting at the
    candle after TP1's. Target k fills when its touch comes strictly before the stop's; equal indices are a
    candle touching both. A stop after the entry candle whose candle opened past it fills at the open.
    *A candle touching a target and the stop*: the pessimistic stop is vectorized; only a signal whose
    ambiguous candle is fully covered by ``detail`` candles is re-walked with the single-signal code
    (``BatchOutcomes.detail_resolved`` marks them).
    *Data quality*: `gentrade.signals.window_quality`.
    *Money*: each formula runs once over a (legs × signals) matrix; only the sums go leg by leg, in the
    order ``evaluate`` adds them, so the floats are the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import cast

import numpy as np
from numpy.typing import NDArray

from gentrade.errors import ConfigError
from gentrade.signals.arrays import SignalArrays
from gentrade.signals.candles import Candles, assess, from_ns
from gentrade.signals.outcome import (
    DEFAULT_SETTINGS,
    EvaluationSettings,
    Fill,
    FillKind,
    OutcomeStatus,
    Resolution,
    SignalOutcome,
)
from gentrade.signals.touches import Search, Touches, chunks, gather, pick
from gentrade.signals.walk import Walk, check_detail, walk
from gentrade.signals.window_quality import window_quality
from gentrade.spec.costs import breakeven_price
from gentrade.spec.signal import TradeSignal

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
    rewalk: list[int] = []
    for chunk in chunks(lo, hi):
        rewalk += _walk_chunk(out, entry_at, chunk, sig, candles, lo, hi, detail, search.below is not None)
    notes: dict[int, list[str]] = {}
    for i in rewalk:
        assert detail is not None
        _rewalk(out, notes, i, sig, candles, int(entry_at[i]), int(hi[i]), detail)
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


def _walk_chunk(
    out: dict[str, NDArray],
    entry_at: I64,
    chunk: slice | I64,
    sig: SignalArrays,
    candles: Candles,
    lo_all: I64,
    hi_all: I64,
    detail: Candles | None,
    on_grid: bool,
) -> list[int]:
    """Fills of the signals ``chunk`` into ``out`` (and their entry candle's index into ``entry_at``);
    returns the indices that detail candles must decide.

    The ladders are handled as rows (``[k, j]``: target k of signal j), so each per-signal array broadcasts
    along a row in one contiguous pass; the other way round (a short last axis) numpy makes one inner-loop
    call per signal, an order of magnitude slower.
    """
    time, step = candles.time, candles.step
    lo, hi = lo_all[chunk], hi_all[chunk]
    long, entry, stop = sig.long[chunk], sig.entry[chunk], sig.stop[chunk]
    ntp, breakeven = sig.n_targets[chunk], sig.breakeven[chunk]
    level_be = out["breakeven_price"][chunk]
    prices, fractions = sig.prices[chunk].T.copy(), sig.fractions[chunk].T.copy()
    width, n = prices.shape
    touches = Touches(candles, int(lo.min()), int(hi.max()), max(1, int((hi - lo).max()).bit_length()))
    sign = np.where(long, 1.0, -1.0)

    # Pass 0: the entry (a long's low at or below it, a short's high at or above it) from the window start.
    entered_at = touches.first(long, lo, -sign * entry, hi)
    entered = entered_at < hi
    entry_at[chunk] = entered_at

    # Pass 1: every target from the candle after the entry candle, and the original stop from the entry
    # candle: one column of queries per signal (its targets, then its stop); the padding of a short ladder
    # is never touched, and a signal never entered searches from the window end (no touch).
    on_low = np.empty((width + 1, n), dtype=bool)
    np.logical_not(long, out=on_low[:width])
    on_low[width] = long
    threshold = np.empty((width + 1, n))
    np.multiply(sign, prices, out=threshold[:width])
    np.multiply(-sign, stop, out=threshold[width])
    if int(ntp.min()) < width:
        threshold[:width][np.isnan(prices)] = np.inf
    start = np.empty((width + 1, n), np.int64)
    start[:width] = np.minimum(entered_at + 1, hi)
    start[width] = entered_at
    found = touches.first(on_low, start, threshold, hi)
    target, first_stop = found[:width], found[width]

    # Pass 2: the break-even stop from the candle after TP1's, for the signals that reach it.
    tp1 = target[0]
    be_stop = hi.copy()
    need = np.flatnonzero(breakeven & (tp1 < first_stop) & (ntp > 1))
    if len(need):
        at = tp1.take(need)
        after = at + 1
        if not on_grid:  # unaligned candles: the next one may open too soon
            odd = (gather(time, after) < time[at] + step) & (after < len(time))
            if odd.any():
                after[odd] = np.searchsorted(time, time[at[odd]] + step, "left")
        hi_need = hi.take(need)
        np.minimum(after, hi_need, out=after)
        be_stop[need] = touches.first(long.take(need), after, -sign.take(need) * level_be.take(need), hi_need)

    # Targets fill while their touch comes strictly before the stop in force (a padded target's "touch" is
    # the window end, never before a stop).
    stop_after_tp1 = np.where(breakeven, be_stop, first_stop)
    alive = tp1 < first_stop
    hits = alive.astype(np.int64)
    for k in range(1, width):
        alive &= target[k] < stop_after_tp1
        hits += alive
    done = hits == ntp
    on_breakeven = breakeven & (hits > 0)
    stop_at = np.where(on_breakeven, be_stop, first_stop)
    stopped = ~done & (stop_at < hi)
    ambiguous = stopped & (pick(target, np.minimum(hits, width - 1)) == stop_at)

    fallback = np.zeros(n, dtype=bool)
    if detail is not None and ambiguous.any():
        opened = time[stop_at[ambiguous]]
        covered = np.searchsorted(detail.time, opened + step, "left") - np.searchsorted(
            detail.time, opened, "left"
        )
        fallback[ambiguous] = covered == step // detail.step

    # The open share after the hits: Σ fractions[hits:], left to right, capped at 1 (as Walk.remaining);
    # the zeros added before it and the padding's zeros after it leave the sum as it is (0 when done).
    filled = np.arange(width)[:, None] < hits
    unfilled = fractions * ~filled
    open_share = unfilled[0].copy()
    for k in range(1, width):
        open_share += unfilled[k]

    # A stop after the entry candle whose candle opened past it fills at that open (a NaN open: never).
    level = np.where(on_breakeven, level_be, stop)
    stop_open = gather(candles.open, stop_at)
    gapped = stopped & (stop_at > entered_at) & np.where(long, stop_open < level, stop_open > level)
    last = hi - 1
    stop_time = gather(time, stop_at)
    target_time = gather(time, target)
    target_time *= filled
    out["targets_hit"][chunk] = hits
    out["target_time"][chunk] = target_time.T
    out["exit_kind"][chunk] = np.where(entered, _exit_codes(done, stopped, on_breakeven), 4)
    out["exit_time"][chunk] = np.where(done | ~entered, 0, np.where(stopped, stop_time, gather(time, last)))
    out["exit_price"][chunk] = np.where(
        done | ~entered,
        0.0,
        np.where(stopped, np.where(gapped, stop_open, level), gather(candles.close, last)),
    )
    out["exit_fraction"][chunk] = np.where(entered, np.minimum(1.0, open_share), 0.0)
    out["exit_resolved"][chunk] = ambiguous.view(np.int8) * 2
    out["exit_gapped"][chunk] = gapped
    out["closed"][chunk] = done | stopped
    out["closed_at"][chunk] = np.where(
        done, pick(target_time, np.maximum(hits - 1, 0)), np.where(stopped, stop_time, -1)
    )
    out["pessimistic"][chunk] = ambiguous & ~fallback
    out["entered"][chunk] = entered
    out["entered_at"][chunk] = np.where(entered, gather(time, entered_at), -1)
    return np.arange(len(lo_all))[chunk][fallback].tolist()


def _exit_codes(done: B, stopped: B, on_breakeven: B) -> I8:
    """``exit_kind``: 0 done, 2 stopped at break-even, 1 stopped, 3 open (``done`` and ``stopped`` exclude
    each other), as int8 arithmetic on the masks: a fraction of the cost of nested ``np.where``."""
    d, s = done.view(np.int8), stopped.view(np.int8)
    return 3 - 3 * d - 2 * s + (stopped & on_breakeven).view(np.int8)


def _rewalk(
    out: dict[str, NDArray],
    notes: dict[int, list[str]],
    i: int,
    sig: SignalArrays,
    candles: Candles,
    entry_at: int,
    hi: int,
    detail: Candles,
) -> None:
    """The single-signal walk, for a signal whose ambiguous candle the detail candles can decide."""
    n = int(sig.n_targets[i])
    entered_at = int(out["entered_at"][i])
    position = Walk(
        long=bool(sig.long[i]),
        entry=float(sig.entry[i]),
        breakeven_price=float(out["breakeven_price"][i]),
        prices=sig.prices[i, :n].tolist(),
        fractions=sig.fractions[i, :n].tolist(),
        breakeven=bool(sig.breakeven[i]),
        stop=float(sig.stop[i]),
        stop_from=int(sig.start[i]),
        target_from=entered_at + 1,
        gap_from=entered_at + 1,
    )
    walk(position, candles, entry_at, hi, detail, "candle")
    targets = [f for f in position.fills if f.kind == "target"]
    out["targets_hit"][i] = len(targets)
    out["target_time"][i] = 0
    for k, f in enumerate(targets):
        out["target_time"][i, k] = f.time
        out["target_resolved"][i, k] = RESOLUTIONS.index(f.resolved_by)
    out["closed"][i], out["pessimistic"][i], out["detail_resolved"][i] = position.closed, False, True
    out["exit_gapped"][i] = False
    notes[i] = position.notes
    last = position.fills[-1] if position.fills else None
    if position.closed and last is not None and last.kind == "target":
        out["closed_at"][i], out["exit_kind"][i], out["exit_fraction"][i] = last.time, 0, 0.0
    elif position.closed and last is not None:
        out["closed_at"][i], out["exit_kind"][i] = last.time, EXIT_KINDS.index(last.kind)
        out["exit_time"][i], out["exit_price"][i] = last.time, last.price
        out["exit_fraction"][i], out["exit_resolved"][i] = last.fraction, RESOLUTIONS.index(last.resolved_by)
        out["exit_gapped"][i] = last.gapped
    else:
        out["closed_at"][i], out["exit_kind"][i], out["exit_resolved"][i] = -1, 3, 0
        out["exit_fraction"][i] = position.remaining()
        out["exit_time"][i], out["exit_price"][i] = candles.time[hi - 1], candles.close[hi - 1]


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

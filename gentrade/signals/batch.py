"""Many signals over one candle array at once: the rules of `gentrade.signals.evaluate`, as numpy over arrays.

``evaluate_batch`` judges every signal of one pair against the same candles in a fixed number of numpy passes
whatever the number of signals, and returns a `BatchOutcomes` struct of arrays; a `SignalOutcome` (pydantic,
with the data-quality gaps listed) is only built when asked for (``outcome(i)``, ``to_outcomes()``). The
results are exactly those of ``evaluate`` (same fills, same floats, same statuses): the P/L sums run in the
same order as there, and a property test holds the two paths to it.

How
    *Windows*: two ``searchsorted`` calls over the candle times for all signals.
    *First touches*: "the first candle at or after ``lo`` whose high ≥ level" (a low ≤ level is the same
    query on ``−low``) is answered for every (signal, level) together by binary lifting over a sparse table
    of running maxima (``table[k][j] = max(v[j : j + 2^k])``): ``log2(window)`` vectorized steps, each one
    gather and one compare over all the queries, so the cost does not grow with the window length. The table
    covers only the candles the signals' windows reach, and signals are chunked (sorted by window start) so
    one chunk's table stays under ``_TABLE_BYTES``.
    *The walk*: the targets lie beyond one another, so each target's first touch from the window start is
    where the walk fills it; the stop in force is the original stop's first touch, or with break-even after
    TP1 a second search for the entry starting at the candle after TP1's. Target k fills when its touch comes
    strictly before the stop's; equal indices are a candle touching both.
    *A candle touching a target and the stop*: the pessimistic stop is vectorized; only a signal whose
    ambiguous candle is fully covered by ``detail`` candles is re-walked with the single-signal code
    (``BatchOutcomes.detail_resolved`` counts them).
    *Data quality*: the gaps of the whole candle array are found once (one ``diff``); a window's coverage is
    an index difference and its largest gap a range maximum over the (few) gaps, O(1) per signal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from gentrade.errors import ConfigError, SpecValidationError
from gentrade.signals.candles import Candles, assess, from_ns, to_ns
from gentrade.signals.evaluate import DEFAULT_SETTINGS, _check_inputs, _Walk, _walk
from gentrade.signals.outcome import (
    EvaluationSettings,
    Fill,
    FillKind,
    OutcomeStatus,
    Resolution,
    SignalOutcome,
)
from gentrade.spec.common import TIMEFRAME_MINUTES
from gentrade.spec.signal import TradeSignal

STATUSES: tuple[OutcomeStatus, ...] = (
    "incomplete_data", "active", "expired", "completed_success", "completed_failure")
EXIT_KINDS: tuple[FillKind | None, ...] = (None, "stop", "breakeven_stop", "mark")
"""``exit_kind`` codes: 0 closed by its last target (no exit fill), 1 stop, 2 break-even stop, 3 mark."""
RESOLUTIONS: tuple[Resolution, ...] = ("candle", "detail", "pessimistic")
_NS_PER_MINUTE = 60_000_000_000
_TABLE_BYTES = 48 * 2**20
_CHUNK_SIGNALS = 65_536
_EXACT_SECONDS = 2**31  # |timestamp()| below this: float seconds → µs round-trips exactly

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
B = NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class SignalArrays:
    """Signals as columns: times in ns, levels, targets padded to the widest ladder (price NaN, weight 0)."""

    signals: tuple[TradeSignal, ...]
    long: B
    start: I64
    expires: I64
    entry: F64
    stop: F64
    prices: F64
    fractions: F64
    n_targets: I64
    breakeven: B

    def __len__(self) -> int:
        return len(self.start)

    @classmethod
    def from_signals(cls, signals: Sequence[TradeSignal]) -> SignalArrays:
        """Columns of ``signals``; fractions are ``allocation / Σ allocation`` summed as in ``evaluate``."""
        signals = tuple(signals)
        n = len(signals)
        generated = [s.generated_at for s in signals]
        if None in generated:
            raise SpecValidationError(
                "generated_at: a signal needs its generation time to be evaluated",
                details=[{"path": "generated_at", "message": "required for evaluation"}])
        seconds = np.array([g.timestamp() for g in generated], dtype=np.float64)  # type: ignore[union-attr]
        if n and np.abs(seconds).max() < _EXACT_SECONDS:
            start = np.rint(seconds * 1e6).astype(np.int64) * 1_000
        else:
            start = np.array([to_ns(g) for g in generated], dtype=np.int64)  # type: ignore[arg-type]
        minutes = np.array([TIMEFRAME_MINUTES[s.timeframe] * s.valid_for_candles for s in signals],
                           dtype=np.int64)
        ladders = [s.take_profits for s in signals]
        n_targets = np.fromiter(map(len, ladders), dtype=np.int64, count=n)
        width = int(n_targets.max()) if n else 1
        rows = np.repeat(np.arange(n), n_targets)
        cols = np.arange(len(rows)) - np.repeat(np.cumsum(n_targets) - n_targets, n_targets)
        prices = np.full((n, width), np.nan)
        allocations = np.zeros((n, width))
        prices[rows, cols] = [t.price for ladder in ladders for t in ladder]
        allocations[rows, cols] = [t.allocation for ladder in ladders for t in ladder]
        total = np.zeros(n)
        for k in range(width):  # left to right, as Python's sum()
            total = total + allocations[:, k]
        return cls(
            signals=signals, long=np.array([s.direction == "long" for s in signals], dtype=bool),
            start=start, expires=start + minutes * _NS_PER_MINUTE,
            entry=np.array([s.entry for s in signals], dtype=np.float64),
            stop=np.array([s.stop_loss for s in signals], dtype=np.float64),
            prices=prices, fractions=allocations / total[:, None], n_targets=n_targets,
            breakeven=np.array([s.breakeven_after_tp1 for s in signals], dtype=bool),
        )


@dataclass(eq=False)
class BatchOutcomes:
    """The outcomes of ``evaluate_batch`` as arrays (one row per signal); ``outcome(i)`` builds one model.

    Times are int64 ns since the epoch. Targets: ``targets_hit`` (k), ``target_time[:, :k]``,
    ``target_resolved[:, :k]`` (codes of `RESOLUTIONS`); prices and fractions are the signal's. The closing
    fill: ``exit_kind`` (codes of `EXIT_KINDS`), ``exit_time``, ``exit_price`` (before slippage),
    ``exit_fraction``, ``exit_resolved``. ``status`` holds codes of `STATUSES` (``status_names()``).
    """

    signals: SignalArrays
    candles: Candles
    detail: Candles | None
    settings: EvaluationSettings
    horizon: I64
    targets_hit: I64
    target_time: I64
    target_resolved: NDArray[np.int8]
    exit_kind: NDArray[np.int8]
    exit_time: I64
    exit_price: F64
    exit_fraction: F64
    exit_resolved: NDArray[np.int8]
    closed: B
    closed_at: I64
    pessimistic: B
    detail_resolved: B
    entry_fill: F64 = field(init=False)
    gross_pnl: F64 = field(init=False)
    fees: F64 = field(init=False)
    net_pnl: F64 = field(init=False)
    closed_fraction: F64 = field(init=False)
    open_fraction: F64 = field(init=False)
    expected_candles: I64 = field(init=False)
    present_candles: I64 = field(init=False)
    coverage: F64 = field(init=False)
    largest_gap_candles: I64 = field(init=False)
    score: F64 = field(init=False)
    first_gap: I64 = field(init=False)
    """Start of the window's first missing candle, ``-1`` when none."""
    status: NDArray[np.int8] = field(init=False)
    duration_ns: I64 = field(init=False)
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

    def raw_fills(self, i: int) -> list[tuple[FillKind, int | None, int, float, float, Resolution]]:
        """Signal ``i``'s fills as ``(kind, target, time_ns, price, fraction, resolved_by)``, in order."""
        fills: list[tuple[FillKind, int | None, int, float, float, Resolution]] = [
            ("target", k + 1, int(self.target_time[i, k]), float(self.signals.prices[i, k]),
             float(self.signals.fractions[i, k]), RESOLUTIONS[self.target_resolved[i, k]])
            for k in range(int(self.targets_hit[i]))]
        kind = EXIT_KINDS[self.exit_kind[i]]
        if kind is not None:
            fills.append((kind, None, int(self.exit_time[i]), float(self.exit_price[i]),
                          float(self.exit_fraction[i]), RESOLUTIONS[self.exit_resolved[i]]))
        return fills

    def outcome(self, i: int) -> SignalOutcome:
        """The `SignalOutcome` of signal ``i``, equal to ``evaluate(signal, candles, ...)``."""
        signal = self.signals.signals[i]
        assert signal.generated_at is not None
        settings = self.settings
        s = 1.0 if self.signals.long[i] else -1.0
        fills = [Fill(kind=kind, target=target, time=from_ns(ns), price=price,
                      fill_price=price * (1 - s * settings.slippage), fraction=fraction, resolved_by=resolved)
                 for kind, target, ns, price, fraction, resolved in self.raw_fills(i)]
        hit_at: list[datetime | None] = [None] * int(self.signals.n_targets[i])
        for fill in fills[:int(self.targets_hit[i])]:
            hit_at[fill.target - 1] = fill.time  # type: ignore[operator]
        stop_hit_at = fills[-1].time if self.exit_kind[i] in (1, 2) else None
        start, horizon = int(self.signals.start[i]), int(self.horizon[i])
        decision = int(self.closed_at[i]) if self.closed[i] else horizon
        return SignalOutcome(
            symbol=signal.symbol, direction=signal.direction, signal_timeframe=signal.timeframe,
            candle_timeframe=self.candles.timeframe,
            detail_timeframe=self.detail.timeframe if self.detail is not None else None,
            generated_at=signal.generated_at, expires_at=from_ns(int(self.signals.expires[i])),
            evaluated_until=from_ns(horizon), status=STATUSES[self.status[i]], entry=signal.entry,
            entry_fill_price=float(self.entry_fill[i]), size=settings.size, fee_rate=settings.fee,
            slippage_rate=settings.slippage, fills=fills, targets_hit_at=hit_at, stop_hit_at=stop_hit_at,
            stop_was_breakeven=bool(self.exit_kind[i] == 2), closed_fraction=float(self.closed_fraction[i]),
            open_fraction=float(self.open_fraction[i]),
            closed_at=from_ns(int(self.closed_at[i])) if self.closed[i] else None,
            duration=from_ns(decision) - signal.generated_at,
            gross_pnl=float(self.gross_pnl[i]), gross_pnl_pct=float(self.gross_pnl_pct[i]),
            fees=float(self.fees[i]), net_pnl=float(self.net_pnl[i]), net_pnl_pct=float(self.net_pnl_pct[i]),
            data_quality=assess(self.candles, start, horizon), notes=self._notes(i),
        )

    def to_outcomes(self) -> list[SignalOutcome]:
        return [self.outcome(i) for i in range(len(self))]

    def _notes(self, i: int) -> list[str]:
        if i in self.notes:
            return list(self.notes[i])
        if not self.pessimistic[i]:
            return []
        when = from_ns(int(self.exit_time[i])).isoformat()
        return [f"candle {when} ({self.candles.timeframe}) touched TP{int(self.targets_hit[i]) + 1} and the "
                "stop; assumed the stop first (pessimistic)"]


class _Touches:
    """First-touch queries over candles ``[a, b)``: ``first(index, threshold)`` on the high or ``−low`` rows.

    ``v = [high[a:b], pad, −low[a:b], pad]`` with NaN and the padding at −inf (never a touch); ``table[k][j]``
    is the maximum of ``v[j : j + 2^k]``. Lifting from ``j`` by ``2^K, …, 2, 1`` while the block stays below
    the threshold ends on the first touch, or ``2^(K+1) − 1`` candles on, which is past every window here.
    """

    def __init__(self, candles: Candles, a: int, b: int, levels: int) -> None:
        self.a, self.m, pad = a, b - a, 1 << levels
        v = np.full(2 * (self.m + pad), -np.inf)
        v[:self.m] = candles.high[a:b]
        v[self.m + pad:2 * self.m + pad] = -candles.low[a:b]
        v[np.isnan(v)] = -np.inf
        self.width, self.levels, self.low_offset = len(v), levels, self.m + pad - a
        table = np.empty((levels, len(v)))
        table[0] = v
        for k in range(1, levels):
            h = 1 << (k - 1)
            table[k, -h:] = table[k - 1, -h:]
            np.maximum(table[k - 1, :-h], table[k - 1, h:], out=table[k, :-h])
        self.flat = table.ravel()

    def first(self, on_low: B, index: I64, threshold: F64, hi: I64) -> I64:
        """First candle ``≥ index`` where ``high ≥ threshold`` (``−low ≥ threshold`` where ``on_low``); ``hi``
        when none before ``hi``."""
        pos = index + np.where(on_low, self.low_offset, -self.a)
        for k in range(self.levels - 1, -1, -1):
            below = self.flat[k * self.width + pos] < threshold
            pos += below.astype(np.int64) << k
        return np.minimum(pos - np.where(on_low, self.low_offset, -self.a), hi)


def _gather(values: NDArray, index: I64) -> NDArray:
    """``values[index]`` with out-of-range indices clipped (their results are masked by the caller)."""
    return values[np.clip(index, 0, max(len(values) - 1, 0))] if len(values) else np.zeros(len(index),
                                                                                           values.dtype)


def _walk_chunk(out: dict[str, NDArray], idx: I64, sig: SignalArrays, candles: Candles, lo: I64, hi: I64,
                detail: Candles | None) -> list[int]:
    """Fills of the signals ``idx`` (sorted by window start) into ``out``; returns those needing detail."""
    time, step = candles.time, candles.step
    lo, hi = lo[idx], hi[idx]
    n, width = len(idx), sig.prices.shape[1]
    long, entry, stop = sig.long[idx], sig.entry[idx], sig.stop[idx]
    ntp, breakeven = sig.n_targets[idx], sig.breakeven[idx]
    prices, fractions = sig.prices[idx], sig.fractions[idx]
    window = int((hi - lo).max())
    touches = _Touches(candles, int(lo.min()), int(hi.max()), max(1, window.bit_length()))

    # Pass 1: every target and the original stop, from the window start.
    valid = np.arange(width) < ntp[:, None]
    rows, cols = np.nonzero(valid)
    level_sign = np.where(long, 1.0, -1.0)
    q_low = np.concatenate((~long[rows], long))
    q_index = np.concatenate((lo[rows], lo))
    q_thr = np.concatenate((level_sign[rows] * prices[rows, cols], -level_sign * stop))
    q_hi = np.concatenate((hi[rows], hi))
    found = touches.first(q_low, q_index, q_thr, q_hi)
    target = np.broadcast_to(hi[:, None], (n, width)).copy()
    target[rows, cols] = found[:len(rows)]
    first_stop = found[len(rows):]

    # Pass 2: the break-even stop (the entry) from the candle after TP1's.
    tp1 = target[:, 0]
    be_stop = hi.copy()
    need = breakeven & (tp1 < first_stop) & (ntp > 1)
    if need.any():
        after = np.searchsorted(time, _gather(time, tp1[need]) + step, "left").astype(np.int64)
        after = np.minimum(after, hi[need])
        be_stop[need] = touches.first(long[need], after, -level_sign[need] * entry[need], hi[need])

    # Targets fill while their touch comes strictly before the stop in force.
    hits = np.zeros(n, dtype=np.int64)
    alive = np.ones(n, dtype=bool)
    for k in range(width):
        in_force = first_stop if k == 0 else np.where(breakeven, be_stop, first_stop)
        alive &= (k < ntp) & (target[:, k] < in_force)
        hits += alive
    done = hits == ntp
    on_breakeven = breakeven & (hits > 0)
    stop_at = np.where(on_breakeven, be_stop, first_stop)
    next_touch = np.take_along_axis(target, np.minimum(hits, width - 1)[:, None], 1)[:, 0]
    stopped = ~done & (stop_at < hi)
    ambiguous = stopped & (next_touch == stop_at)

    fallback = np.zeros(n, dtype=bool)
    if detail is not None and ambiguous.any():
        at = _gather(time, stop_at[ambiguous])
        d_lo = np.searchsorted(detail.time, at, "left")
        d_hi = np.searchsorted(detail.time, at + step, "left")
        fallback[ambiguous] = d_hi - d_lo == step // detail.step

    # Remaining fraction after k targets: Σ fractions[k:], left to right, capped at 1 (as _Walk.remaining).
    remaining = np.zeros((n, width + 1))
    for j in range(width):
        acc = fractions[:, j].copy()
        for m in range(j + 1, width):
            acc = acc + fractions[:, m]
        remaining[:, j] = np.minimum(1.0, acc)
    left = np.take_along_axis(remaining, hits[:, None], 1)[:, 0]

    last = np.maximum(hi - 1, 0)
    has_candles = hi > lo
    out["targets_hit"][idx] = hits
    out["target_time"][idx] = np.where(np.arange(width) < hits[:, None], _gather(time, target), 0)
    out["exit_kind"][idx] = np.select([done, stopped], [0, np.where(on_breakeven, 2, 1)], 3)
    out["exit_time"][idx] = np.select([done, stopped],
                                      [0, _gather(time, stop_at)],
                                      np.where(has_candles, _gather(time, last), sig.start[idx]))
    out["exit_price"][idx] = np.select([done, stopped], [0.0, np.where(on_breakeven, entry, stop)],
                                       np.where(has_candles, _gather(candles.close, last), entry))
    out["exit_fraction"][idx] = np.where(done, 0.0, left)
    out["exit_resolved"][idx] = np.where(ambiguous, 2, 0)
    out["closed"][idx] = done | stopped
    last_target = np.take_along_axis(target, np.maximum(hits - 1, 0)[:, None], 1)[:, 0]
    out["closed_at"][idx] = np.select([done, stopped], [_gather(time, last_target), _gather(time, stop_at)],
                                      -1)
    out["pessimistic"][idx] = ambiguous & ~fallback
    return idx[fallback].tolist()


def _rewalk(out: dict[str, NDArray], notes: dict[int, list[str]], i: int, sig: SignalArrays, candles: Candles,
            lo: int, hi: int, detail: Candles) -> None:
    """The single-signal walk for a signal whose ambiguous candle detail candles can decide."""
    n = int(sig.n_targets[i])
    walk = _Walk(long=bool(sig.long[i]), entry=float(sig.entry[i]), prices=sig.prices[i, :n].tolist(),
                 fractions=sig.fractions[i, :n].tolist(), breakeven=bool(sig.breakeven[i]),
                 stop=float(sig.stop[i]), stop_from=int(sig.start[i]))
    _walk(walk, candles, lo, hi, detail, "candle")
    targets = [f for f in walk.fills if f.kind == "target"]
    out["targets_hit"][i] = len(targets)
    out["target_time"][i] = 0
    for k, f in enumerate(targets):
        out["target_time"][i, k] = f.time
        out["target_resolved"][i, k] = RESOLUTIONS.index(f.resolved_by)
    out["closed"][i] = walk.closed
    out["pessimistic"][i] = False
    out["detail_resolved"][i] = True
    notes[i] = walk.notes
    if walk.closed:
        out["closed_at"][i] = walk.fills[-1].time
        exit_fill = walk.fills[-1]
        if exit_fill.kind == "target":
            out["exit_kind"][i], out["exit_fraction"][i] = 0, 0.0
            return
        out["exit_kind"][i] = EXIT_KINDS.index(exit_fill.kind)
        out["exit_time"][i], out["exit_price"][i] = exit_fill.time, exit_fill.price
        out["exit_fraction"][i] = exit_fill.fraction
        out["exit_resolved"][i] = RESOLUTIONS.index(exit_fill.resolved_by)
        return
    out["closed_at"][i] = -1
    out["exit_kind"][i], out["exit_resolved"][i], out["exit_fraction"][i] = 3, 0, walk.remaining()
    if hi > lo:
        out["exit_time"][i], out["exit_price"][i] = candles.time[hi - 1], candles.close[hi - 1]
    else:
        out["exit_time"][i], out["exit_price"][i] = sig.start[i], sig.entry[i]


def _chunks(lo: I64, hi: I64) -> list[I64]:
    """Signal indices sorted by window start, cut so one chunk's first-touch table stays under budget."""
    order = np.argsort(lo, kind="stable")
    if not len(order):
        return []
    window = int((hi - lo).max())
    levels = max(1, window.bit_length())
    span = max(window + 1, _TABLE_BYTES // (levels * 16) - (1 << levels))
    starts = lo[order]
    chunks, i = [], 0
    while i < len(order):
        end = int(np.searchsorted(starts, starts[i] + span - window, "left"))
        end = min(max(end, i + 1), i + _CHUNK_SIGNALS, len(order))
        chunks.append(order[i:end])
        i = end
    return chunks


def _quality(out: BatchOutcomes, candles: Candles, start: I64, horizon: I64) -> None:
    """Coverage, largest gap and first missing candle of every window, as ``assess`` finds them."""
    time, step = candles.time, candles.step
    first_slot = -(-start // step) * step
    expected = np.maximum(0, -(-(horizon - first_slot) // step))
    lo = np.searchsorted(time, first_slot, "left").astype(np.int64)
    hi = np.searchsorted(time, horizon, "left").astype(np.int64)
    present = hi - lo
    end_slot = first_slot + expected * step
    some = present > 0
    lead = np.where(some, (_gather(time, lo) - (first_slot - step)) // step - 1, expected)
    trail = np.where(some, (end_slot - _gather(time, hi - 1)) // step - 1, 0)
    # Interior gaps: before candle j (lo < j < hi) when time[j] − time[j−1] > step; few, so a sparse table.
    missing_before = np.diff(time) // step - 1
    at = np.flatnonzero(missing_before > 0) + 1
    sizes = missing_before[at - 1]
    g_lo = np.searchsorted(at, lo + 1, "left")
    g_hi = np.searchsorted(at, hi, "left")
    inner = np.zeros(len(start), dtype=np.int64)
    has_inner = some & (g_hi > g_lo)
    if has_inner.any():
        table = [sizes]
        while (1 << len(table)) <= len(sizes):
            prev, h = table[-1], 1 << (len(table) - 1)
            table.append(np.maximum(prev[:-h], prev[h:]))
        a, b = g_lo[has_inner], g_hi[has_inner]
        k = np.frexp((b - a).astype(np.float64))[1] - 1
        inner[has_inner] = _range_max(table, k, a, b)
    largest = np.maximum(np.maximum(np.maximum(lead, trail), inner), 0)
    first_inner = np.where(has_inner, _gather(time, _gather(at, g_lo) - 1) + step, -1)
    first_gap = np.select([lead > 0, has_inner, trail > 0],
                          [first_slot, first_inner, _gather(time, hi - 1) + step], -1)
    empty = expected == 0
    out.expected_candles = expected
    out.present_candles = np.where(empty, 0, present)
    with np.errstate(divide="ignore", invalid="ignore"):
        coverage = present / expected
        out.coverage = np.where(empty, 1.0, coverage)
        out.score = np.where(empty, 1.0, coverage * (1 - largest / expected))
    out.largest_gap_candles = np.where(empty, 0, largest)
    out.first_gap = np.where(empty, -1, first_gap)


def _range_max(table: list[I64], k: I64, a: I64, b: I64) -> I64:
    result = np.empty(len(k), dtype=np.int64)
    for level in np.unique(k).tolist():
        sel = k == level
        row = table[level]
        result[sel] = np.maximum(row[a[sel]], row[b[sel] - (1 << level)])
    return result


def _money(out: BatchOutcomes, sig: SignalArrays, settings: EvaluationSettings) -> None:
    """Entry fill, gross/net P/L and fees, summed fill by fill in the order and grouping of ``_money``."""
    s = np.where(sig.long, 1.0, -1.0)
    size, fee, slippage = settings.size, settings.fee, settings.slippage
    entry_fill = sig.entry * (1 + s * slippage)
    quantity = size / entry_fill
    gross, traded = np.zeros(len(sig)), np.zeros(len(sig))
    fees = np.full(len(sig), fee * size)
    fractions_sum = np.zeros(len(sig))

    def add(mask: B, price: F64, fraction: F64) -> None:
        nonlocal gross, traded, fees, fractions_sum
        exit_fill = price * (1 - s * slippage)
        gross = gross + np.where(mask, s * size * fraction * (price / sig.entry - 1), 0.0)
        traded = traded + np.where(mask, s * fraction * quantity * (exit_fill - entry_fill), 0.0)
        fees = fees + np.where(mask, fee * fraction * quantity * exit_fill, 0.0)
        fractions_sum = fractions_sum + np.where(mask, fraction, 0.0)

    with np.errstate(invalid="ignore"):
        for k in range(sig.prices.shape[1]):
            add(k < out.targets_hit, sig.prices[:, k], sig.fractions[:, k])
        add(out.exit_kind != 0, out.exit_price, out.exit_fraction)
    out.entry_fill, out.gross_pnl, out.fees, out.net_pnl = entry_fill, gross, fees, traded - fees
    out.open_fraction = np.where(out.exit_kind == 3, out.exit_fraction, 0.0)
    out.closed_fraction = np.minimum(1.0, fractions_sum - out.open_fraction)


def _status(out: BatchOutcomes, sig: SignalArrays, settings: EvaluationSettings) -> None:
    decision = np.where(out.closed, out.closed_at, out.horizon)
    gap_before = (out.first_gap >= 0) & (out.first_gap // 1_000 * 1_000 < decision)  # gaps are µs datetimes
    touched = (out.targets_hit > 0) | (out.exit_kind == 1) | (out.exit_kind == 2)
    incomplete = (out.coverage < settings.min_coverage) | gap_before
    active = ~out.closed & (out.horizon < sig.expires)
    out.status = np.select([incomplete, active, ~touched, out.net_pnl > 0], [0, 1, 2, 3], 4).astype(np.int8)
    out.duration_ns = decision // 1_000 * 1_000 - sig.start


def evaluate_batch(signals: Sequence[TradeSignal] | SignalArrays, candles: Candles, *,
                   detail: Candles | None = None, settings: EvaluationSettings = DEFAULT_SETTINGS
                   ) -> BatchOutcomes:
    """The outcomes of many signals of one pair on ``candles`` (optionally refined by ``detail``), at once.

    Same rules and same results as ``evaluate`` (module doc of `gentrade.signals.evaluate`); ``signals``
    may be prepared once with ``SignalArrays.from_signals``.
    """
    sig = signals if isinstance(signals, SignalArrays) else SignalArrays.from_signals(signals)
    if sig.signals:
        _check_inputs(sig.signals[0], candles, detail)
    wrong = {s.symbol for s in sig.signals} - {candles.pair}
    if wrong:
        raise ConfigError(f"candles are for {candles.pair}, the signals are for {', '.join(sorted(wrong))}")
    n, width = len(sig), sig.prices.shape[1]
    data_end = candles.end
    horizon = sig.expires.copy() if data_end is None else np.maximum(sig.start, np.minimum(sig.expires,
                                                                                           data_end))
    lo = np.searchsorted(candles.time, sig.start, "left").astype(np.int64)
    hi = np.searchsorted(candles.time, horizon, "left").astype(np.int64)
    arrays: dict[str, NDArray] = {
        "targets_hit": np.zeros(n, np.int64), "target_time": np.zeros((n, width), np.int64),
        "target_resolved": np.zeros((n, width), np.int8), "exit_kind": np.zeros(n, np.int8),
        "exit_time": np.zeros(n, np.int64), "exit_price": np.zeros(n), "exit_fraction": np.zeros(n),
        "exit_resolved": np.zeros(n, np.int8), "closed": np.zeros(n, bool),
        "closed_at": np.zeros(n, np.int64), "pessimistic": np.zeros(n, bool),
        "detail_resolved": np.zeros(n, bool),
    }
    rewalk: list[int] = []
    for idx in _chunks(lo, hi):
        rewalk += _walk_chunk(arrays, idx, sig, candles, lo, hi, detail)
    notes: dict[int, list[str]] = {}
    for i in rewalk:
        assert detail is not None
        _rewalk(arrays, notes, i, sig, candles, int(lo[i]), int(hi[i]), detail)
    out = BatchOutcomes(signals=sig, candles=candles, detail=detail, settings=settings, horizon=horizon,
                        notes=notes, **arrays)
    _money(out, sig, settings)
    _quality(out, candles, sig.start, horizon)
    _status(out, sig, settings)
    return out

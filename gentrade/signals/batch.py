"""Many signals over one candle array at once: the rules of `gentrade.signals.evaluate`, as numpy over arrays.

``evaluate_batch`` judges every signal of one pair against the same candles in a fixed number of numpy passes
whatever the number of signals, and returns a `BatchOutcomes` struct of arrays; a `SignalOutcome` (pydantic,
with the data-quality gaps listed) is only built when asked for (``outcome(i)``, ``to_outcomes()``). The
results are exactly those of ``evaluate`` (same fills, same floats, same statuses): the P/L sums run in the
same order as there, and a property test holds the two paths to it.

How
    *Signals to columns*: reading the pydantic models is the largest single cost of a batch, so
    ``SignalArrays.from_signals`` reads every field in one C-level pass (``map`` over the instance dicts)
    and the targets in one pass per field, never through model attributes or a Python loop.
    *Windows*: candles on their timeframe's grid map a time to its index by slot arithmetic (a prefix count
    of the occupied slots, one gather for all signals); others by ``searchsorted`` (keys in time order).
    *First touches*: "the first candle at or after ``lo`` whose high ≥ level" (a low ≤ level is the same
    query on ``−low``) is answered for every (signal, level) together by binary lifting over a sparse table
    of running maxima (``table[k][j] = max(v[j : j + 2^k])``): ``log2(window)`` vectorized steps, each one
    gather and one compare over all the queries, so the cost does not grow with the window length. The table
    covers only the candles the signals' windows reach, and signals are chunked so one chunk's table stays
    under ``_TABLE_BYTES``.
    *The walk*: the targets lie beyond one another, so each target's first touch from the window start is
    where the walk fills it; the stop in force is the original stop's first touch, or with break-even after
    TP1 a second search for the entry starting at the candle after TP1's. Target k fills when its touch comes
    strictly before the stop's; equal indices are a candle touching both.
    *A candle touching a target and the stop*: the pessimistic stop is vectorized; only a signal whose
    ambiguous candle is fully covered by ``detail`` candles is re-walked with the single-signal code
    (``BatchOutcomes.detail_resolved`` marks them).
    *Data quality*: the gaps of the candles are found once per call (one ``diff``, then a prefix count of
    them per candle); a window's coverage is an index difference and its largest gap a range maximum over
    the (few) gaps, O(1) per signal. The gaps are listed only when one outcome is materialized.
    *Money*: each formula runs once over a (legs × signals) matrix; only the sums go leg by leg, in the
    order ``evaluate`` adds them, so the floats are the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from itertools import chain
from operator import attrgetter, itemgetter
from typing import cast

import numpy as np
from numpy.typing import NDArray

from gentrade.errors import ConfigError, SpecValidationError
from gentrade.signals.candles import Candles, assess, from_ns, to_ns
from gentrade.signals.evaluate import DEFAULT_SETTINGS, _check_detail, _Walk, _walk
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
    "incomplete_data",
    "active",
    "expired",
    "completed_success",
    "completed_failure",
)
EXIT_KINDS: tuple[FillKind | None, ...] = (None, "stop", "breakeven_stop", "mark")
"""``exit_kind`` codes: 0 closed by its last target (no closing fill), 1 stop, 2 break-even stop, 3 mark."""
RESOLUTIONS: tuple[Resolution, ...] = ("candle", "detail", "pessimistic")
_NS_PER_MINUTE = 60_000_000_000
_TABLE_BYTES = 48 * 2**20
_CHUNK_SIGNALS = 65_536
_GRID_SLOTS_PER_CANDLE = 4  # the slot table of `_Search` at most this many times the candles
_EXACT_SECONDS = 2**31  # |timestamp()| below this: float seconds → µs round-trips exactly

I64 = NDArray[np.int64]
I8 = NDArray[np.int8]
F64 = NDArray[np.float64]
B = NDArray[np.bool_]
RawFill = tuple[FillKind, int | None, int, float, float, Resolution]
_SIGNAL_FIELDS = (
    "symbol",
    "direction",
    "timeframe",
    "valid_for_candles",
    "entry",
    "stop_loss",
    "breakeven_after_tp1",
    "generated_at",
    "take_profits",
)
_SIGNAL_ROW = itemgetter(*_SIGNAL_FIELDS)
_PRICE, _ALLOCATION = attrgetter("price"), attrgetter("allocation")


@dataclass(frozen=True, eq=False)
class SignalArrays:
    """Signals as columns: times in ns, levels, targets padded to the widest ladder (price NaN, weight 0).

    ``generated_at`` and ``timeframes`` are kept as given, for the outcomes built from the arrays (a stored
    datetime keeps its offset); the rest is numbers.
    """

    generated_at: tuple[datetime, ...]
    timeframes: tuple[str, ...]
    long: B
    start: I64
    expires: I64
    entry: F64
    stop: F64
    prices: F64
    fractions: F64
    n_targets: I64
    breakeven: B
    pairs: frozenset[str]
    """The signals' symbols, read in the same pass as the rest: ``evaluate_batch`` checks them for free."""

    def __len__(self) -> int:
        return len(self.start)

    @classmethod
    def from_signals(cls, signals: Sequence[TradeSignal]) -> SignalArrays:
        """Columns of ``signals``; fractions are ``allocation / Σ allocation`` summed as in ``evaluate``.

        Reading the models is most of the cost of a batch (their objects are mostly out of the CPU caches by
        then, so each pass over them costs), so the signal fields come from one C-level pass over the
        instance dicts (pydantic keeps the values there), the columns being slices of that one flat list,
        and each target field from one ``attrgetter`` pass (cheaper than fetching 3 dicts per signal).
        """
        flat = [*chain.from_iterable(map(_SIGNAL_ROW, map(vars, signals)))]
        symbols, directions, timeframes, valid, entry, stop, breakeven, generated, ladders = (
            flat[k :: len(_SIGNAL_FIELDS)] for k in range(len(_SIGNAL_FIELDS))
        )
        targets = [*chain.from_iterable(ladders)]
        return cls.from_columns(
            symbols=symbols,
            directions=directions,
            timeframes=timeframes,
            valid_for_candles=valid,
            entry=entry,
            stop=stop,
            breakeven=breakeven,
            generated_at=generated,
            n_targets=[*map(len, ladders)],
            target_prices=map(_PRICE, targets),
            target_allocations=map(_ALLOCATION, targets),
        )

    @classmethod
    def from_columns(
        cls,
        *,
        symbols: Sequence[str],
        directions: Sequence[str],
        timeframes: Sequence[str],
        valid_for_candles: Sequence[int],
        entry: Sequence[float],
        stop: Sequence[float],
        breakeven: Sequence[bool],
        generated_at: Sequence[datetime | None],
        n_targets: Sequence[int],
        target_prices: Iterable[float],
        target_allocations: Iterable[float],
    ) -> SignalArrays:
        """Columns given field by field (one entry per signal, the targets flat in ladder order), for
        callers holding the fields but no models (stored rows): equal to ``from_signals`` of those signals.
        """
        n = len(generated_at)
        if None in generated_at:
            raise SpecValidationError(
                "generated_at: a signal needs its generation time to be evaluated",
                details=[{"path": "generated_at", "message": "required for evaluation"}],
            )
        generated = cast(tuple[datetime, ...], tuple(generated_at))
        start = _start_ns(generated)
        per_candle = np.fromiter(map(TIMEFRAME_MINUTES.__getitem__, timeframes), dtype=np.int64, count=n)
        ladder = np.fromiter(n_targets, dtype=np.int64, count=n)
        width = int(ladder.max()) if n else 1
        count = int(ladder.sum())
        present = np.arange(width) < ladder[:, None]  # row-major: the targets in ladder order
        prices = np.full((n, width), np.nan)
        allocations = np.zeros((n, width))
        prices[present] = np.fromiter(target_prices, dtype=np.float64, count=count)
        allocations[present] = np.fromiter(target_allocations, dtype=np.float64, count=count)
        total = np.zeros(n)
        for k in range(width):  # left to right, as Python's sum()
            total = total + allocations[:, k]
        return cls(
            generated_at=generated,
            timeframes=tuple(timeframes),
            long=np.array(directions, dtype=object) == "long",
            start=start,
            expires=start
            + per_candle * np.fromiter(valid_for_candles, dtype=np.int64, count=n) * _NS_PER_MINUTE,
            entry=np.fromiter(entry, dtype=np.float64, count=n),
            stop=np.fromiter(stop, dtype=np.float64, count=n),
            prices=prices,
            fractions=allocations / total[:, None],
            n_targets=ladder,
            breakeven=np.fromiter(breakeven, dtype=bool, count=n),
            pairs=frozenset(symbols),
        )


def _start_ns(generated: Sequence[datetime]) -> I64:
    """``to_ns`` of every time: through float seconds (one C call each) while that round-trips exactly."""
    seconds = np.fromiter(map(datetime.timestamp, generated), dtype=np.float64, count=len(generated))
    if len(generated) and np.abs(seconds).max() < _EXACT_SECONDS:
        return np.rint(seconds * 1e6).astype(np.int64) * 1_000
    return np.fromiter(map(to_ns, generated), dtype=np.int64, count=len(generated))


@dataclass(eq=False)
class BatchOutcomes:
    """The outcomes of ``evaluate_batch`` as arrays (one row per signal); ``outcome(i)`` builds one model.

    Times are int64 ns since the epoch. Targets: ``targets_hit`` (k), ``target_time[:, :k]``,
    ``target_resolved[:, :k]`` (codes of `RESOLUTIONS`); prices and fractions are the signal's. The closing
    fill: ``exit_kind`` (codes of `EXIT_KINDS`), ``exit_time``, ``exit_price`` (before slippage),
    ``exit_fraction``, ``exit_resolved``. ``status`` holds codes of `STATUSES` (``status_names()``);
    ``first_gap`` is the start of the window's first missing candle (``-1``: none); ``closed_at`` is ``-1``
    while the position is open. ``pessimistic``: a candle touched a target and the stop and the stop was
    assumed first; ``detail_resolved``: such a candle was decided with detail candles.
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
        """Signal ``i``'s fills as ``(kind, target, time_ns, price, fraction, resolved_by)``, in order."""
        fills: list[RawFill] = [
            (
                "target",
                k + 1,
                int(self.target_time[i, k]),
                float(self.signals.prices[i, k]),
                float(self.signals.fractions[i, k]),
                RESOLUTIONS[self.target_resolved[i, k]],
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
            )
            for kind, target, ns, price, fraction, resolved in self.raw_fills(i)
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
            entry_fill_price=float(self.entry_fill[i]),
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
    _check_detail(candles, detail)
    wrong = sig.pairs - {candles.pair}
    if wrong:
        raise ConfigError(f"candles are for {candles.pair}, the signals are for {', '.join(sorted(wrong))}")
    columns, notes = _columns(sig, candles, detail, settings)
    return BatchOutcomes(
        signals=sig, candles=candles, detail=detail, settings=settings, notes=notes, **columns
    )


_COLUMNS = tuple(f.name for f in fields(BatchOutcomes))[4:-1]


class _Search:
    """``searchsorted(time, keys, "left")`` for many keys at once.

    Candles on their timeframe's grid (the usual case) are answered by arithmetic: ``below[s]`` counts the
    candles in the grid slots before slot ``s``, so a key's index is ``below[ceil((key - t0) / step)]``, one
    division and one gather, several times cheaper than a binary search per key. Other candles (off the
    grid, or so sparse that the slot table would dwarf them) go through ``searchsorted``, the keys passed in
    time order (numpy's search is several times faster on sorted keys).
    """

    def __init__(self, time: I64, step: int, start: I64) -> None:
        self.time, self.step = time, step
        self.t0 = int(time[0]) if len(time) else 0
        self.below: I64 | None = None
        self.order: I64 | None = None
        slots = (int(time[-1]) - self.t0) // step + 1 if len(time) else 0
        slot, off = (
            np.divmod(time - self.t0, step) if 0 < slots <= _GRID_SLOTS_PER_CANDLE * len(time) else (0, 1)
        )
        if not np.any(off):
            present = np.zeros(slots + 1, dtype=np.int64)
            present[1:][slot] = 1
            self.below = np.cumsum(present)
        elif not bool((start[1:] >= start[:-1]).all()):
            self.order = np.argsort(start, kind="stable")

    def __call__(self, keys: I64) -> I64:
        if self.below is not None:
            slot = (keys - self.t0 + (self.step - 1)) // self.step
            return self.below.take(slot, mode="clip")
        if self.order is None:
            return np.searchsorted(self.time, keys, "left").astype(np.int64)
        found = np.empty(len(keys), dtype=np.int64)
        found[self.order] = np.searchsorted(self.time, keys[self.order], "left")
        return found


def _columns(
    sig: SignalArrays, candles: Candles, detail: Candles | None, settings: EvaluationSettings
) -> tuple[dict[str, NDArray], dict[int, list[str]]]:
    """All the array columns of `BatchOutcomes`, and the notes of the signals decided by detail candles."""
    n, width = len(sig), sig.prices.shape[1]
    data_end = candles.end
    horizon = (
        sig.expires.copy() if data_end is None else np.maximum(sig.start, np.minimum(sig.expires, data_end))
    )
    search = _Search(candles.time, candles.step, sig.start)
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
    }
    rewalk: list[int] = []
    for chunk in _chunks(lo, hi):
        rewalk += _walk_chunk(out, chunk, sig, candles, lo, hi, detail, search.below is not None)
    notes: dict[int, list[str]] = {}
    for i in rewalk:
        assert detail is not None
        _rewalk(out, notes, i, sig, candles, int(lo[i]), int(hi[i]), detail)
    _money(out, sig, settings)
    _quality(out, candles, sig.start, horizon, search, lo, hi)
    _status(out, sig, settings)
    assert set(out) == set(_COLUMNS)
    return out, notes


def _chunks(lo: I64, hi: I64) -> list[slice | I64]:
    """Groups of signals whose first-touch table stays under ``_TABLE_BYTES`` (one group when all fit)."""
    if not len(lo):
        return []
    window = int((hi - lo).max())
    levels = max(1, window.bit_length())
    span = max(window + 1, _TABLE_BYTES // (levels * 16) - (1 << levels))
    if int(hi.max()) - int(lo.min()) <= span and len(lo) <= _CHUNK_SIGNALS:
        return [slice(None)]
    order = np.argsort(lo, kind="stable")
    starts = lo[order]
    chunks: list[slice | I64] = []
    i = 0
    while i < len(order):
        end = int(np.searchsorted(starts, starts[i] + span - window, "left"))
        end = min(max(end, i + 1), i + _CHUNK_SIGNALS, len(order))
        chunks.append(order[i:end])
        i = end
    return chunks


class _Touches:
    """First-touch queries over candles ``[a, b)``, on the highs or on ``−low``.

    ``v = [high[a:b], pad, −low[a:b], pad]`` with NaN and the padding at −inf (never a touch); ``table[k][j]``
    is the maximum of ``v[j : j + 2^k]``. Lifting from ``j`` by ``2^K, …, 2, 1`` while the block stays below
    the threshold ends on the first touch, or ``2^(K+1) − 1`` candles on, which is past every window here.
    """

    def __init__(self, candles: Candles, a: int, b: int, levels: int) -> None:
        m, pad = b - a, 1 << levels
        table = np.empty((levels, 2 * (m + pad)))  # only the padding is filled: the rest is overwritten
        v = table[0]
        v[:m] = candles.high[a:b]
        v[m : m + pad] = v[2 * m + pad :] = -np.inf
        np.negative(candles.low[a:b], out=v[m + pad : 2 * m + pad])
        v[np.isnan(v)] = -np.inf
        for k in range(1, levels):  # the padding (≥ 2^levels of −inf) keeps every block past the end −inf
            h = 1 << (k - 1)
            np.maximum(table[k - 1, :-h], table[k - 1, h:], out=table[k, :-h])
            table[k, -h:] = -np.inf
        self.table = list(table)
        self.high_offset, self.low_offset = -a, m + pad - a

    def first(self, on_low: B, index: I64, threshold: F64, hi: I64) -> I64:
        """First candle ``≥ index`` with ``high ≥ threshold`` (``−low ≥ threshold`` where ``on_low``), else
        ``hi``; the arguments broadcast (a signal's ladder is one column of queries). A threshold of +inf
        is never touched.

        The positions are int32 (a chunk's table is far below 2^31 entries: half the memory traffic of the
        gathers) and always inside the table (the padding), so the gathers skip the bounds check.
        """
        offset = np.where(on_low, self.low_offset, self.high_offset)
        pos = np.empty(offset.shape, np.int32)
        np.add(index, offset, out=pos, casting="unsafe")
        block, below, step = np.empty(pos.shape), np.empty(pos.shape, dtype=bool), np.empty_like(pos)
        for k in range(len(self.table) - 1, -1, -1):
            self.table[k].take(pos, out=block, mode="clip")
            np.less(block, threshold, out=below)
            np.copyto(step, below, casting="unsafe")
            np.left_shift(step, k, out=step)
            pos += step
        found = pos - offset
        return np.minimum(found, hi, out=found)


def _gather(values: NDArray, index: I64) -> NDArray:
    """``values[index]`` with out-of-range indices clipped (their results are masked by the caller)."""
    if not len(values):
        return np.zeros(np.shape(index), values.dtype)
    return values.take(index, mode="clip")


def _pick(rows: NDArray, row: I64) -> NDArray:
    """``rows[row[j], j]`` for every column ``j`` (one flat gather)."""
    return rows.reshape(-1).take(row * rows.shape[1] + np.arange(rows.shape[1]))


def _walk_chunk(
    out: dict[str, NDArray],
    chunk: slice | I64,
    sig: SignalArrays,
    candles: Candles,
    lo_all: I64,
    hi_all: I64,
    detail: Candles | None,
    on_grid: bool,
) -> list[int]:
    """Fills of the signals ``chunk`` into ``out``; returns the indices that detail candles must decide.

    The ladders are handled as rows (``[k, j]``: target k of signal j), so each per-signal array broadcasts
    along a row in one contiguous pass; the other way round (a short last axis) numpy makes one inner-loop
    call per signal, an order of magnitude slower.
    """
    time, step = candles.time, candles.step
    lo, hi = lo_all[chunk], hi_all[chunk]
    long, entry, stop = sig.long[chunk], sig.entry[chunk], sig.stop[chunk]
    ntp, breakeven = sig.n_targets[chunk], sig.breakeven[chunk]
    prices, fractions = sig.prices[chunk].T.copy(), sig.fractions[chunk].T.copy()
    width, n = prices.shape
    touches = _Touches(candles, int(lo.min()), int(hi.max()), max(1, int((hi - lo).max()).bit_length()))

    # Pass 1: every target and the original stop, from the window start: one column of queries per signal
    # (its targets, then its stop); the padding of a short ladder is never touched.
    sign = np.where(long, 1.0, -1.0)
    on_low = np.empty((width + 1, n), dtype=bool)
    np.logical_not(long, out=on_low[:width])
    on_low[width] = long
    threshold = np.empty((width + 1, n))
    np.multiply(sign, prices, out=threshold[:width])
    np.multiply(-sign, stop, out=threshold[width])
    if int(ntp.min()) < width:
        threshold[:width][np.isnan(prices)] = np.inf
    found = touches.first(on_low, lo, threshold, hi)
    target, first_stop = found[:width], found[width]

    # Pass 2: the break-even stop (the entry) from the candle after TP1's, for the signals that reach it.
    tp1 = target[0]
    be_stop = hi.copy()
    need = np.flatnonzero(breakeven & (tp1 < first_stop) & (ntp > 1))
    if len(need):
        at = tp1.take(need)
        after = at + 1
        if not on_grid:  # unaligned candles: the next one may open too soon
            odd = (_gather(time, after) < time[at] + step) & (after < len(time))
            if odd.any():
                after[odd] = np.searchsorted(time, time[at[odd]] + step, "left")
        hi_need = hi.take(need)
        np.minimum(after, hi_need, out=after)
        be_stop[need] = touches.first(long.take(need), after, -sign.take(need) * entry.take(need), hi_need)

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
    ambiguous = stopped & (_pick(target, np.minimum(hits, width - 1)) == stop_at)

    fallback = np.zeros(n, dtype=bool)
    if detail is not None and ambiguous.any():
        opened = time[stop_at[ambiguous]]
        covered = np.searchsorted(detail.time, opened + step, "left") - np.searchsorted(
            detail.time, opened, "left"
        )
        fallback[ambiguous] = covered == step // detail.step

    # The open share after the hits: Σ fractions[hits:], left to right, capped at 1 (as _Walk.remaining);
    # the zeros added before it and the padding's zeros after it leave the sum as it is (0 when done).
    filled = np.arange(width)[:, None] < hits
    unfilled = fractions * ~filled
    open_share = unfilled[0].copy()
    for k in range(1, width):
        open_share += unfilled[k]

    last = hi - 1
    window = hi > lo
    stop_time = _gather(time, stop_at)
    target_time = _gather(time, target)
    target_time *= filled
    out["targets_hit"][chunk] = hits
    out["target_time"][chunk] = target_time.T
    out["exit_kind"][chunk] = _exit_codes(done, stopped, on_breakeven)
    mark_time = np.where(window, _gather(time, last), sig.start[chunk])
    out["exit_time"][chunk] = np.where(done, 0, np.where(stopped, stop_time, mark_time))
    mark_price = np.where(window, _gather(candles.close, last), entry)
    out["exit_price"][chunk] = np.where(
        done, 0.0, np.where(stopped, np.where(on_breakeven, entry, stop), mark_price)
    )
    out["exit_fraction"][chunk] = np.minimum(1.0, open_share)
    out["exit_resolved"][chunk] = ambiguous.view(np.int8) * 2
    out["closed"][chunk] = done | stopped
    out["closed_at"][chunk] = np.where(
        done, _pick(target_time, np.maximum(hits - 1, 0)), np.where(stopped, stop_time, -1)
    )
    out["pessimistic"][chunk] = ambiguous & ~fallback
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
    lo: int,
    hi: int,
    detail: Candles,
) -> None:
    """The single-signal walk, for a signal whose ambiguous candle the detail candles can decide."""
    n = int(sig.n_targets[i])
    walk = _Walk(
        long=bool(sig.long[i]),
        entry=float(sig.entry[i]),
        prices=sig.prices[i, :n].tolist(),
        fractions=sig.fractions[i, :n].tolist(),
        breakeven=bool(sig.breakeven[i]),
        stop=float(sig.stop[i]),
        stop_from=int(sig.start[i]),
    )
    _walk(walk, candles, lo, hi, detail, "candle")
    targets = [f for f in walk.fills if f.kind == "target"]
    out["targets_hit"][i] = len(targets)
    out["target_time"][i] = 0
    for k, f in enumerate(targets):
        out["target_time"][i, k] = f.time
        out["target_resolved"][i, k] = RESOLUTIONS.index(f.resolved_by)
    out["closed"][i], out["pessimistic"][i], out["detail_resolved"][i] = walk.closed, False, True
    notes[i] = walk.notes
    last = walk.fills[-1] if walk.fills else None
    if walk.closed and last is not None and last.kind == "target":
        out["closed_at"][i], out["exit_kind"][i], out["exit_fraction"][i] = last.time, 0, 0.0
    elif walk.closed and last is not None:
        out["closed_at"][i], out["exit_kind"][i] = last.time, EXIT_KINDS.index(last.kind)
        out["exit_time"][i], out["exit_price"][i] = last.time, last.price
        out["exit_fraction"][i], out["exit_resolved"][i] = last.fraction, RESOLUTIONS.index(last.resolved_by)
    else:
        out["closed_at"][i], out["exit_kind"][i], out["exit_resolved"][i] = -1, 3, 0
        out["exit_fraction"][i] = walk.remaining()
        if hi > lo:
            out["exit_time"][i], out["exit_price"][i] = candles.time[hi - 1], candles.close[hi - 1]
        else:
            out["exit_time"][i], out["exit_price"][i] = sig.start[i], sig.entry[i]


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
    out.update(
        entry_fill=entry_fill,
        gross_pnl=total[0],
        fees=total[2],
        net_pnl=total[1] - total[2],
        open_fraction=open_fraction,
        closed_fraction=np.minimum(1.0, total[3] - open_fraction),
    )


def _quality(
    out: dict[str, NDArray], candles: Candles, start: I64, horizon: I64, search: _Search, lo: I64, hi: I64
) -> None:
    """Coverage, largest gap and first missing candle of every window, as ``assess`` finds them.

    ``lo``/``hi`` are the walk's window (from ``start``); the expected slots start at ``start`` rounded up
    to the grid, which for signals dated on the grid is ``start`` itself, so ``lo`` is searched again only
    when some signal is off it.
    """
    time, step = candles.time, candles.step
    first_slot = -(-start // step) * step
    expected = np.maximum(0, -(-(horizon - first_slot) // step))
    if (first_slot != start).any():
        lo = search(first_slot)
    present = np.maximum(hi - lo, 0)
    some = present > 0
    last_time = _gather(time, hi - 1)
    lead = np.where(some, (_gather(time, lo) - (first_slot - step)) // step - 1, expected)
    trail = np.where(some, (first_slot + expected * step - last_time) // step - 1, 0)
    # Interior gaps (before candle j, lo < j < hi) of the candles any window reaches: few, so a sparse table.
    a = int(lo.min()) if len(lo) else 0
    b = max(int(hi.max()) if len(hi) else 0, a)
    missing = np.diff(time[a:b]) // step - 1
    gap_at = np.flatnonzero(missing > 0)
    sizes = missing[gap_at]
    gap_at += a + 1
    # gaps_before[x - a]: how many gaps lie before candle x (the number of gap_at < x), for x in [a, b].
    gaps_before = np.zeros(b - a + 2, dtype=np.int64)
    gaps_before[gap_at - a + 1] = 1
    gaps_before = np.cumsum(gaps_before)
    g_lo = gaps_before.take(lo + 1 - a, mode="clip")
    g_hi = gaps_before.take(hi - a, mode="clip")
    inner = some & (g_hi > g_lo)
    largest = np.maximum(np.maximum(lead, trail), 0)
    first_gap = np.where(trail > 0, last_time + step, -1)
    if inner.any():
        np.maximum(largest, _range_max(sizes, g_lo, g_hi) * inner, out=largest)  # gap sizes are ≥ 1
        gap_start = time[gap_at - 1] + step  # per gap: the first missing slot
        first_gap = np.where(inner, gap_start.take(g_lo, mode="clip"), first_gap)
    first_gap = np.where(lead > 0, first_slot, first_gap)
    empty = expected == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        coverage = present / expected
        score = coverage * (1 - largest / expected)
    out.update(
        expected_candles=expected,
        present_candles=np.where(empty, 0, present),
        coverage=np.where(empty, 1.0, coverage),
        score=np.where(empty, 1.0, score),
        largest_gap_candles=np.where(empty, 0, largest),
        first_gap=np.where(empty, -1, first_gap),
    )


def _range_max(values: I64, x: I64, y: I64) -> I64:
    """``max(values[x:y])`` for every query with ``x < y`` (others: any value), by a sparse table:
    ``table[k, j] = max(values[j : j + 2^k])``, and a range is two overlapping blocks of its level."""
    count = len(values)
    levels = max(1, count.bit_length())
    table = np.zeros((levels, count), np.int64)
    table[0] = values
    for k in range(1, levels):
        h = 1 << (k - 1)
        np.maximum(table[k - 1, :-h], table[k - 1, h:], out=table[k, :-h])
    floor_log2 = np.frexp(np.arange(count + 1, dtype=np.float64))[1] - 1  # exact for these counts
    floor_log2[0] = 0  # an empty range (masked by the caller) still reads inside the table
    level = floor_log2.take(y - x, mode="clip")
    flat = table.reshape(-1)
    row = level * count
    left = flat.take(row + x, mode="clip")
    right = flat.take(row + y - np.left_shift(1, level), mode="clip")
    return np.maximum(left, right)


def _status(out: dict[str, NDArray], sig: SignalArrays, settings: EvaluationSettings) -> None:
    closed, horizon, exit_kind = out["closed"], out["horizon"], out["exit_kind"]
    decision = np.where(closed, out["closed_at"], horizon)
    first_gap = out["first_gap"]
    gap_first = (first_gap >= 0) & (first_gap // 1_000 * 1_000 < decision)  # gaps are listed as µs datetimes
    touched = (out["targets_hit"] > 0) | (exit_kind == 1) | (exit_kind == 2)
    incomplete = (out["coverage"] < settings.min_coverage) | gap_first
    active = ~closed & (horizon < sig.expires)
    success = out["net_pnl"] > 0
    # 0 incomplete, else 1 active, else 2 untouched, else 3 success / 4 failure: int8 arithmetic on the masks
    i8 = np.int8
    open_code = 1 + touched.view(i8) * (2 - success.view(i8))
    out["status"] = (1 - incomplete.view(i8)) * (1 + (1 - active.view(i8)) * open_code)
    out["duration_ns"] = decision // 1_000 * 1_000 - sig.start

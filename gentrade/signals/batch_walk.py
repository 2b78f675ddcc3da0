"""The fills of many signals at once (`gentrade.signals.batch`): entry, targets and stop as a few vectorized
first-touch searches per chunk of signals, and the single-signal re-walk of the few whose ambiguous candle
the detail candles decide."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from gentrade.signals.arrays import SignalArrays
from gentrade.signals.batch_outcomes import EXIT_KINDS, I8, I64, RESOLUTIONS, B
from gentrade.signals.candles import Candles
from gentrade.signals.touches import Touches, gather, pick
from gentrade.signals.walk import Walk, walk


def walk_chunk(
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


def rewalk(
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

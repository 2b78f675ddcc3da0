"""Data quality of many signal windows at once, as `gentrade.signals.candles.assess` finds it for one.

The gaps of the candles are found once per call (one ``diff``, then a prefix count of them per candle); a
window's coverage is an index difference and its largest gap a range maximum over the (few) gaps, O(1) per
signal. The gaps themselves are listed only when one outcome is materialized (``assess``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from gentrade.signals.candles import Candles
from gentrade.signals.touches import Search, gather, range_max

I64 = NDArray[np.int64]


def window_quality(
    out: dict[str, NDArray], candles: Candles, start: I64, horizon: I64, search: Search, lo: I64, hi: I64
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
    last_time = gather(time, hi - 1)
    lead = np.where(some, (gather(time, lo) - (first_slot - step)) // step - 1, expected)
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
        np.maximum(largest, range_max(sizes, g_lo, g_hi) * inner, out=largest)  # gap sizes are ≥ 1
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

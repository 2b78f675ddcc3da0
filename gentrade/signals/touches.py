"""Vectorized first-touch and window searches over one candle array, for `gentrade.signals.batch`.

*Windows*: candles on their timeframe's grid map a time to its index by slot arithmetic (a prefix count of
the occupied slots, one gather for all signals); others by ``searchsorted`` (keys in time order).
*First touches*: "the first candle at or after ``lo`` whose high ≥ level" (a low ≤ level is the same query
on ``−low``) is answered for every (signal, level) together by binary lifting over a sparse table of running
maxima (``table[k][j] = max(v[j : j + 2^k])``): ``log2(window)`` vectorized steps, each one gather and one
compare over all the queries, so the cost does not grow with the window length. The table covers only the
candles the signals' windows reach, and signals are chunked (``chunks``) so one chunk's table stays under
``_TABLE_BYTES``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from gentrade.signals.candles import Candles

_TABLE_BYTES = 48 * 2**20
_CHUNK_SIGNALS = 65_536
_GRID_SLOTS_PER_CANDLE = 4  # the slot table of `Search` at most this many times the candles

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
B = NDArray[np.bool_]


class Search:
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


def chunks(lo: I64, hi: I64) -> list[slice | I64]:
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


class Touches:
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


def gather(values: NDArray, index: I64) -> NDArray:
    """``values[index]`` with out-of-range indices clipped (their results are masked by the caller)."""
    if not len(values):
        return np.zeros(np.shape(index), values.dtype)
    return values.take(index, mode="clip")


def pick(rows: NDArray, row: I64) -> NDArray:
    """``rows[row[j], j]`` for every column ``j`` (one flat gather)."""
    return rows.reshape(-1).take(row * rows.shape[1] + np.arange(rows.shape[1]))


def range_max(values: I64, x: I64, y: I64) -> I64:
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

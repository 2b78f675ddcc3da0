"""Signals as numpy columns, read from the models (or stored rows) in as few passes as possible.

The input side of `gentrade.signals.batch`: reading the pydantic models is the largest single cost of a
batch, so ``SignalArrays.from_signals`` reads every field in one C-level pass (``map`` over the instance
dicts) and the targets in one pass per field, never through model attributes or a Python loop.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import chain
from operator import attrgetter, itemgetter
from typing import cast

import numpy as np
from numpy.typing import NDArray

from gentrade.errors import SpecValidationError
from gentrade.signals.candles import to_ns
from gentrade.spec.common import TIMEFRAME_SECONDS
from gentrade.spec.signal import TradeSignal

_NS_PER_SECOND = 1_000_000_000
_EXACT_SECONDS = 2**31  # |timestamp()| below this: float seconds → µs round-trips exactly

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
B = NDArray[np.bool_]
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
        per_candle = np.fromiter(map(TIMEFRAME_SECONDS.__getitem__, timeframes), dtype=np.int64, count=n)
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
            + per_candle * np.fromiter(valid_for_candles, dtype=np.int64, count=n) * _NS_PER_SECOND,
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

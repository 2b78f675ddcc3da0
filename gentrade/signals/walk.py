"""The single-signal walk over candles: the entry's first touch, then targets and stop in order.

Shared by `gentrade.signals.evaluate` (every signal) and `gentrade.signals.batch_walk` (the few signals whose
ambiguous candle detail candles decide), so neither imports the other. The rules are in the module doc of
`gentrade.signals.evaluate`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from gentrade.errors import ConfigError, SpecValidationError
from gentrade.signals.candles import Candles, from_ns
from gentrade.signals.outcome import FillKind, Resolution
from gentrade.spec.signal import TradeSignal

_FIRST_CHUNK = 32


@dataclass
class WalkFill:
    kind: FillKind
    target: int | None
    time: int
    price: float
    fraction: float
    resolved_by: Resolution
    gapped: bool = False


@dataclass
class Walk:
    """The position's state while candles are searched; survives the hop into detail candles and back.

    ``entered_at`` is the open time of the candle whose range reached the entry (the walk starts only once
    it is known); targets count from the next candle (``target_from``), the stop from the entry candle
    itself, and a stop touched in a later candle that *opened* past it fills at that open (``gap_from``).
    """

    long: bool
    entry: float
    breakeven_price: float
    prices: list[float]
    fractions: list[float]
    breakeven: bool
    stop: float
    stop_from: int
    target_from: int
    gap_from: int
    next_target: int = 0
    closed: bool = False
    stop_is_breakeven: bool = False
    fills: list[WalkFill] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def fill_target(self, time: int, step: int, resolved_by: Resolution) -> None:
        k = self.next_target
        self.fills.append(WalkFill("target", k + 1, time, self.prices[k], self.fractions[k], resolved_by))
        self.next_target += 1
        if k == 0 and self.breakeven:
            self.stop, self.stop_from, self.stop_is_breakeven = self.breakeven_price, time + step, True
        self.closed = self.next_target == len(self.prices)

    def fill_stop(self, time: int, open_: float, resolved_by: Resolution) -> None:
        """Close the rest at the stop, or at ``open_`` when the candle opened past the stop (a gap): a stop
        order triggers at the first trade past it, and after a gap that trade is the open."""
        kind: FillKind = "breakeven_stop" if self.stop_is_breakeven else "stop"
        gapped = time >= self.gap_from and (open_ < self.stop if self.long else open_ > self.stop)
        price = open_ if gapped else self.stop
        self.fills.append(WalkFill(kind, None, time, price, self.remaining(), resolved_by, gapped))
        self.closed = True

    def mark(self, time: int, price: float) -> None:
        self.fills.append(WalkFill("mark", None, time, price, self.remaining(), "candle"))

    def remaining(self) -> float:
        return min(1.0, sum(self.fractions[self.next_target :]))


def first_touch(values: NDArray[np.float64], lo: int, hi: int, level: float, at_or_above: bool) -> int:
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


def entry_index(c: Candles, lo: int, hi: int, long: bool, entry: float) -> int:
    """The first candle of ``[lo, hi)`` whose price reached the entry (a long's low at or below it, a
    short's high at or above it: a limit order resting at the entry), ``hi`` if none."""
    return first_touch(c.low, lo, hi, entry, False) if long else first_touch(c.high, lo, hi, entry, True)


def _detail_span(detail: Candles, start: int, step: int) -> tuple[int, int] | None:
    lo, hi = detail.span(start, start + step)
    return (lo, hi) if hi - lo == step // detail.step else None


def walk(w: Walk, c: Candles, lo: int, hi: int, detail: Candles | None, resolved_by: Resolution) -> None:
    """Fill ``w``'s targets and stop over candles ``[lo, hi)``, in time order, from the entry candle on."""
    favourable, adverse = (c.high, c.low) if w.long else (c.low, c.high)
    i = lo
    while not w.closed and i < hi:
        target_lo = max(i, int(np.searchsorted(c.time, w.target_from, "left")))
        t = first_touch(favourable, target_lo, hi, w.prices[w.next_target], w.long)
        stop_lo = max(i, int(np.searchsorted(c.time, w.stop_from, "left")))
        s = first_touch(adverse, stop_lo, hi, w.stop, not w.long)
        if t == hi and s == hi:
            return
        if t < s:
            w.fill_target(int(c.time[t]), c.step, resolved_by)
            i = t
        elif s < t:
            w.fill_stop(int(c.time[s]), float(c.open[s]), resolved_by)
        else:
            when = from_ns(int(c.time[t])).isoformat()
            span = _detail_span(detail, int(c.time[t]), c.step) if detail is not None else None
            if span is None:
                w.notes.append(
                    f"candle {when} ({c.timeframe}) touched TP{w.next_target + 1} and the stop; "
                    "assumed the stop first (pessimistic)"
                )
                w.fill_stop(int(c.time[t]), float(c.open[t]), "pessimistic")
            else:
                assert detail is not None
                w.notes.append(
                    f"candle {when} ({c.timeframe}) touched TP{w.next_target + 1} and the stop; "
                    f"resolved with {detail.timeframe} candles"
                )
                walk(w, detail, span[0], span[1], None, "detail")
                i = t + 1


def check_inputs(signal: TradeSignal, candles: Candles, detail: Candles | None) -> None:
    if signal.generated_at is None:
        raise SpecValidationError(
            "generated_at: a signal needs its generation time to be evaluated",
            details=[{"path": "generated_at", "message": "required for evaluation"}],
        )
    if candles.pair != signal.symbol:
        raise ConfigError(f"candles are for {candles.pair}, the signal is for {signal.symbol}")
    check_detail(candles, detail)


def check_detail(candles: Candles, detail: Candles | None) -> None:
    if detail is not None and (
        detail.pair != candles.pair or detail.step >= candles.step or candles.step % detail.step
    ):
        raise ConfigError(
            f"detail candles {detail.pair} {detail.timeframe} cannot refine "
            f"{candles.pair} {candles.timeframe} (need the same pair and a finer timeframe "
            "that divides it)"
        )

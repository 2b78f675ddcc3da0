"""Market data as the clock lets a client see it: klines, the current price, rolling windows.

All served candles come from one aggregation: stored candles are grouped into served buckets of the requested
interval (each bucket holds ``interval × speed`` of history), the visible stretch ends at the clock's "now"
and the candle containing "now" is cut at its elapsed fraction (see ``intracandle``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gentrade.exchange import errors
from gentrade.exchange.candles import CandleSeries, PairData
from gentrade.exchange.clock import Clock, wall_ms
from gentrade.exchange.intervals import INTERVALS, interval_origin
from gentrade.exchange.intracandle import Ohlc, first_touch, partial, price_at


@dataclass(frozen=True)
class Bar:
    """One served candle (times in served milliseconds)."""

    open_time: int
    close_time: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    count: int


@dataclass(frozen=True)
class _Slice:
    ts: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray


class MarketFeed:
    def __init__(self, pairs: dict[str, PairData], clock: Clock) -> None:
        self.pairs = pairs
        self.clock = clock
        self._live_series: dict[str, CandleSeries] = {sym: p.finest for sym, p in pairs.items()}

    # ----------------------------------------------------------------- sources
    def series(self, symbol: str) -> CandleSeries:
        """The candles prices and fills come from: the finest stored timeframe, with scripts applied."""
        return self._live_series[symbol]

    def _source(self, symbol: str, interval_ms: int) -> CandleSeries:
        if self.clock.live:
            return self._live_series[symbol]
        # Historical: the stored file of that interval, else the coarsest stored one that divides it.
        stored = self.pairs[symbol].series
        fitting = [tf for tf in stored if interval_ms % tf == 0]
        if not fitting:
            raise errors.invalid_interval()
        return stored[max(fitting)]

    # -------------------------------------------------------------- visibility
    def _bounds(self, s: CandleSeries, h_lo: int | None, h_hi: int | None) -> tuple[int, int]:
        """Index range of stored candles opening in [h_lo, h_hi) that the clock lets a client see."""
        lo = 0 if h_lo is None else int(np.searchsorted(s.ts, h_lo, "left"))
        hi = len(s) if h_hi is None else int(np.searchsorted(s.ts, h_hi, "left"))
        if self.clock.hidden_before_ms is not None:
            lo = max(lo, int(np.searchsorted(s.ts, self.clock.hidden_before_ms, "left")))
        now = self.clock.history_now()
        if now is not None:
            hi = min(hi, int(np.searchsorted(s.ts, now, "right")))
        return lo, max(lo, hi)

    def _slice(self, s: CandleSeries, lo: int, hi: int) -> _Slice:
        cut = _Slice(s.ts[lo:hi], s.open[lo:hi], s.high[lo:hi], s.low[lo:hi], s.close[lo:hi], s.volume[lo:hi])
        now = self.clock.history_now()
        if now is None or hi <= lo or s.ts[hi - 1] + s.timeframe_ms <= now:
            return cut
        # The last visible candle is still forming: cut it at the elapsed fraction.
        i = hi - 1
        frac = (now - int(s.ts[i])) / s.timeframe_ms
        seen = partial(Ohlc(s.open[i], s.high[i], s.low[i], s.close[i]), frac)
        arrays = [a.copy() for a in (cut.open, cut.high, cut.low, cut.close, cut.volume)]
        arrays[0][-1], arrays[1][-1], arrays[2][-1], arrays[3][-1] = seen
        arrays[4][-1] = s.volume[i] * frac
        return _Slice(cut.ts, *arrays)

    def _bucketing(self, symbol: str, interval_ms: int) -> tuple[CandleSeries, int, int]:
        """Source candles, history milliseconds per served bar, and the history time bar zero opens at.

        An interval is servable only if every bar holds whole stored candles; otherwise Binance's -1120.
        """
        s = self._source(symbol, interval_ms)
        origin = interval_origin(interval_ms)
        span = self.clock.span_ms(interval_ms)
        origin_span = self.clock.span_ms(origin) if origin else 0
        if span is None or origin_span is None or span % s.timeframe_ms or origin_span % s.timeframe_ms:
            raise errors.invalid_interval()
        return s, span, self.clock.offset_ms + origin_span

    def servable_intervals(self) -> list[str]:
        """Kline intervals every symbol can be served in under this clock (a bot's timeframe must be one)."""

        def fits(symbol: str, interval_ms: int) -> bool:
            try:
                self._bucketing(symbol, interval_ms)
            except errors.BinanceError:
                return False
            return True

        return [name for name, ms in INTERVALS.items() if all(fits(sym, ms) for sym in self.pairs)]

    # ------------------------------------------------------------------ klines
    def klines(
        self, symbol: str, interval_ms: int, start: int | None, end: int | None, limit: int
    ) -> list[Bar]:
        """Binance semantics: with ``start`` the first ``limit`` bars from it, otherwise the last ``limit``
        bars up to ``end`` (or up to now); both bounds compare against bar open times."""
        s, span, base = self._bucketing(symbol, interval_ms)
        origin = interval_origin(interval_ms)
        h_lo = None if start is None else base + -((origin - start) // interval_ms) * span
        h_hi = None if end is None else base + ((end - origin) // interval_ms + 1) * span
        lo, hi = self._bounds(s, h_lo, h_hi)
        most = limit * (span // s.timeframe_ms)
        if start is not None:
            hi = min(hi, lo + most)
        else:
            lo = max(lo, hi - most)
        cut = self._slice(s, lo, hi)
        if not len(cut.ts):
            return []
        bucket = (cut.ts - base) // span
        starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
        ends = np.r_[starts[1:], len(bucket)] - 1
        bars = [
            Bar(
                open_time=origin + int(k) * interval_ms,
                close_time=origin + (int(k) + 1) * interval_ms - 1,
                open=float(o),
                high=float(h),
                low=float(lo_),
                close=float(c),
                volume=float(v),
                count=int(n),
            )
            for k, o, h, lo_, c, v, n in zip(
                bucket[starts],
                cut.open[starts],
                np.maximum.reduceat(cut.high, starts),
                np.minimum.reduceat(cut.low, starts),
                cut.close[ends],
                np.add.reduceat(cut.volume, starts),
                ends - starts + 1,
                strict=True,
            )
        ]
        return bars[:limit] if start is not None else bars[-limit:]

    # ------------------------------------------------------------------ prices
    def now_served(self, symbol: str) -> int:
        """Served "now": the wall clock when replaying, the end of the stored data otherwise."""
        if self.clock.live:
            return wall_ms()
        s = self._live_series[symbol]
        return int(s.ts[-1]) + s.timeframe_ms - 1

    def price_at(self, symbol: str, served_ms: int) -> float | None:
        """Last traded price at a served moment (None before the first visible candle)."""
        s = self._live_series[symbol]
        if not self.clock.live:
            return float(s.close[-1])
        h = self.clock.to_history(served_ms)
        i = int(np.searchsorted(s.ts, h, "right")) - 1
        hidden = self.clock.hidden_before_ms
        if i < 0 or (hidden is not None and s.ts[i] < hidden):
            return None
        frac = (h - int(s.ts[i])) / s.timeframe_ms
        if frac >= 1.0:
            return float(s.close[i])
        return price_at(Ohlc(s.open[i], s.high[i], s.low[i], s.close[i]), frac)

    def recent_volume(self, symbol: str) -> float:
        """Volume of the last complete stored candle before now (sizes the synthetic order book)."""
        s = self._live_series[symbol]
        now = self.clock.history_now()
        i = len(s) if now is None else int(np.searchsorted(s.ts, now - s.timeframe_ms, "right"))
        return float(s.volume[i - 1]) if i > 0 else 0.0

    def window(self, symbol: str, served_from: int, served_to: int) -> Bar | None:
        """One bar over a served time window (rolling tickers)."""
        s = self._live_series[symbol]
        lo, hi = self._bounds(s, self.clock.to_history(served_from), self.clock.to_history(served_to))
        cut = self._slice(s, lo, hi)
        if not len(cut.ts):
            return None
        return Bar(
            open_time=served_from,
            close_time=served_to,
            open=float(cut.open[0]),
            high=float(cut.high.max()),
            low=float(cut.low.min()),
            close=float(cut.close[-1]),
            volume=float(cut.volume.sum()),
            count=len(cut.ts),
        )

    def first_touch(self, symbol: str, served_from: int, level: float, below: bool) -> int | None:
        """First served moment in [served_from, now] when the price is at/beyond ``level``.

        Resting orders are matched lazily with this: the fill time is exact, however long ago it was.
        """
        if not self.clock.live:
            return None
        s = self._live_series[symbol]
        tf = s.timeframe_ms
        h0 = self.clock.to_history(served_from)
        h1 = self.clock.history_now()
        assert h1 is not None

        def served(i: int, frac: float) -> int:
            return max(served_from, self.clock.to_served(int(s.ts[i]) + round(frac * tf)))

        def candle(i: int) -> Ohlc:
            return Ohlc(s.open[i], s.high[i], s.low[i], s.close[i])

        i = int(np.searchsorted(s.ts, h0, "right")) - 1
        if i >= 0 and h0 < s.ts[i] + tf:
            frac = first_touch(candle(i), (h0 - s.ts[i]) / tf, min(1.0, (h1 - s.ts[i]) / tf), level, below)
            if frac is not None:
                return served(i, frac)
        elif i >= 0 and (s.close[i] <= level if below else s.close[i] >= level):
            return served_from
        j_lo = i + 1
        j_hi = int(np.searchsorted(s.ts, h1, "right"))
        j_full = j_hi - 1 if j_hi > j_lo and s.ts[j_hi - 1] + tf > h1 else j_hi
        extremes = s.low[j_lo:j_full] <= level if below else s.high[j_lo:j_full] >= level
        hits = np.flatnonzero(extremes)
        if hits.size:
            j = j_lo + int(hits[0])
            frac = first_touch(candle(j), 0.0, 1.0, level, below)
            return served(j, 1.0 if frac is None else frac)
        if j_full < j_hi:
            frac = first_touch(candle(j_full), 0.0, (h1 - s.ts[j_full]) / tf, level, below)
            if frac is not None:
                return served(j_full, frac)
        return None

    # ----------------------------------------------------------------- scripts
    def apply_script(self, symbol: str, candles: list[Ohlc], volumes: list[float], start_hist: int) -> int:
        """Replace stored candles from the one containing ``start_hist`` with scripted ones.

        Returns the history time of the first scripted candle.  Scripts rewrite the history the replay has
        not shown yet (or the candle now forming), so every later price, bar and fill follows them.
        """
        s = self._live_series[symbol]
        tf = s.timeframe_ms
        first = start_hist - start_hist % tf
        n = len(candles)
        scripted = CandleSeries(
            tf,
            first + tf * np.arange(n, dtype=np.int64),
            np.array([c.open for c in candles], dtype=np.float64),
            np.array([c.high for c in candles], dtype=np.float64),
            np.array([c.low for c in candles], dtype=np.float64),
            np.array([c.close for c in candles], dtype=np.float64),
            np.array(volumes, dtype=np.float64),
        )
        self._live_series[symbol] = s.replace_from(first, scripted)
        return first

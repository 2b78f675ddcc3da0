"""Chart series derived from a finished backtest: equity and drawdown, trade markers, candles.

One implementation feeds the API's chart endpoints, the dashboard and ``gentrade plot``, so the picture a
person sees in the browser and the numbers a client reads from the API can never disagree. Everything here
is a pure function of a ``BacktestResult`` (plus the candle files for the candle chart): no DB, no HTTP.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from gentrade.data.store import load_candles_frame
from gentrade.engine.result import BacktestResult, TradeRecord

MAX_CANDLES = 10_000
"""Above this many candles a chart gets buckets of several candles (OHLC of the bucket) instead: a browser
chart stays interactive, and the response says how many candles each bar stands for."""


@dataclass(frozen=True)
class EquityPoint:
    time: int
    """Unix seconds (UTC) of the trade closes that moved the balance; one point per distinct moment."""
    equity: float
    drawdown_pct: float
    """Below the running peak, in percent (0 at a new peak, negative under it)."""


@dataclass(frozen=True)
class Marker:
    time: int
    price: float
    kind: str
    """``entry``, ``tp`` (a ladder level), ``breakeven``, ``trailing``, ``stop``, ``exit`` (anything else:
    exit signal, ROI, time stop, end of backtest)."""
    label: str
    """The order tag or exit reason as freqtrade recorded it, e.g. ``tp1``, ``tp2+tp3``, ``stop_loss``."""
    is_short: bool


@dataclass(frozen=True)
class CandleSeries:
    pair: str
    timeframe: str
    candles: list[tuple[int, float, float, float, float]]
    """(time, open, high, low, close) per bar."""
    source_candles: int
    """Candles in the backtest's range before any bucketing."""
    candles_per_bar: int
    """1, or the bucket size when ``source_candles`` exceeded ``MAX_CANDLES``."""
    markers: list[Marker]
    """The pair's trade markers, their times snapped to the bar that holds them."""


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def equity_curve(result: BacktestResult) -> list[EquityPoint]:
    """The balance after every closed trade, starting at the starting balance on the first candle.

    freqtrade books a trade's whole profit when it closes (its own ``plot-profit`` does the same), and
    trades closing at the same moment become one point, since a chart time axis needs distinct times.
    """
    points: dict[int, float] = {_seconds(result.backtest_start): 0.0}
    for trade in result.trade_list:
        if trade.close_date is not None and not trade.is_open:
            moment = _seconds(trade.close_date)
            points[moment] = points.get(moment, 0.0) + trade.profit_abs
    equity = result.starting_balance
    peak = equity
    curve: list[EquityPoint] = []
    for moment in sorted(points):
        equity += points[moment]
        peak = max(peak, equity)
        drawdown = (equity - peak) / peak * 100 if peak > 0 else 0.0
        curve.append(EquityPoint(time=moment, equity=round(equity, 8), drawdown_pct=round(drawdown, 6)))
    return curve


def _stop_kind(levels_done: int, breakeven_after: int | None, trailing_after: int | None) -> str:
    """Which of the rendered strategy's stop rules was in force when a stop exit happened.

    ``custom_stoploss`` raises the stop to the tighter of break-even and the trail, each switched on by the
    number of ladder levels already filled; freqtrade calls any moved stop ``trailing_stop_loss``.
    """
    if trailing_after is not None and levels_done >= trailing_after:
        return "trailing"
    if breakeven_after is not None and levels_done >= breakeven_after:
        return "breakeven"
    return "stop"


def _levels_in(tag: str | None) -> int:
    """Ladder levels an exit order covered: ``tp2`` is one, ``tp1+tp2`` two."""
    if not tag:
        return 0
    return sum(1 for part in tag.split("+") if part.startswith("tp") and part[2:].isdigit())


def trade_markers(
    trade: TradeRecord, breakeven_after: int | None = None, trailing_after: int | None = None
) -> list[Marker]:
    """The entry and every filled exit of one trade, each labelled with what caused it."""
    markers = [
        Marker(
            _seconds(trade.open_date), trade.open_rate, "entry", trade.enter_tag or "entry", trade.is_short
        )
    ]
    exits = [o for o in trade.orders if not o.is_entry and o.filled_at is not None]
    levels = 0
    for index, order in enumerate(exits):
        closing = index == len(exits) - 1 and not trade.is_open
        label = (trade.exit_reason or order.tag or "exit") if closing else (order.tag or "partial_exit")
        covered = _levels_in(order.tag if not closing else label)
        if covered:
            kind = "tp"
        elif label in ("stop_loss", "trailing_stop_loss", "stoploss_on_exchange", "liquidation"):
            kind = _stop_kind(levels, breakeven_after, trailing_after)
        else:
            kind = "exit"
        levels += covered
        assert order.filled_at is not None
        markers.append(Marker(_seconds(order.filled_at), order.price, kind, label, trade.is_short))
    return markers


def pair_markers(
    result: BacktestResult, pair: str, breakeven_after: int | None = None, trailing_after: int | None = None
) -> list[Marker]:
    found = [
        marker
        for trade in result.trade_list
        if trade.pair == pair
        for marker in trade_markers(trade, breakeven_after, trailing_after)
    ]
    return sorted(found, key=lambda m: m.time)


def _bucket(frame: pd.DataFrame, size: int) -> pd.DataFrame:
    """OHLC of consecutive groups of ``size`` candles, each stamped with its first candle's time."""
    groups = frame.groupby(frame.index // size, sort=True)
    return pd.DataFrame(
        {
            "date": groups["date"].first(),
            "open": groups["open"].first(),
            "high": groups["high"].max(),
            "low": groups["low"].min(),
            "close": groups["close"].last(),
        }
    )


def candle_series(
    datadir: Path,
    result: BacktestResult,
    pair: str,
    *,
    breakeven_after: int | None = None,
    trailing_after: int | None = None,
    max_candles: int = MAX_CANDLES,
) -> CandleSeries:
    """The pair's candles over the backtested range, bucketed above ``max_candles``, with its markers."""
    frame = load_candles_frame(datadir, pair, result.timeframe)
    frame = frame[(frame["date"] >= result.backtest_start) & (frame["date"] <= result.backtest_end)]
    frame = frame.reset_index(drop=True)
    total = len(frame)
    size = max(1, math.ceil(total / max_candles))
    bars = _bucket(frame, size) if size > 1 else frame
    # Feather files store ns (freqtrade's downloads) or us (pandas 3 defaults, our synthetic candles).
    times = (bars["date"].dt.as_unit("ns").astype("int64") // 1_000_000_000).astype(int).tolist()
    candles = list(
        zip(
            times,
            bars["open"].astype(float).tolist(),
            bars["high"].astype(float).tolist(),
            bars["low"].astype(float).tolist(),
            bars["close"].astype(float).tolist(),
            strict=True,
        )
    )
    markers = [_snap(marker, times) for marker in pair_markers(result, pair, breakeven_after, trailing_after)]
    return CandleSeries(pair, result.timeframe, candles, total, size, markers)


def _snap(marker: Marker, times: list[int]) -> Marker:
    """The marker moved to the start of the bar that holds its moment (charts pin markers to bars)."""
    if not times:
        return marker
    position = bisect_right(times, marker.time) - 1
    return Marker(times[max(position, 0)], marker.price, marker.kind, marker.label, marker.is_short)

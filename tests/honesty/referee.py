"""An independent referee: every trade of a generated long strategy, recomputed from the spec over candles.

Written apart from the template (no freqtrade, no rendered code): indicators come from TA-Lib called here,
entry and exit signals from the spec's rules, and the exits from the spec's stop and ladder, stepped through
the candles the way a freqtrade backtest steps (one pass per candle, orders at the open). It models the
market the way freqtrade's backtest does, and says so where that is a convention rather than the market:

- a signal on candle i (computed on its close) enters at the open of candle i+1; an entry is skipped while an
  exit signal is active on the same candle; signals need volume on the candle; the warm-up candles are cut
  before signals are shifted, so the first traded candle carries no signal;
- the ladder sees each candle's open: a level fills at the first open at or past its target;
- a stop is a price rounded up to the tick (longs); it fills at the stop, or at the open when the candle
  opens below it. freqtrade raises the stop with the candle's high and checks it against the same
  candle's low (quirk: ``same_candle_stop``); the referee does the same so trades line up;
- a break-even or trailing stop already above the price leaves at the open (``breakeven_stop`` /
  ``trailing_stop``), as GenTrade's issue 12 demands;
- trades still open at the end leave at the last candle's open (``force_exit``);
- missing candles are filled as freqtrade fills them: flat at the previous close, with no volume;
- fees: ``fee + slippage`` per side on every fill; break-even from ``gentrade.spec.costs``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import talib

from gentrade.spec import (
    AllOf,
    AtrMultiple,
    Comparison,
    Condition,
    Const,
    IndicatorRef,
    Percent,
    Price,
    RMultiple,
    StrategySpec,
    breakeven_price,
)


@dataclass
class Fill:
    time: datetime
    price: float
    amount: float
    tag: str


@dataclass
class RefTrade:
    pair: str
    open_time: datetime
    open_rate: float
    amount: float
    exits: list[Fill] = field(default_factory=list)
    exit_reason: str = ""
    profit_abs: float = 0.0


# ---------------------------------------------------------------- indicators and rules


#: Indicator outputs by (indicator id, output name; "" for a single-output indicator).
Columns = dict[tuple[str, str], np.ndarray]


def _indicator_columns(spec: StrategySpec, frame: pd.DataFrame) -> Columns:
    h, lo, c, v = (frame[col].to_numpy(dtype=float) for col in ("high", "low", "close", "volume"))
    cols: Columns = {}
    for ind in spec.indicators:
        src = frame[getattr(ind, "source", "close")].to_numpy(dtype=float)
        if ind.kind == "rsi":
            cols[(ind.id, "")] = talib.RSI(src, timeperiod=ind.period)
        elif ind.kind == "ema":
            cols[(ind.id, "")] = talib.EMA(src, timeperiod=ind.period)
        elif ind.kind == "sma":
            cols[(ind.id, "")] = talib.SMA(src, timeperiod=ind.period)
        elif ind.kind == "macd":
            m, s, hist = talib.MACD(src, fastperiod=ind.fast, slowperiod=ind.slow, signalperiod=ind.signal)
            cols.update({(ind.id, "macd"): m, (ind.id, "signal"): s, (ind.id, "hist"): hist})
        elif ind.kind == "bbands":
            up, mid, low = talib.BBANDS(src, timeperiod=ind.period, nbdevup=ind.std, nbdevdn=ind.std)
            cols.update({(ind.id, "upper"): up, (ind.id, "middle"): mid, (ind.id, "lower"): low})
        elif ind.kind == "atr":
            cols[(ind.id, "")] = talib.ATR(h, lo, c, timeperiod=ind.period)
        elif ind.kind == "adx":
            cols[(ind.id, "adx")] = talib.ADX(h, lo, c, timeperiod=ind.period)
            cols[(ind.id, "plus_di")] = talib.PLUS_DI(h, lo, c, timeperiod=ind.period)
            cols[(ind.id, "minus_di")] = talib.MINUS_DI(h, lo, c, timeperiod=ind.period)
        elif ind.kind == "stoch":
            k, d = talib.STOCH(
                h, lo, c, fastk_period=ind.fastk, slowk_period=ind.slowk, slowd_period=ind.slowd
            )
            cols.update({(ind.id, "k"): k, (ind.id, "d"): d})
        elif ind.kind == "mfi":
            cols[(ind.id, "")] = talib.MFI(h, lo, c, v, timeperiod=ind.period)
        elif ind.kind == "cci":
            cols[(ind.id, "")] = talib.CCI(h, lo, c, timeperiod=ind.period)
        elif ind.kind == "obv":
            cols[(ind.id, "")] = talib.OBV(c, v)
        elif ind.kind == "donchian":
            upper = pd.Series(h).rolling(ind.period).max().to_numpy()
            lower = pd.Series(lo).rolling(ind.period).min().to_numpy()
            cols.update({(ind.id, "upper"): upper, (ind.id, "lower"): lower})
            cols[(ind.id, "middle")] = (upper + lower) / 2
        elif ind.kind == "volume_sma":
            cols[(ind.id, "")] = talib.SMA(v, timeperiod=ind.period)
        else:
            raise NotImplementedError(f"referee has no indicator {ind.kind}")
    return cols


def _shifted(values: np.ndarray, shift: int) -> np.ndarray:
    if shift == 0:
        return values
    out = np.full_like(values, np.nan)
    out[shift:] = values[:-shift]
    return out


def _operand(
    operand: Const | Price | IndicatorRef, frame: pd.DataFrame, cols: Columns, extra_shift: int = 0
) -> np.ndarray:
    n = len(frame)
    if isinstance(operand, Const):
        return np.full(n, operand.value)
    if isinstance(operand, Price):
        return _shifted(frame[operand.column].to_numpy(dtype=float), operand.shift + extra_shift)
    assert isinstance(operand, IndicatorRef)
    return _shifted(cols[(operand.indicator, operand.output or "")], operand.shift + extra_shift)


def _holds(condition: Condition, frame: pd.DataFrame, cols: Columns) -> np.ndarray:
    """Where the rule holds; a comparison with a missing value (warm-up) does not hold."""
    if isinstance(condition, Comparison):
        left, right = _operand(condition.left, frame, cols), _operand(condition.right, frame, cols)
        with np.errstate(invalid="ignore"):
            if condition.op in ("crosses_above", "crosses_below"):
                before_l = _operand(condition.left, frame, cols, 1)
                before_r = _operand(condition.right, frame, cols, 1)
                if condition.op == "crosses_above":
                    return (left > right) & (before_l <= before_r)
                return (left < right) & (before_l >= before_r)
            return {
                ">": left > right,
                "<": left < right,
                ">=": left >= right,
                "<=": left <= right,
            }[condition.op]
    children = [
        _holds(child, frame, cols)
        for child in (condition.all if isinstance(condition, AllOf) else condition.any)
    ]
    return np.logical_and.reduce(children) if isinstance(condition, AllOf) else np.logical_or.reduce(children)


def signals(spec: StrategySpec, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(enter_long, exit_long) per candle, computed on that candle's close."""
    cols = _indicator_columns(spec, frame)
    volume = frame["volume"].to_numpy(dtype=float) > 0
    enter = _holds(spec.entry_long, frame, cols) & volume if spec.entry_long else np.zeros(len(frame), bool)
    leave = _holds(spec.exit_long, frame, cols) & volume if spec.exit_long else np.zeros(len(frame), bool)
    return enter, leave


def fill_gaps(frame: pd.DataFrame, minutes: int) -> pd.DataFrame:
    """Missing candles as freqtrade fills them: open = high = low = close = the previous close, volume 0."""
    full = pd.date_range(frame["date"].iloc[0], frame["date"].iloc[-1], freq=f"{minutes}min")
    filled = frame.set_index("date").reindex(full)
    close = filled["close"].ffill()
    for column in ("open", "high", "low"):
        filled[column] = filled[column].fillna(close)
    filled["close"] = close
    filled["volume"] = filled["volume"].fillna(0.0)
    return filled.rename_axis("date").reset_index()


# ---------------------------------------------------------------- prices on the market's grid


def ceil_tick(price: float, tick: float) -> float:
    """A long's stop on the grid: rounded up to the tick, from the price's shortest decimal form."""
    d, t = Decimal(repr(float(price))), Decimal(repr(float(tick)))
    return round(float((d / t).to_integral_value(ROUND_CEILING) * t), 14)


def nearest_tick(price: float, tick: float) -> float:
    d, t = Decimal(repr(float(price))), Decimal(repr(float(tick)))
    return round(float((d / t).to_integral_value(ROUND_HALF_UP) * t), 14)


def floor_step(amount: float, step: float) -> float:
    d, s = Decimal(repr(float(amount))), Decimal(repr(float(step)))
    return float((d / s).to_integral_value(ROUND_FLOOR) * s)


# ---------------------------------------------------------------- the trade walk


@dataclass
class Market:
    tick: float
    step: float
    fee: float  # exchange fee per side
    slippage: float  # assumed slippage per side (freqtrade charges fee + slippage)


def _offset(
    kind_size: Percent | AtrMultiple | RMultiple, base: float, atr: float, risk: float = 0.0
) -> float:
    if isinstance(kind_size, Percent):
        return base * kind_size.percent / 100.0
    if isinstance(kind_size, AtrMultiple):
        return atr * kind_size.atr
    return risk * kind_size.r


def simulate(
    spec: StrategySpec, pair: str, frame: pd.DataFrame, market: Market, *, stake: float, startup: int
) -> list[RefTrade]:
    """Every trade of `spec` on one pair's candles (the whole file loaded, trading after `startup`)."""
    enter, leave = signals(spec, frame)
    dates = [ts.to_pydatetime() for ts in frame["date"]]
    o, h, lo = (frame[c].to_numpy(dtype=float) for c in ("open", "high", "low"))
    atr = talib.ATR(h, lo, frame["close"].to_numpy(dtype=float), timeperiod=spec.atr_period)
    cost = market.fee + market.slippage
    stop_spec = spec.stop
    hard = (
        stop_spec.initial.percent / 100.0
        if isinstance(stop_spec.initial, Percent)
        else stop_spec.max_percent / 100.0
    )
    max_duration = (
        None if spec.max_candles_in_trade is None else spec.max_candles_in_trade * spec.timeframe_minutes * 60
    )
    trades: list[RefTrade] = []
    trade: RefTrade | None = None
    state: dict = {}

    def planned(done: int) -> tuple[float, str | None]:
        """The stop the spec asks for now, and what set it (None, breakeven_stop or trailing_stop)."""
        assert trade is not None  # asked only while a trade is open
        stop, moved = state["stop"], None
        if stop_spec.breakeven_after_level and done >= stop_spec.breakeven_after_level:
            be = breakeven_price(trade.open_rate, "long", market.fee, market.slippage)
            if be > stop:
                stop, moved = be, "breakeven_stop"
        if stop_spec.trailing is not None and done >= stop_spec.trailing.after_level:
            best = state["max_rate"]
            trail = best - _offset(stop_spec.trailing.distance, best, state["atr"])
            if trail > stop:
                stop, moved = trail, "trailing_stop"
        return stop, moved

    def custom_stop(done: int, current: float, *, refresh: bool) -> None:
        """freqtrade's custom-stop round: ask for the planned stop at `current`, keep it on the grid. It
        only happens while the stop is below `current` (freqtrade's ``dir_correct``)."""
        if not state["sl"] < current:
            return
        stop, moved = planned(done)
        if moved is not None and current - stop <= 0:
            state["beyond"] = moved
            return
        state["beyond"] = None
        pct = max(min(1 - stop / current, 1.0), 0.0)
        if not pct:
            return
        new = ceil_tick(float(current * (1 - abs(pct))), market.tick)
        if refresh or new > state["sl"]:
            if not refresh:
                state["trailing"] = True
            state["sl"], state["sl_pct"] = new, abs(pct)

    def close(time: datetime, price: float, amount: float, tag: str) -> None:
        assert trade is not None  # only an open trade has something to close
        trade.exits.append(Fill(time, price, amount, tag))
        state["left"] = round(state["left"] - amount, 12)

    def finish(reason: str) -> None:
        nonlocal trade
        assert trade is not None  # only an open trade finishes
        trade.exit_reason = reason
        proceeds = sum(f.price * f.amount * (1 - cost) for f in trade.exits)
        trade.profit_abs = proceeds - trade.open_rate * trade.amount * (1 + cost)
        trades.append(trade)
        trade = None

    last = len(frame) - 1
    for k in range(startup, len(frame)):
        now = dates[k]
        # freqtrade shifts the signals after cutting the warm-up off: the first traded candle has no signal.
        signal_known = k - 1 >= startup
        if trade is None and signal_known and k < last and enter[k - 1] and not leave[k - 1]:
            amount = floor_step(stake / o[k], market.step)
            trade = RefTrade(pair, now, o[k], amount)
            entry = o[k]
            sig_atr = atr[k - 1] if k >= 1 and not math.isnan(atr[k - 1]) else math.nan
            risk = min(_offset(stop_spec.initial, entry, sig_atr), entry * stop_spec.max_percent / 100.0)
            targets = [entry + _offset(level.target, entry, sig_atr, risk) for level in spec.take_profit]
            state = {
                "stop": entry - risk,
                "targets": targets,
                "atr": sig_atr,
                "done": 0,
                "left": amount,
                "max_rate": entry,
                "beyond": None,
                "trailing": False,
                "sl": ceil_tick(float(entry * (1 - hard)), market.tick),
                "sl_pct": hard,
            }
            custom_stop(0, entry, refresh=True)  # the after-fill call at the entry price
        if trade is None:
            continue
        # 1. the ladder and the time stop, at the open
        if max_duration is not None and (now - trade.open_time).total_seconds() >= max_duration:
            close(now, o[k], state["left"], "time_stop")
            finish("time_stop")
            continue
        done, reached = state["done"], state["done"]
        while reached < len(state["targets"]) and o[k] - state["targets"][reached] >= 0:
            reached += 1
        if reached > done:
            tag = "+".join(f"tp{i + 1}" for i in range(done, reached))
            if reached == len(state["targets"]):
                close(now, o[k], state["left"], tag)
                finish(tag)
                continue
            share = sum(level.fraction for level in spec.take_profit[done:reached])
            # freqtrade converts the share to a stake and back before truncating to the step, so its amount
            # can differ from this one by a step (the comparison allows that, and no more).
            amount = floor_step(trade.amount * share, market.step)
            close(now, o[k], amount, tag)
            state["done"] = reached
            custom_stop(reached, o[k], refresh=True)  # after the partial fill, at its price
        # 2. exits: best price of the candle, the stop raised with the high, then checked with the low
        state["max_rate"] = max(h[k], state["max_rate"])
        if state["sl"] < lo[k]:
            custom_stop(state["done"], h[k], refresh=False)
        stop_hit = state["sl"] >= lo[k]
        exit_now = signal_known and leave[k - 1] and not enter[k - 1]
        if exit_now:
            close(now, o[k], state["left"], "exit_signal")
            finish("exit_signal")
            continue
        if state["beyond"]:
            reason = state["beyond"]
            state["beyond"] = None
            close(now, o[k], state["left"], reason)
            finish(reason)
            continue
        if stop_hit:
            reason = "trailing_stop_loss" if state["trailing"] else "stop_loss"
            price = o[k] if state["sl"] > h[k] else state["sl"]
            if reason == "trailing_stop_loss" and now == trade.open_time and state["sl"] <= h[k]:
                # freqtrade's worst case for a stop moved in the entry candle: a tick above the open, then
                # straight down by the stop's distance, never below the low.
                # The exit price is then put on the grid (nearest tick) like every order price.
                price = nearest_tick(max(lo[k], o[k] * (1 - state["sl_pct"])), market.tick)
            close(now, price, state["left"], reason)
            finish(reason)
            continue
        if k == last:
            close(now, o[k], state["left"], "force_exit")
            finish("force_exit")
    return trades

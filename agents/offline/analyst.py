"""The offline analyst: candles → an indicator snapshot (TA-Lib) → fixed rules → a TradeSignal and the
StrategySpec that trades the same idea.

The rules are deliberately plain so a person can check every number in the reasoning against a chart; the
signal's geometry (stop from ATR, targets at 1R/2R/3R with 40/30/30) matches the spec's stop and ladder, so a
backtest of the spec is a test of the signal's idea.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Literal

import numpy as np
import pandas as pd
import talib
from pydantic import BaseModel, ConfigDict

from gentrade.errors import DataMissingError
from gentrade.spec import StrategySpec, TradeSignal, parse_signal, parse_spec

MODEL_ID = "gentrade-offline-analyst-1"
STOP_ATR = 1.5
LADDER: tuple[tuple[float, float], ...] = ((1.0, 0.4), (2.0, 0.3), (3.0, 0.3))
MIN_CANDLES = 210  # EMA 200 needs this many to mean anything.
_TREND_ADX = 25.0
_VOLATILE_RATIO = 1.8

Regime = Literal["trending", "ranging", "volatile"]


class Snapshot(BaseModel):
    """The last candle's indicators: the analyst's (and an LLM's) whole view of the market."""

    model_config = ConfigDict(frozen=True)

    pair: str
    timeframe: str
    at: str
    close: float
    rsi: float
    macd: float
    macd_signal: float
    macd_hist: float
    ema20: float
    ema50: float
    ema200: float
    bb_upper: float
    bb_middle: float
    bb_lower: float
    atr: float
    atr_pct: float
    adx: float
    volume_24h: float
    regime: Regime


class Analysis(BaseModel):
    model_config = ConfigDict(frozen=True)

    snapshot: Snapshot
    signal: TradeSignal
    spec: StrategySpec


def take_snapshot(candles: pd.DataFrame, pair: str, timeframe: str) -> Snapshot:
    """Indicators on the last closed candle of `candles` (columns date, open, high, low, close, volume)."""
    if len(candles) < MIN_CANDLES:
        raise DataMissingError(f"{pair} {timeframe}: {len(candles)} candles, the analyst needs {MIN_CANDLES}")
    high, low, close = (candles[c].to_numpy(dtype=float) for c in ("high", "low", "close"))
    macd, signal, hist = talib.MACD(close, 12, 26, 9)
    upper, middle, lower = talib.BBANDS(close, 20, 2.0, 2.0)
    atr = talib.ATR(high, low, close, 14)
    atr_pct = atr / close * 100
    adx = talib.ADX(high, low, close, 14)
    last = candles["date"].iloc[-1]
    day = candles.loc[candles["date"] > last - timedelta(hours=24), "volume"].sum()
    typical_atr_pct = float(np.nanmedian(atr_pct[-100:]))
    regime: Regime = (
        "volatile"
        if atr_pct[-1] > _VOLATILE_RATIO * typical_atr_pct
        else "trending"
        if adx[-1] >= _TREND_ADX
        else "ranging"
    )
    return Snapshot(
        pair=pair,
        timeframe=timeframe,
        at=pd.Timestamp(last).tz_convert(UTC).isoformat(),
        close=close[-1],
        rsi=talib.RSI(close, 14)[-1],
        macd=macd[-1],
        macd_signal=signal[-1],
        macd_hist=hist[-1],
        ema20=talib.EMA(close, 20)[-1],
        ema50=talib.EMA(close, 50)[-1],
        ema200=talib.EMA(close, 200)[-1],
        bb_upper=upper[-1],
        bb_middle=middle[-1],
        bb_lower=lower[-1],
        atr=atr[-1],
        atr_pct=atr_pct[-1],
        adx=adx[-1],
        volume_24h=float(day),
        regime=regime,
    )


def _votes(s: Snapshot) -> tuple[int, int, list[str]]:
    """Points for long and for short, and the reasons, one per rule that fired."""
    long_points, short_points, reasons = 0, 0, []
    if s.ema20 > s.ema50 > s.ema200:
        long_points += 25
        reasons.append(f"EMA20 {s.ema20:.8g} > EMA50 {s.ema50:.8g} > EMA200 {s.ema200:.8g}: uptrend")
    elif s.ema20 < s.ema50 < s.ema200:
        short_points += 25
        reasons.append(f"EMA20 {s.ema20:.8g} < EMA50 {s.ema50:.8g} < EMA200 {s.ema200:.8g}: downtrend")
    if s.macd_hist > 0:
        long_points += 15
        reasons.append(f"MACD histogram {s.macd_hist:.3g} > 0: momentum up")
    else:
        short_points += 15
        reasons.append(f"MACD histogram {s.macd_hist:.3g} ≤ 0: momentum down")
    if s.rsi < 30:
        long_points += 20
        reasons.append(f"RSI {s.rsi:.1f} < 30: oversold")
    elif s.rsi > 70:
        short_points += 20
        reasons.append(f"RSI {s.rsi:.1f} > 70: overbought")
    if s.close < s.bb_lower:
        long_points += 10
        reasons.append("close below the lower Bollinger band")
    elif s.close > s.bb_upper:
        short_points += 10
        reasons.append("close above the upper Bollinger band")
    if s.regime == "trending":
        bonus = "long" if s.ema20 > s.ema50 else "short"
        long_points, short_points = (
            (long_points + 10, short_points) if bonus == "long" else (long_points, short_points + 10)
        )
        reasons.append(f"ADX {s.adx:.1f} ≥ {_TREND_ADX:g}: trend strong enough to follow ({bonus})")
    return long_points, short_points, reasons


def _condition(s: Snapshot, direction: str) -> Literal["trending_up", "trending_down", "ranging", "volatile"]:
    if s.regime == "trending":
        return "trending_up" if direction == "long" else "trending_down"
    return s.regime


def analyze(candles: pd.DataFrame, pair: str, timeframe: str) -> Analysis:
    """The signal and spec for the last candle; the same candles always give the same bytes."""
    snap = take_snapshot(candles, pair, timeframe)
    long_points, short_points, reasons = _votes(snap)
    direction: Literal["long", "short"] = "long" if long_points >= short_points else "short"
    edge = abs(long_points - short_points)
    confidence = int(max(0, min(100, 35 + edge - (15 if snap.regime == "volatile" else 0))))
    sign = 1.0 if direction == "long" else -1.0
    risk = STOP_ATR * snap.atr
    entry = snap.close
    reasoning = (
        f"{direction.upper()} {pair} {timeframe} at {entry:.8g} "
        f"({snap.regime} market, ATR {snap.atr_pct:.2f}%). "
        + "; ".join(reasons)
        + f". Score long {long_points} vs short {short_points}. Stop {STOP_ATR:g} ATR away; targets 1R/2R/3R."
    )
    signal = parse_signal(
        {
            "symbol": pair,
            "direction": direction,
            "timeframe": timeframe,
            "entry": entry,
            "stop_loss": entry - sign * risk,
            "take_profits": [{"price": entry + sign * r * risk, "allocation": share} for r, share in LADDER],
            "breakeven_after_tp1": True,
            "confidence": confidence,
            "market_condition": _condition(snap, direction),
            "reasoning": reasoning,
            "model_id": MODEL_ID,
            "generated_at": snap.at,
        }
    )
    return Analysis(snapshot=snap, signal=signal, spec=spec_for(signal, snap))


def spec_for(signal: TradeSignal, snap: Snapshot) -> StrategySpec:
    """A strategy that enters on the signal's idea, with the signal's stop (ATR) and ladder (R multiples)."""
    trend = snap.regime == "trending"
    if signal.direction == "long":
        entry = (
            {
                "all": [
                    {"left": "ema_fast", "op": ">", "right": "ema_slow"},
                    {"left": "macd.hist", "op": ">", "right": 0},
                ]
            }
            if trend
            else {
                "all": [
                    {"left": "rsi", "op": "<", "right": 35},
                    {"left": "close", "op": "<", "right": "bb.lower"},
                ]
            }
        )
        exit_rule = {"left": "rsi", "op": ">", "right": 70}
    else:
        entry = (
            {
                "all": [
                    {"left": "ema_fast", "op": "<", "right": "ema_slow"},
                    {"left": "macd.hist", "op": "<", "right": 0},
                ]
            }
            if trend
            else {
                "all": [
                    {"left": "rsi", "op": ">", "right": 65},
                    {"left": "close", "op": ">", "right": "bb.upper"},
                ]
            }
        )
        exit_rule = {"left": "rsi", "op": "<", "right": 30}
    base, quote = signal.symbol.split("/")
    side = "" if signal.direction == "long" else "Short"
    return parse_spec(
        {
            "name": f"Analyst{side}{base.title()}{quote.split(':')[0].title()}{signal.timeframe}",
            "description": (
                f"{MODEL_ID}: {signal.direction} {signal.symbol} {signal.timeframe}, "
                f"confidence {signal.confidence}"
            ),
            "timeframe": signal.timeframe,
            "pairs": [signal.symbol],
            "direction": signal.direction,
            "indicators": [
                {"id": "ema_fast", "kind": "ema", "period": 20},
                {"id": "ema_slow", "kind": "ema", "period": 50},
                {"id": "macd", "kind": "macd"},
                {"id": "rsi", "kind": "rsi"},
                {"id": "bb", "kind": "bbands"},
            ],
            f"entry_{signal.direction}": entry,
            f"exit_{signal.direction}": exit_rule,
            "stop": {
                "initial": {"atr": STOP_ATR},
                "breakeven_after_level": 1 if signal.breakeven_after_tp1 else None,
            },
            "take_profit": [{"target": {"r": r}, "fraction": share} for r, share in LADDER],
            "atr_period": 14,
        }
    )

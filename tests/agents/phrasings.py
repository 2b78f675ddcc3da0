"""Common ideas in words and a piece of the summary each must produce (shared by the drafter tests)."""

from __future__ import annotations

PHRASINGS: list[tuple[str, str]] = [
    ("Buy ETH/BTC when RSI(14) under 30", "RSI(14) < 30"),
    ("rsi below 25 on LTC/BTC 5m", "RSI(14) < 25"),
    ("EMA 20 crosses above EMA 50 on ETH/BTC", "EMA(20) crosses above EMA(50)"),
    ("golden cross on ADA/BTC", "SMA(50) crosses above SMA(200)"),
    ("MACD crosses above signal on ETH/BTC and LTC/BTC", "line crosses above MACD(12, 26, 9) signal"),
    ("MACD histogram positive and ADX above 25 on ethbtc", "histogram > 0 and ADX(14) > 25"),
    (
        "price closes below the lower Bollinger band, bollinger 20 2, on ETH/BTC",
        "close < lower Bollinger band(20, 2)",
    ),
    ("ADX above 25 and price above the 50 EMA on LTC/BTC", "ADX(14) > 25 and close > EMA(50)"),
    ("stochastic oversold on ADA/BTC", "Stochastic %K < 20"),
    ("MFI under 20 on ETH/BTC", "MFI(14) < 20"),
    ("CCI below -100 on LTC/BTC", "CCI(20) < -100"),
    ("breakout above the 20-candle high on ETH/BTC", "close crosses above previous 20-candle high"),
    ("donchian 55 breakout on ADA/BTC", "previous 55-candle high"),
    (
        "buy when price breaks above the upper bollinger band on volume above average on ETH/BTC",
        "volume > average volume(20)",
    ),
    ("short ETH/BTC when RSI above 70, cover when RSI below 30", "enter short when RSI(14) > 70"),
    (
        "long when EMA 9 crosses above EMA 21, short when EMA 9 crosses below EMA 21 on LTC/BTC",
        "enter short when EMA(9) crosses below EMA(21)",
    ),
    ("Buy ETH/BTC when RSI(14) under 30, exit when RSI above 70, stop 2 ATR", "exit long when RSI(14) > 70"),
    ("rsi(7) < 20 on ETH/BTC, 2% stop, take profit at 1R 2R 3R", "40% at 1R, 30% at 2R, 30% at 3R"),
    ("RSI under 30 on LTC/BTC, stop loss 3 percent, TP 1%, 2%, 3%", "40% at 1%, 30% at 2%, 30% at 3%"),
    ("EMA 20 crosses above EMA 50 on ETH/BTC, take 50% at 1R and the rest at 3R", "50% at 1R, 50% at 3R"),
    ("MACD turns positive on ADA/BTC, move stop to break even after TP1", "stop to break-even after TP1"),
    ("RSI oversold on ETH/BTC, stop 1.5 ATR, trail 1.5 ATR after TP2", "trailing stop: 1.5 × ATR after TP2"),
    (
        "bollinger lower band touch: price below the lower band on LTC/BTC, close after 48 candles",
        "time stop: 48 candles",
    ),
    ("MFI under 20 and CCI below -100 on the 1h, on ETH/BTC", "timeframe: 1h"),
    ("buy when OBV is rising and RSI above 50 on ETH/BTC", "OBV > previous OBV"),
    (
        "buy ETH/BTC when RSI(14) below 35 for 2 candles, exit after 3 candles below the EMA 20",
        "close < EMA(20) and close < EMA(20) (1 candle earlier) and close < EMA(20) (2 candles earlier)",
    ),
    (
        "buy ETH/BTC when price touches the lower bollinger band and RSI(14) is between 20 and 40",
        "low ≤ lower Bollinger band(20, 2) and RSI(14) > 20 and RSI(14) < 40",
    ),
]

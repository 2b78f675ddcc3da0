"""A check of freqtrade's fills against the candles they happened in.

A fill outside the candle's [low, high] is a price the market never printed in that candle (freqtrade's
same-candle stop fills can do this); each one becomes a warning on the result instead of passing silently.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gentrade.data import store
from gentrade.engine.result import TradeRecord

# Relative slack for float noise: a fill 1e-12 outside the candle is the same price.
_TOLERANCE = 1e-9


def fills_outside_candles(trades: list[TradeRecord], datadir: Path, timeframe: str) -> list[str]:
    """One warning per filled order whose price lies outside the ``timeframe`` candle it filled in.

    ``timeframe`` is the one freqtrade filled on: the detail timeframe when one was used, else the
    strategy's. A fill whose candle is not in the data (it cannot be checked) is a warning too.
    """
    warnings: list[str] = []
    candles: dict[str, pd.DataFrame] = {}
    for trade in trades:
        if trade.pair not in candles:
            candles[trade.pair] = store.load_candles_frame(datadir, trade.pair, timeframe).set_index("date")
        frame = candles[trade.pair]
        for order in trade.orders:
            if order.filled_at is None:
                continue
            stamp = pd.Timestamp(order.filled_at)
            if stamp not in frame.index:
                warnings.append(
                    f"{trade.pair} {order.tag or order.side} fill at {stamp:%Y-%m-%d %H:%M}: no candle"
                )
                continue
            low, high = float(frame.at[stamp, "low"]), float(frame.at[stamp, "high"])
            slack = _TOLERANCE * high
            if order.price < low - slack or order.price > high + slack:
                warnings.append(
                    f"{trade.pair} {order.tag or order.side} filled at {order.price:.10g} outside its "
                    f"{timeframe} candle {stamp:%Y-%m-%d %H:%M} [low {low:.10g}, high {high:.10g}]"
                )
    return warnings

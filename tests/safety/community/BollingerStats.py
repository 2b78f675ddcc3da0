"""Bollinger mean reversion with pandas_ta, technical and scipy statistics; short-capable."""

import math
import statistics
from collections import deque
from decimal import Decimal
from enum import Enum
from itertools import pairwise
from typing import Any

import numpy as np
import pandas_ta as pta
from freqtrade.enums import RunMode
from freqtrade.strategy import CategoricalParameter, IStrategy
from pandas import DataFrame
from scipy.stats import linregress
from technical.indicators import ichimoku


class Regime(Enum):
    QUIET = "quiet"
    WILD = "wild"


def slope(values: np.ndarray) -> float:
    if np.isnan(values).any():
        return math.nan
    return float(linregress(np.arange(len(values)), values).slope)


class BollingerStats(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "30m"
    can_short = True
    minimal_roi = {"0": 0.03}
    stoploss = -0.05
    band_source = CategoricalParameter(["close", "hlc3"], default="close", space="buy")

    def bot_start(self, **kwargs: Any) -> None:
        self.recent_widths: deque[float] = deque(maxlen=50)
        self.is_backtest = self.dp.runmode in (RunMode.BACKTEST, RunMode.HYPEROPT)
        self.fee_guess = Decimal("0.001")

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        source = dataframe["close"] if self.band_source.value == "close" else pta.hlc3(
            dataframe["high"], dataframe["low"], dataframe["close"]
        )
        bands = pta.bbands(source, length=20, std=2.0)
        dataframe["bb_lower"] = bands.iloc[:, 0]
        dataframe["bb_mid"] = bands.iloc[:, 1]
        dataframe["bb_upper"] = bands.iloc[:, 2]
        dataframe["slope"] = dataframe["close"].rolling(12).apply(slope, raw=True)
        cloud = ichimoku(dataframe)
        dataframe["cloud_green"] = cloud["cloud_green"]
        width = ((dataframe["bb_upper"] - dataframe["bb_lower"]) / dataframe["bb_mid"]).fillna(0.0)
        self.recent_widths.extend(width.tail(5).tolist())
        quiet = statistics.fmean(self.recent_widths) < 0.05 if self.recent_widths else True
        dataframe["regime"] = (Regime.QUIET if quiet else Regime.WILD).value
        jumps = [abs(b - a) for a, b in pairwise(dataframe["close"].tail(10))]
        dataframe["max_jump"] = max(jumps, default=0.0)
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        rising, falling = dataframe["slope"] > 0, dataframe["slope"] < 0
        dataframe.loc[(dataframe["close"] < dataframe["bb_lower"]) & rising, "enter_long"] = 1
        dataframe.loc[(dataframe["close"] > dataframe["bb_upper"]) & falling, "enter_short"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["close"] > dataframe["bb_mid"], "exit_long"] = 1
        dataframe.loc[dataframe["close"] < dataframe["bb_mid"], "exit_short"] = 1
        return dataframe

    def leverage(
        self, pair: str, current_time, current_rate: float, proposed_leverage: float, **kwargs
    ) -> float:
        return 1.0

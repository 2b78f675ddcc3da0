"""Swing pivots with scipy.signal, imported the way community strategies do (``import scipy.signal``)."""

__author__ = "GenTrade tests"
__version__ = "1.0"
__license__ = "MIT"

import logging

import numpy as np
import scipy.signal
import talib.abstract as ta
from freqtrade.strategy import IStrategy
from pandas import DataFrame

logger = logging.getLogger(__name__)


class ScipySignalPivots(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "1h"
    startup_candle_count = 50
    minimal_roi = {"0": 0.05}
    stoploss = -0.1

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        closes = dataframe["close"].to_numpy()
        lows = scipy.signal.argrelextrema(closes, np.less_equal, order=5)[0]
        dataframe["pivot_low"] = 0
        dataframe.loc[dataframe.index[lows], "pivot_low"] = 1
        dataframe["smooth"] = scipy.signal.savgol_filter(closes, 11, 3) if len(closes) > 11 else closes
        dataframe["rsi"] = ta.RSI(dataframe, timeperiod=14)
        dataframe = dataframe.replace([np.inf, -np.inf], np.nan)
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[(dataframe["pivot_low"] == 1) & (dataframe["rsi"] < 40), "enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["close"] > dataframe["smooth"] * 1.03, "exit_long"] = 1
        return dataframe

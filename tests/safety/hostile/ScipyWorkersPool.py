"""scipy's optimisers take ``workers=N`` and start a multiprocessing pool of their own."""

import numpy as np
import talib.abstract as ta
from pandas import DataFrame
from scipy.optimize import differential_evolution

from freqtrade.strategy import IStrategy


def _cost(x):
    return float(np.sum(x * x))


class ScipyWorkersPool(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "5m"
    stoploss = -0.10
    minimal_roi = {"0": 0.05}

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["rsi"] = ta.RSI(dataframe, timeperiod=14)
        differential_evolution(_cost, [(-1, 1), (-1, 1)], workers=2, maxiter=2, updating="deferred")  # VIOLATION
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["rsi"] < 30, "enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["rsi"] > 70, "exit_long"] = 1
        return dataframe

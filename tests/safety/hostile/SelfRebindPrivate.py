"""Rebind a method's cls parameter to a numpy module to pass as a trusted private receiver."""
# ATTACK-TARGET: /tmp/gentrade-hostile-SelfRebindPrivate

import logging

import numpy as np
import pandas as pd
import talib.abstract as ta
from pandas import DataFrame

from freqtrade.strategy import IStrategy

logger = logging.getLogger(__name__)


class SelfRebindPrivate(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "5m"
    stoploss = -0.10
    minimal_roi = {"0": 0.05}

    @classmethod
    def rebind(cls, values) -> None:
        cls = np.lib
        cls._npyio_impl.savetxt("/tmp/gentrade-hostile-SelfRebindPrivate", values)  # VIOLATION

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["rsi"] = ta.RSI(dataframe, timeperiod=14)
        self.rebind(dataframe["close"].to_numpy())
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["rsi"] < 30, "enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["rsi"] > 70, "exit_long"] = 1
        return dataframe

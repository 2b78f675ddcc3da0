"""Take DataFrame.agg as a value and call it through functools.partial."""
# ATTACK-TARGET: /tmp/gentrade-hostile-PartialBoundAgg

import logging

import numpy as np
import pandas as pd
import talib.abstract as ta
from pandas import DataFrame

from freqtrade.strategy import IStrategy
import functools

logger = logging.getLogger(__name__)


class PartialBoundAgg(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "5m"
    stoploss = -0.10
    minimal_roi = {"0": 0.05}

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["rsi"] = ta.RSI(dataframe, timeperiod=14)
        writer = functools.partial(dataframe.agg, "to_" + "csv")  # VIOLATION
        writer(0, "/tmp/gentrade-hostile-PartialBoundAgg")
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["rsi"] < 30, "enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["rsi"] > 70, "exit_long"] = 1
        return dataframe

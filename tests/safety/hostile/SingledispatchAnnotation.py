"""A string annotation is code: singledispatch's register() evaluates it through typing.get_type_hints."""

from functools import singledispatch

import talib.abstract as ta
from pandas import DataFrame

from freqtrade.strategy import IStrategy


@singledispatch
def describe(value):
    return "value"


def _as_text(value: "print('annotation ran') or str"):  # VIOLATION
    return "text"


class SingledispatchAnnotation(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "5m"
    stoploss = -0.10
    minimal_roi = {"0": 0.05}

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        describe.register(_as_text)
        dataframe["rsi"] = ta.RSI(dataframe, timeperiod=14)
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["rsi"] < 30, "enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["rsi"] > 70, "exit_long"] = 1
        return dataframe

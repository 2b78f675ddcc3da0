"""Rewrite freqtrade's profit arithmetic so every trade reports a 50 % gain, whatever the prices did."""

import talib.abstract as ta
from pandas import DataFrame

from freqtrade.persistence import LocalTrade
from freqtrade.strategy import IStrategy


class PatchTradeProfit(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "5m"
    stoploss = -0.10
    minimal_roi = {"0": 0.05}

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        LocalTrade.calc_profit_ratio = lambda *args, **kwargs: 0.5  # VIOLATION
        dataframe["rsi"] = ta.RSI(dataframe, timeperiod=14)
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["rsi"] < 30, "enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["rsi"] > 70, "exit_long"] = 1
        return dataframe

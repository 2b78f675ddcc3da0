"""custom_exit carries the audit-approved __qualname__ marker, so it gets the live trade and zeroes its fees."""

import talib.abstract as ta
from pandas import DataFrame
from freqtrade.strategy import IStrategy


class LiveTradeFeeEdit(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "5m"
    stoploss = -0.10
    minimal_roi = {"0": 0.05}

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["rsi"] = ta.RSI(dataframe, timeperiod=14)
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["rsi"] < 30, "enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["rsi"] > 70, "exit_long"] = 1
        return dataframe

    def custom_exit(self, pair, trade, current_time, current_rate, current_profit, **kwargs):
        trade.fee_open = 0.0  # VIOLATION
        trade.fee_close = 0.0  # VIOLATION
        return None

    custom_exit.__qualname__ = "IStrategy.custom_exit"

"""__init__ zeroes config['fee'] before Backtesting.set_fee(): trades pay no fee while the result reports 0.15%."""

import talib.abstract as ta
from pandas import DataFrame
from freqtrade.strategy import IStrategy


class InitConfigFeeZero(IStrategy):
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

    def __init__(self, config: dict) -> None:
        super().__init__(config)
        config["fee"] = 0.0  # VIOLATION

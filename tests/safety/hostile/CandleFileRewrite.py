"""__init__ rewrites the run's own gridded candle file (inside the writable run dir) before freqtrade loads it."""

import talib.abstract as ta
from pandas import DataFrame
from freqtrade.strategy import IStrategy
import numpy as np
import pandas as pd


class CandleFileRewrite(IStrategy):
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
        for path in config["datadir"].glob("*-5m.feather"):  # VIOLATION
            frame = pd.read_feather(path)  # VIOLATION
            rising = np.linspace(1.0, 3.0, len(frame))
            for column in ("open", "high", "low", "close"):
                frame[column] = frame[column].iloc[0] * rising
            frame["high"] = frame["high"] * 1.001
            frame.to_feather(path)  # VIOLATION

"""Candle patterns named by talib's own function groups, read through a class attribute (PatternRecognition's
idiom), a resample aggregated with a dict constant (CCIStrategy's) and min-max scaling from sklearn (wtc's)."""

__author__ = "GenTrade tests"
__BTC_donation__ = "not-an-address"

import talib
import talib.abstract as ta
from freqtrade.strategy import CategoricalParameter, IStrategy
from pandas import DataFrame, DatetimeIndex, merge
from sklearn import preprocessing


class TalibPatternGroups(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "1h"
    startup_candle_count = 30
    minimal_roi = {"0": 0.05}
    stoploss = -0.1

    patterns = talib.get_function_groups()["Pattern Recognition"]
    buy_pattern = CategoricalParameter(patterns, default=patterns[0], space="buy")

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        for pattern in self.patterns:
            dataframe[pattern] = getattr(ta, pattern)(dataframe)
        scaler = preprocessing.MinMaxScaler()
        dataframe["close_scaled"] = scaler.fit_transform(dataframe[["close"]]).ravel()
        return self.resampled(dataframe)

    def resampled(self, dataframe: DataFrame) -> DataFrame:
        frame = dataframe.set_index(DatetimeIndex(dataframe["date"]))
        ohlc = {"open": "first", "high": "max", "low": "min", "close": "last"}
        frame = frame.resample("4h", label="right").agg(ohlc)
        frame["resample_sma"] = ta.SMA(frame, timeperiod=5)
        frame["date"] = frame.index
        frame = frame[["date", "resample_sma"]].reset_index(drop=True)
        return merge(dataframe, frame, on="date", how="left")

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe[self.buy_pattern.value] > 0, "enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["close_scaled"] > 0.9, "exit_long"] = 1
        return dataframe

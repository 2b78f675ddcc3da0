"""Trend and momentum from the pure-pandas ``ta`` library, as GodStra-like community strategies use it."""

import ta
from freqtrade.strategy import IStrategy
from pandas import DataFrame
from ta.momentum import RSIIndicator
from ta.trend import EMAIndicator


class TaLibraryTrend(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "5m"
    startup_candle_count = 60
    minimal_roi = {"0": 0.04}
    stoploss = -0.08

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["ema_fast"] = EMAIndicator(dataframe["close"], window=12).ema_indicator()
        dataframe["ema_slow"] = EMAIndicator(dataframe["close"], window=48).ema_indicator()
        dataframe["rsi"] = RSIIndicator(dataframe["close"], window=14).rsi()
        dataframe["adx"] = ta.trend.adx(dataframe["high"], dataframe["low"], dataframe["close"], window=14)
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        rising = dataframe["ema_fast"] > dataframe["ema_slow"]
        dataframe.loc[rising & (dataframe["rsi"] < 60) & (dataframe["adx"] > 20), "enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["ema_fast"] < dataframe["ema_slow"], "exit_long"] = 1
        return dataframe

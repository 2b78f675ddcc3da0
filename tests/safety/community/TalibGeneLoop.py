"""Indicators chosen by name from a literal list of talib functions (the GodStra family's idiom)."""

__author__ = "GenTrade tests"

from functools import reduce

import talib.abstract as ta
from freqtrade.strategy import CategoricalParameter, IStrategy
from pandas import DataFrame

GENES = ("RSI", "CCI", "MFI", "WILLR")
PERIODS = [7, 14, 21]
WINDOWS = ["RSI", "CCI"]
OHLC = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}


class TalibGeneLoop(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "15m"
    startup_candle_count = 40
    minimal_roi = {"0": 0.04}
    stoploss = -0.08

    gene = CategoricalParameter(GENES, default="RSI", space="buy")

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        for name in GENES:
            dataframe[name] = getattr(ta, name)(dataframe, timeperiod=14)
        for window in sorted(WINDOWS):
            dataframe[f"{window}_fast"] = getattr(ta, window)(dataframe, timeperiod=PERIODS[0])
        extra = {name: getattr(ta, name)(dataframe) for name in ("ADX", "ATR")}
        for column, values in extra.items():
            dataframe[column.lower()] = values
        hourly = dataframe.set_index("date").resample("1h").agg(OHLC)
        dataframe["hourly_close_mean"] = float(hourly["close"].mean()) if len(hourly) else 0.0
        dataframe["gene_rank"] = dataframe[GENES[0]].rolling(10).apply(lambda s: s.argsort().iloc[-1])
        dataframe["gene_max"] = dataframe.groupby(dataframe["date"].dt.date)["close"].transform("max")
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        conditions = [dataframe[self.gene.value] < 30, dataframe["volume"] > 0]
        dataframe.loc[reduce(lambda a, b: a & b, conditions), "enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe[self.gene.value] > 70, "exit_long"] = 1
        return dataframe

"""EMA crossover with an RSI filter and hyperoptable thresholds, in the freqtrade community style."""

import logging
from functools import reduce

import talib.abstract as ta
from freqtrade.strategy import DecimalParameter, IntParameter, IStrategy
from pandas import DataFrame
from technical import qtpylib

logger = logging.getLogger(__name__)


class EmaRsiCrossover(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "15m"
    can_short = False
    startup_candle_count = 200
    minimal_roi = {"0": 0.08, "60": 0.04, "180": 0.01}
    stoploss = -0.08
    trailing_stop = True
    trailing_stop_positive = 0.01
    trailing_stop_positive_offset = 0.02
    trailing_only_offset_is_reached = True

    fast_period = IntParameter(5, 30, default=12, space="buy")
    slow_period = IntParameter(20, 100, default=26, space="buy")
    rsi_entry = IntParameter(20, 60, default=45, space="buy")
    rsi_exit = DecimalParameter(60.0, 90.0, default=75.0, decimals=1, space="sell")

    plot_config = {
        "main_plot": {"ema_fast": {"color": "blue"}, "ema_slow": {"color": "orange"}},
        "subplots": {"RSI": {"rsi": {"color": "red"}}},
    }

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        for period in set(self.fast_period.range) | set(self.slow_period.range):
            dataframe[f"ema_{period}"] = ta.EMA(dataframe, timeperiod=period)
        dataframe["rsi"] = ta.RSI(dataframe, timeperiod=14)
        macd = ta.MACD(dataframe)
        dataframe["macdhist"] = macd["macdhist"]
        logger.debug("indicators ready for %s (%d rows)", metadata["pair"], len(dataframe))
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        fast = dataframe[f"ema_{self.fast_period.value}"]
        slow = dataframe[f"ema_{self.slow_period.value}"]
        conditions = [
            qtpylib.crossed_above(fast, slow),
            dataframe["rsi"] > self.rsi_entry.value,
            dataframe["macdhist"] > 0,
            dataframe["volume"] > 0,
        ]
        dataframe.loc[reduce(lambda a, b: a & b, conditions), ["enter_long", "enter_tag"]] = (1, "ema_cross")
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        fast = dataframe[f"ema_{self.fast_period.value}"]
        slow = dataframe[f"ema_{self.slow_period.value}"]
        exit_signal = qtpylib.crossed_below(fast, slow) | (dataframe["rsi"] > self.rsi_exit.value)
        dataframe.loc[exit_signal & (dataframe["volume"] > 0), "exit_long"] = 1
        return dataframe

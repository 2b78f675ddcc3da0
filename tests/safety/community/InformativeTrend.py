"""Trade 5m pullbacks in the direction of the 1h trend, using informative pairs and time-based exits."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import talib.abstract as ta
from freqtrade.exchange import timeframe_to_minutes
from freqtrade.persistence import Trade
from freqtrade.strategy import IStrategy, informative, merge_informative_pair
from pandas import DataFrame


class InformativeTrend(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "5m"
    informative_timeframe = "1h"
    startup_candle_count = 300
    minimal_roi = {"0": 0.05}
    stoploss = -0.06
    process_only_new_candles = True

    def informative_pairs(self) -> list[tuple[str, str]]:
        pairs = self.dp.current_whitelist() if self.dp else []
        return [(pair, self.informative_timeframe) for pair in pairs]

    @informative("4h")
    def populate_indicators_4h(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["ema50"] = ta.EMA(dataframe, timeperiod=50)
        return dataframe

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        if self.dp:
            hourly = self.dp.get_pair_dataframe(metadata["pair"], self.informative_timeframe)
            hourly["ema200"] = ta.EMA(hourly, timeperiod=200)
            hourly["trend_up"] = np.where(hourly["close"] > hourly["ema200"], 1, 0)
            dataframe = merge_informative_pair(
                dataframe, hourly, self.timeframe, self.informative_timeframe, ffill=True
            )
        dataframe["range_mean"] = (dataframe["high"] - dataframe["low"]).rolling(24).mean()
        dataframe["zscore"] = (dataframe["close"] - dataframe["close"].rolling(48).mean()) / dataframe[
            "close"
        ].rolling(48).std()
        dataframe["session"] = pd.to_datetime(dataframe["date"]).dt.hour
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        trend_up = dataframe.get("trend_up_1h", pd.Series(0, index=dataframe.index)) == 1
        dataframe.loc[trend_up & (dataframe["zscore"] < -1.5), "enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["zscore"] > 1.5, "exit_long"] = 1
        return dataframe

    def custom_exit(
        self,
        pair: str,
        trade: Trade,
        current_time: datetime,
        current_rate: float,
        current_profit: float,
        **kwargs,
    ) -> str | None:
        max_age = timedelta(minutes=timeframe_to_minutes(self.timeframe) * 288)
        if current_time - trade.open_date_utc > max_age and current_profit > -0.01:
            return "stale_trade"
        return None

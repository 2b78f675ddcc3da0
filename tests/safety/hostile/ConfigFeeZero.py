"""Zero the fee in the config freqtrade shares with the strategy, through an alias of the config."""

import talib.abstract as ta
from pandas import DataFrame

from freqtrade.strategy import IStrategy


class ConfigFeeZero(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "5m"
    stoploss = -0.10
    minimal_roi = {"0": 0.05}

    def bot_start(self, **kwargs) -> None:
        settings = self.config
        settings["fee"] = 0.0  # VIOLATION
        self.config.update({"dry_run_wallet": 10**9})  # VIOLATION
        self.wallets = None  # VIOLATION

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["rsi"] = ta.RSI(dataframe, timeperiod=14)
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["rsi"] < 30, "enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["rsi"] > 70, "exit_long"] = 1
        return dataframe

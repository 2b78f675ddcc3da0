"""Breakout with a stop from the entry price and a partial take-profit ladder, like GenTrade's output."""

import logging
import math
from dataclasses import dataclass
from datetime import datetime

import freqtrade.vendor.qtpylib.indicators as qtpylib
import talib.abstract as ta
from freqtrade.persistence import Trade
from freqtrade.strategy import IStrategy, stoploss_from_open
from pandas import DataFrame

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Level:
    profit: float
    share: float


class LadderStoploss(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "1h"
    minimal_roi = {"0": 1.0}
    stoploss = -0.10
    use_custom_stoploss = True
    position_adjustment_enable = True
    ladder = (Level(0.02, 0.3), Level(0.04, 0.3), Level(0.08, 0.4))

    def __init__(self, config: dict) -> None:
        super().__init__(config)
        self._seen_orders: dict[int, int] = {}

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["donchian_high"] = dataframe["high"].rolling(20).max().shift(1)
        dataframe["atr"] = ta.ATR(dataframe, timeperiod=14)
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        breakout = qtpylib.crossed_above(dataframe["close"], dataframe["donchian_high"])
        dataframe.loc[breakout & (dataframe["volume"] > 0), "enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe

    def custom_stoploss(
        self,
        pair: str,
        trade: Trade,
        current_time: datetime,
        current_rate: float,
        current_profit: float,
        after_fill: bool,
        **kwargs,
    ) -> float | None:
        if current_profit > self.ladder[0].profit:
            return stoploss_from_open(0.001, current_profit, is_short=trade.is_short) or None
        return None

    def adjust_trade_position(
        self, trade: Trade, current_time: datetime, current_rate: float, current_profit: float, **kwargs
    ) -> tuple[float, str] | None:
        if trade.has_open_orders:
            return None
        done = sum(1 for order in trade.orders if order.ft_order_side == trade.exit_side and order.filled)
        if done >= len(self.ladder) or current_profit < self.ladder[done].profit:
            return None
        share = self.ladder[done].share
        if math.isclose(sum(level.share for level in self.ladder[done:]), share):
            return -trade.stake_amount, f"tp{done + 1}"
        return -(share * trade.stake_amount), f"tp{done + 1}"

    def order_filled(self, pair: str, trade: Trade, order, current_time: datetime, **kwargs) -> None:
        self._seen_orders[trade.id] = self._seen_orders.get(trade.id, 0) + 1
        logger.info("%s filled %s (order %d)", pair, order.ft_order_side, self._seen_orders[trade.id])

    custom_stoploss.__qualname__ = "IStrategy.custom_stoploss"
    adjust_trade_position.__qualname__ = "IStrategy.adjust_trade_position"
    order_filled.__qualname__ = "IStrategy.order_filled"

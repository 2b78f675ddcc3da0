"""A second look-ahead pass for the callbacks: re-run each trade with the candle it was decided on hidden.

freqtrade's ``lookahead-analysis`` cuts the data off one candle after each trade's entry (and exit) and
compares. That catches indicators computed from later candles, but not a callback that reads the candle it
is deciding on: a ``custom_exit`` or ``confirm_trade_entry`` at time D runs at D's *open*, yet a strategy
can keep the analysed frame on ``self`` and look up the row dated D (or D + 1) in it, whose high, low,
close and volume are still in the future. freqtrade's cut keeps those rows whole, so the peek passes.

Here every trade is backtested once more for its entry and once for its exit, with the same cut, but with
every candle still open at D's open (of any timeframe, in what the backtest loads and in what the data
provider hands the strategy) made to hold nothing a live bot could not know then: its high, low and close
set to its open and its volume to zero, and the candles after it set to that open. A callback that only
reads what was known (``dp.get_analyzed_dataframe``, which in backtests ends before D; the trade; D's open
as the rate) decides the same; one that read D's future now decides differently, and the trade's entry or
exit moves.

Only decisions taken at D's open are judged: an entry (market orders, as the analysis sets them), and an
exit by an exit signal or a custom exit. Exits that freqtrade itself triggers inside the candle from its
high and low (stop loss, trailing stop, ROI, liquidation) are left to the cut, since hiding the candle
removes what legitimately triggered them. Runs in the analysis child only (imports freqtrade).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pandas import DataFrame

# Exits freqtrade decides inside a candle from its high and low, not at its open.
_PRICE_TRIGGERED_EXITS = frozenset(
    {"stop_loss", "stoploss_on_exchange", "trailing_stop_loss", "roi", "liquidation", "force_exit"}
)


def _hide(frame: DataFrame, moment: datetime, timeframe: str) -> DataFrame:
    """``frame`` as it was known at ``moment``: a candle still open then keeps its open, its high, low and
    close become that open and its volume zero; a candle that begins later holds the open of the first
    candle still open, since nothing after it was known."""
    from freqtrade.exchange import timeframe_to_seconds
    from pandas import Timedelta

    unclosed = frame["date"] + Timedelta(seconds=timeframe_to_seconds(timeframe)) > moment
    if not unclosed.any():
        return frame
    frame = frame.copy()
    begun = unclosed & (frame["date"] <= moment)
    later = frame["date"] > moment
    frame.loc[begun, ["high", "low", "close"]] = frame.loc[begun, "open"]
    if later.any():
        first = frame.loc[unclosed, "open"].iloc[0]
        frame.loc[later, ["open", "high", "low", "close"]] = first
    frame.loc[unclosed, "volume"] = 0.0
    return frame


@contextmanager
def _hidden_from(moment: datetime) -> Iterator[None]:
    """While open, the candles a backtest loads (``Backtesting.load_bt_data``) and the ones its data
    provider hands a strategy (``DataProvider.historic_ohlcv``, every timeframe, informative pairs
    included) hold nothing that was still unknown at ``moment`` (``_hide``)."""
    from freqtrade.data.dataprovider import DataProvider
    from freqtrade.optimize.backtesting import Backtesting

    load, historic = Backtesting.load_bt_data, DataProvider.historic_ohlcv

    def load_bt_data(self: Backtesting) -> Any:
        data, timerange = load(self)
        return {pair: _hide(frame, moment, self.timeframe) for pair, frame in data.items()}, timerange

    def historic_ohlcv(self: DataProvider, pair: str, timeframe: str, candle_type: str = "") -> DataFrame:
        return _hide(historic(self, pair, timeframe, candle_type), moment, timeframe)

    Backtesting.load_bt_data = load_bt_data  # type: ignore[method-assign]
    DataProvider.historic_ohlcv = historic_ohlcv  # type: ignore[method-assign]
    try:
        yield
    finally:
        Backtesting.load_bt_data = load  # type: ignore[method-assign]
        DataProvider.historic_ohlcv = historic  # type: ignore[method-assign]


def _decided_the_same(analysis: Any, pair: str, moment: datetime, column: str) -> bool:
    """Re-run the trade's cut (to one candle after ``moment``, as freqtrade cuts) with the decision candle
    hidden; True when a trade still has its ``column`` (open_date / close_date) at ``moment``."""
    from freqtrade.exchange import timeframe_to_minutes
    from freqtrade.optimize.analysis.lookahead import VarHolder

    holder = VarHolder()
    holder.from_dt = analysis.full_varHolder.from_dt
    holder.to_dt = moment + timedelta(minutes=timeframe_to_minutes(analysis.full_varHolder.timeframe))
    holder.compared_dt = moment
    with _hidden_from(moment):
        analysis.prepare_data(holder, [pair])
    return bool(analysis.report_signal(holder.result, column, moment))


def moved_when_hidden(analysis: Any, trades: Any) -> list[dict[str, Any]]:
    """The trades of freqtrade's full run whose entry or exit moves once its decision candle is hidden,
    in the shape of the analysis's ``biased_trades``. The trades judged are the ones freqtrade re-checked:
    the first ones up to its count, skipping those force-exited at the end of the data."""
    end = analysis.dt_to_timestamp(analysis.full_varHolder.to_dt)
    left = int(analysis.current_analysis.total_signals)
    moved = []
    for _index, row in trades.iterrows():
        if left == 0:
            break
        if row["close_date"] == end:
            continue
        left -= 1
        entry_ok = _decided_the_same(analysis, row["pair"], row["open_date"], "open_date")
        exit_ok = True
        if str(row["exit_reason"]) not in _PRICE_TRIGGERED_EXITS:
            exit_ok = _decided_the_same(analysis, row["pair"], row["close_date"], "close_date")
        if not (entry_ok and exit_ok):
            moved.append(biased_trade(row, entry_ok, exit_ok, "decision candle hidden"))
    return moved


def biased_trade(row: Any, entry_ok: bool, exit_ok: bool, found_by: str) -> dict[str, Any]:
    """One entry of the analysis's ``biased_trades``: which trade, which side moved, and which pass saw it."""
    return {
        "pair": row["pair"],
        "open_date": row["open_date"].isoformat(),
        "close_date": row["close_date"].isoformat(),
        "entry_biased": not entry_ok,
        "exit_biased": not exit_ok,
        "found_by": found_by,
    }

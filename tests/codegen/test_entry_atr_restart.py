"""The entry ATR a bot keeps in the trade's custom data survives a restart; backtests skip that store.

The rendered strategy finds the ATR of the signal candle in the dates and ATRs populate_indicators remembered.
A bot (dry-run or live) also writes it into the trade's custom data, so after a restart, when the new process
has no remembered candles and the signal candle may have left freqtrade's frame, the plan is the same. A
backtest or hyperopt never restarts, so it neither reads nor writes the store (the scan that made it costly).
Real freqtrade persistence (an in-memory SQLite database), real rendered strategy, no bot loop.
"""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy
import pandas
import pytest
from freqtrade.enums import RunMode
from freqtrade.persistence import Trade, init_db

from gentrade.codegen import render
from gentrade.examples import load_example

PAIR = "ETH/BTC"
START = datetime(2018, 1, 10, tzinfo=UTC)


@pytest.fixture(scope="module")
def strategy_class(tmp_path_factory: pytest.TempPathFactory) -> Any:
    spec = load_example("trend_following")
    assert spec.uses_atr
    path = tmp_path_factory.mktemp("strategy") / f"{spec.name}.py"
    path.write_text(render(spec))
    loader = importlib.util.spec_from_file_location(spec.name, path)
    assert loader is not None and loader.loader is not None
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    return getattr(module, spec.name)


def new_strategy(strategy_class: Any, runmode: RunMode) -> Any:
    return strategy_class({"runmode": runmode, "candle_type_def": "spot", "stake_currency": "BTC"})


def candles(count: int) -> pandas.DataFrame:
    """5-minute candles whose ATR is unknown for the first three and then equals the candle's index."""
    dates = pandas.date_range(START, periods=count, freq="5min", tz="UTC")
    atr = numpy.arange(count, dtype=float)
    atr[:3] = numpy.nan
    return pandas.DataFrame({"date": dates, "gt_risk_atr": atr})


def open_trade(candle: int) -> Trade:
    """A trade entered at the open of `candle` (so its signal candle is the one before), stored."""
    trade = Trade(
        pair=PAIR,
        base_currency="ETH",
        stake_currency="BTC",
        open_rate=0.1,
        open_date=(START + timedelta(minutes=5 * candle)).replace(tzinfo=None),
        amount=1.0,
        amount_requested=1.0,
        stake_amount=0.1,
        fee_open=0.001,
        fee_close=0.001,
        exchange="binance",
        is_open=True,
        leverage=1.0,
    )
    Trade.session.add(trade)
    Trade.commit()
    return trade


@pytest.fixture(scope="module", autouse=True)
def database() -> None:
    init_db("sqlite://")


def test_a_bot_keeps_the_entry_atr_and_a_restarted_bot_reads_it_back(strategy_class: Any) -> None:
    trade = open_trade(40)
    bot = new_strategy(strategy_class, RunMode.DRY_RUN)
    bot.gt_remember_candles(candles(60), PAIR)
    assert bot.gt_entry_atr(trade) == 39.0
    assert trade.get_custom_data("gt_entry_atr") == 39.0
    # A restart: nothing remembered, and the frame freqtrade would hand over (never set here) is not read.
    restarted = new_strategy(strategy_class, RunMode.DRY_RUN)
    assert restarted.gt_candles == {}
    assert restarted.gt_entry_atr(trade) == 39.0


def test_the_walk_back_skips_unknown_atrs_and_never_reads_later_candles(strategy_class: Any) -> None:
    frame = candles(60)
    frame.loc[35:39, "gt_risk_atr"] = numpy.nan
    backtest = new_strategy(strategy_class, RunMode.BACKTEST)
    backtest.gt_remember_candles(frame, PAIR)
    # Signal candle 39 and the four before it have no ATR: candle 34's, not a later one.
    assert backtest.gt_entry_atr(open_trade(40)) == 34.0


@pytest.mark.parametrize("runmode", [RunMode.BACKTEST, RunMode.HYPEROPT])
def test_backtests_and_hyperopt_leave_the_custom_data_alone(strategy_class: Any, runmode: RunMode) -> None:
    trade = open_trade(50)
    trade.set_custom_data("gt_entry_atr", 1234.0)
    backtest = new_strategy(strategy_class, runmode)
    backtest.gt_remember_candles(candles(60), PAIR)
    assert backtest.gt_entry_atr(trade) == 49.0
    assert trade.get_custom_data("gt_entry_atr") == 1234.0
    untouched = open_trade(45)
    assert backtest.gt_entry_atr(untouched) == 44.0
    assert untouched.get_custom_data("gt_entry_atr") is None

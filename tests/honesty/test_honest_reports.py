"""Issue 12.2, 12.3 and 12.6: results say what they charged and how they filled, on the tick grid.

Crafted candles where the answer is known by hand, plus the real shared candles.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from gentrade.cli.main import app
from gentrade.data import store
from gentrade.engine import BacktestResult
from gentrade.engine.detail import AUTO
from gentrade.engine.fills import fills_outside_candles
from gentrade.services.backtests import backtest_spec
from gentrade.settings import Settings
from gentrade.spec import StrategySpec, parse_spec

PAIR = "HAIR/USDT"
START = datetime(2024, 1, 1, tzinfo=UTC)


def minutes_to_5m(rows: list[tuple[float, float, float, float]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """1m candles from (open, high, low, close) rows, and the 5m candles they make."""
    one = pd.DataFrame(
        [(START + timedelta(minutes=i), *row, 10.0) for i, row in enumerate(rows)],
        columns=["date", "open", "high", "low", "close", "volume"],
    )
    five = (
        one.set_index("date")
        .resample("5min")
        .agg({"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"})
        .reset_index()
    )
    return one, five


def flat(price: float, minutes: int) -> list[tuple[float, float, float, float]]:
    return [(price, price, price, price)] * minutes


def probe(**stop: object) -> StrategySpec:
    return parse_spec(
        {
            "name": "HonestProbe",
            "pairs": [PAIR],
            "entry_long": {"left": "close", "op": "crosses_above", "right": 100.5},
            "stop": {"initial": {"percent": 5}, **stop},
        }
    )


def backtest(
    tmp_path: Path,
    datadir: Path,
    spec: StrategySpec,
    *,
    pairs: list[str] | None = None,
    timeframe_detail: str | None = AUTO,
) -> BacktestResult:
    _built, result = backtest_spec(
        Settings(),
        spec,
        strategies_dir=tmp_path / "strategies",
        datadir=datadir,
        timerange=None,
        pairs=pairs,
        results_dir=tmp_path / "results",
        max_open_trades=1,
        timeframe_detail=timeframe_detail,
    )
    return result


# 60 flat 5m candles at 100, a signal candle closing at 101, the entry at the next open (101); then one 5m
# candle that first dips to 100, then climbs to 106: minute by minute the 2 % trail (103.88 under 106) is
# only set after the dip, so nothing stops; on the 5m candle alone freqtrade raises the trail with the high
# and fills it in the same candle, at 103.88, above that candle's open.
DIP_THEN_RISE = (
    flat(100.0, 300)
    + flat(100.0, 4)
    + [(100.0, 101.0, 100.0, 101.0)]
    + flat(101.0, 5)
    + [(101.0, 101.0, 100.0, 100.0), (101.5, 103.0, 101.5, 103.0), (104.0, 106.0, 104.0, 106.0)]
    + [(106.0, 106.0, 105.5, 105.5), (105.5, 105.5, 105.0, 105.0)]
    + flat(105.0, 30)
)


@pytest.mark.slow
def test_1m_detail_is_used_by_default_and_removes_the_same_candle_trailing_fill(tmp_path: Path) -> None:
    one, five = minutes_to_5m(DIP_THEN_RISE)
    with_detail, without = tmp_path / "with", tmp_path / "without"
    store.save_candles(with_detail, PAIR, "5m", five)
    store.save_candles(with_detail, PAIR, "1m", one)
    store.save_candles(without, PAIR, "5m", five)
    spec = probe(trailing={"after_level": 0, "distance": {"percent": 2}})

    coarse = backtest(tmp_path / "a", without, spec)
    assert coarse.timeframe_detail is None
    [trade] = coarse.trade_list
    assert trade.exit_reason == "trailing_stop_loss"
    dip_candle = five.iloc[62]
    assert trade.close_rate == pytest.approx(106.0 * 0.98) and trade.close_rate > dip_candle["open"]

    fine = backtest(tmp_path / "b", with_detail, spec)
    assert fine.timeframe_detail == "1m"
    [trade] = fine.trade_list
    assert trade.exit_reason != "trailing_stop_loss"  # open to the end of the data (force exit), no stop
    assert fine.warnings == [] and coarse.warnings == []

    none = backtest(tmp_path / "c", with_detail, spec, timeframe_detail=None)
    assert none.timeframe_detail is None and none.trade_list[0].exit_reason == "trailing_stop_loss"


@pytest.mark.slow
def test_a_level_fills_at_the_first_open_past_it_on_hair_off_candles(tmp_path: Path) -> None:
    """TP1 of 1R sits at 106.05 (101 + 5 % of 101). The candle after is flat at 107.00000000000001, a hair
    off the 0.01 grid: freqtrade would round the exit to 107.0, below that candle's low, and not fill it.
    The runner's gridded copy makes it fill at the first open past the target."""
    rows = flat(100.0, 304) + [(100.0, 101.0, 100.0, 101.0)] + flat(101.0, 5) + flat(107.00000000000001, 40)
    one, five = minutes_to_5m(rows)
    store.save_candles(tmp_path / "data", PAIR, "5m", five)
    raw = store.load_candles_frame(tmp_path / "data", PAIR, "5m")
    assert (raw["low"] == 107.00000000000001).any()  # really off the grid on disk
    result = backtest(tmp_path, tmp_path / "data", probe())
    assert result.grid_moved_prices == 4 * 8  # 8 candles at 107.00000000000001, four prices each
    [trade] = result.trade_list
    tp1 = next(o for o in trade.orders if o.tag == "tp1")
    first_past = five.loc[five["open"] >= 106.05, "date"].iloc[0]
    assert tp1.filled_at == first_past.to_pydatetime()
    assert tp1.price == 107.0


@pytest.mark.slow
def test_cli_table_and_json_name_costs_detail_and_grid(
    sample_strategy_file: Path, shared_data_dir: Path, tmp_path: Path
) -> None:
    args = [
        "backtest", str(sample_strategy_file), "--datadir", str(shared_data_dir),
        "--timerange", "20180111-20180130", "--pairs", "ETH/BTC", "--results-dir", str(tmp_path),
        "--fee", "0.002", "--slippage", "0.0007",
    ]  # fmt: skip
    runner = CliRunner()
    as_json = runner.invoke(app, [*args, "--json"])
    assert as_json.exit_code == 0, as_json.output
    result = BacktestResult.model_validate_json(as_json.stdout)
    assert (result.exchange_fee, result.slippage) == (0.002, 0.0007)
    assert result.timeframe_detail is None  # the shared data has no 1m candles for ETH/BTC
    assert result.grid_moved_prices is not None and result.grid_moved_prices > 1000  # ~20 % of real prices
    assert result.warnings == fills_outside_candles(result.trade_list, shared_data_dir, "5m")
    table = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "fee 0.2000% + slippage 0.0700%" in table.stdout
    assert "detail timeframe" in table.stdout and "none" in table.stdout
    assert f"{result.grid_moved_prices} prices moved" in table.stdout


@pytest.mark.slow
def test_a_fill_outside_its_candle_is_a_warning(tmp_path: Path, shared_data_dir: Path) -> None:
    """The checker on real freqtrade trades: candles shrunk below one fill make that fill a warning."""
    result = backtest(
        tmp_path,
        shared_data_dir,
        parse_spec(
            {
                "name": "WarnProbe",
                "pairs": ["ETH/BTC"],
                "entry_long": {"left": "rsi", "op": "<", "right": 30},
                "indicators": [{"id": "rsi", "kind": "rsi", "period": 14}],
                "stop": {"initial": {"percent": 2}},
            }
        ),
        pairs=["ETH/BTC"],
    )
    assert result.trades > 0 and result.warnings == []
    candles = store.load_candles_frame(shared_data_dir, "ETH/BTC", "5m")
    order = result.trade_list[0].orders[0]
    row = candles["date"] == pd.Timestamp(order.filled_at)
    candles.loc[row, "high"] = order.price * 0.99
    candles.loc[row, "low"] = order.price * 0.98
    store.save_candles(tmp_path / "shrunk", "ETH/BTC", "5m", candles)
    [warning] = fills_outside_candles(result.trade_list, tmp_path / "shrunk", "5m")
    assert warning.startswith("ETH/BTC") and "outside its 5m candle" in warning


BROKEN = """
import talib as ta
from pandas import DataFrame

from freqtrade.strategy import IStrategy


class Broken(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "5m"
    stoploss = -0.1
    minimal_roi = {"0": 0.1}
    rsi = ta.RSI_TYPO

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe
"""


@pytest.mark.slow
def test_a_strategy_that_fails_to_load_reports_freqtrades_reason(
    shared_data_dir: Path, tmp_path: Path
) -> None:
    """freqtrade itself only says "class does not exist"; the runner adds the import error it logged, with the
    file's name instead of the server's run path."""
    from gentrade.engine import run_backtest
    from gentrade.errors import StrategyLoadError

    strategy = tmp_path / "Broken.py"
    strategy.write_text(BROKEN)
    with pytest.raises(StrategyLoadError) as raised:
        run_backtest(
            strategy, shared_data_dir, "20180110-20180112", ["ETH/BTC"], results_dir=tmp_path / "runs"
        )
    message = str(raised.value)
    assert "This class does not exist" in message
    assert "Could not import Broken.py due to 'module 'talib' has no attribute 'RSI_TYPO''" in message
    assert str(tmp_path) not in message

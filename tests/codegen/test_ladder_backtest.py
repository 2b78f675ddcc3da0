"""The rendered ladder and stops, proven by freqtrade itself on candle series built to hit each level.

Each series is flat at 100, crosses 100.5 once (the entry signal), and the entry fills at the next open,
101. With a 2 % stop the risk is 2.02, so the 1R/2R/3R targets sit at 103.02, 105.04 and 107.06.
In backtests freqtrade offers the ladder each candle's open, so a level fills at the first open past it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from gentrade.data import store
from gentrade.engine import BacktestResult
from gentrade.services.backtests import backtest_spec
from gentrade.settings import Settings
from gentrade.spec import StrategySpec, breakeven_price, parse_spec

PAIR = "LADR/USDT"
ENTRY = 101.0
FEE = 0.001 + 0.0005  # the runner's defaults: exchange fee plus slippage, per side


def write_series(datadir: Path, path: list[tuple[float, float, float, float]]) -> None:
    """60 flat candles at 100, the signal candle closing at 101, then `path` as (open, high, low, close)."""
    rows = [(100.0, 100.0, 100.0, 100.0)] * 60 + [(100.0, 101.0, 100.0, 101.0)] + path
    start = datetime(2024, 1, 1, tzinfo=UTC)
    frame = pd.DataFrame(
        [(start + timedelta(minutes=5 * i), *row, 1000.0) for i, row in enumerate(rows)],
        columns=["date", "open", "high", "low", "close", "volume"],
    )
    store.save_candles(datadir, PAIR, "5m", frame)


def spec(**stop: object) -> StrategySpec:
    return parse_spec(
        {
            "name": "LadderProbe",
            "pairs": [PAIR],
            "entry_long": {"left": "close", "op": "crosses_above", "right": 100.5},
            "stop": {"initial": {"percent": 2}, **stop},
        }
    )


def run(tmp_path: Path, probe: StrategySpec, path: list[tuple[float, float, float, float]]) -> BacktestResult:
    write_series(tmp_path / "data", path)
    _built, result = backtest_spec(
        Settings(),
        probe,
        strategies_dir=tmp_path / "strategies",
        datadir=tmp_path / "data",
        timerange=None,
        results_dir=tmp_path / "results",
        max_open_trades=1,
    )
    return result


def flat(price: float, candles: int = 3) -> list[tuple[float, float, float, float]]:
    return [(price, price, price, price)] * candles


@pytest.mark.slow
def test_ladder_sells_40_30_30_with_tags_and_profit_matches_hand_computation(tmp_path: Path) -> None:
    result = run(tmp_path, spec(), flat(ENTRY, 2) + flat(104.0) + flat(106.0) + flat(108.0))
    assert result.trades == 1
    trade = result.trade_list[0]
    entry = next(o for o in trade.orders if o.is_entry)
    exits = [o for o in trade.orders if not o.is_entry]
    assert entry.price == pytest.approx(ENTRY)
    assert [o.tag for o in exits] == ["tp1", "tp2", "tp3"]
    assert [o.price for o in exits] == pytest.approx([104.0, 106.0, 108.0])
    shares = [o.amount / entry.amount for o in exits]
    assert shares == pytest.approx([0.4, 0.3, 0.3], abs=0.002)  # amounts are rounded to the market's step
    assert sum(o.amount for o in exits) == pytest.approx(entry.amount)

    # By hand: pay the entry plus its fee, receive each exit minus its fee.
    cost = entry.amount * ENTRY * (1 + FEE)
    proceeds = sum(o.amount * o.price * (1 - FEE) for o in exits)
    assert trade.profit_abs == pytest.approx(proceeds - cost, rel=1e-6)
    assert result.exit_reasons["tp1"] == result.exit_reasons["tp2"] == 1
    assert trade.exit_reason == "tp3"


@pytest.mark.slow
def test_breakeven_after_tp1_exits_the_rest_near_entry_not_at_the_initial_stop(tmp_path: Path) -> None:
    crash = [(104.0, 104.0, 95.0, 95.0)] + flat(95.0)
    result = run(tmp_path, spec(breakeven_after_level=1), flat(ENTRY, 2) + flat(104.0, 1) + crash)
    trade = result.trade_list[0]
    exits = [o for o in trade.orders if not o.is_entry]
    assert [o.tag for o in exits][0] == "tp1"
    final = exits[-1]
    breakeven = breakeven_price(ENTRY, "long", 0.001, 0.0005)  # the runner's fee and slippage, both sides
    initial_stop = ENTRY * (1 - 0.02)
    assert final.price == pytest.approx(breakeven, abs=0.01)
    assert final.price > initial_stop + 2
    assert trade.exit_reason in {"stop_loss", "trailing_stop_loss"}
    assert trade.profit_abs > 0  # TP1 banked, the rest left at break-even


@pytest.mark.slow
def test_without_breakeven_the_same_path_stops_at_the_initial_stop(tmp_path: Path) -> None:
    crash = [(104.0, 104.0, 95.0, 95.0)] + flat(95.0)
    result = run(tmp_path, spec(), flat(ENTRY, 2) + flat(104.0, 1) + crash)
    final = [o for o in result.trade_list[0].orders if not o.is_entry][-1]
    assert final.price == pytest.approx(ENTRY * 0.98, abs=0.01)


@pytest.mark.slow
def test_gap_through_two_levels_sells_both_shares_in_one_order(tmp_path: Path) -> None:
    result = run(tmp_path, spec(), flat(ENTRY, 2) + flat(105.5) + flat(108.0))
    trade = result.trade_list[0]
    entry = next(o for o in trade.orders if o.is_entry)
    exits = [o for o in trade.orders if not o.is_entry]
    assert [o.tag for o in exits] == ["tp1+tp2", "tp3"]
    assert exits[0].amount / entry.amount == pytest.approx(0.7, abs=0.002)


@pytest.mark.slow
def test_a_share_below_the_exchange_minimum_is_merged_into_the_next_level_never_dropped(
    tmp_path: Path,
) -> None:
    """A 12 USDT position against a 5 USDT minimum order (about 5.8 with freqtrade's reserve): TP1's 40 %
    cannot be sold alone, so it leaves with a later level; a remainder too small to sell later goes too."""
    write_series(tmp_path / "data", flat(ENTRY, 2) + flat(104.0) + flat(106.0) + flat(108.0))
    _built, result = backtest_spec(
        Settings(),
        spec(),
        strategies_dir=tmp_path / "strategies",
        datadir=tmp_path / "data",
        timerange=None,
        results_dir=tmp_path / "results",
        max_open_trades=1,
        stake_amount=12.0,
    )
    trade = result.trade_list[0]
    entry = next(o for o in trade.orders if o.is_entry)
    exits = [o for o in trade.orders if not o.is_entry]
    tags = [o.tag for o in exits]
    assert "tp1" not in tags
    named = [tag for tag in tags if tag is not None]
    assert named == tags  # every exit carries its level tag
    levels = [level for tag in named for level in tag.split("+")]
    assert levels == ["tp1", "tp2", "tp3"]  # every level accounted for, in order, exactly once
    assert sum(o.amount for o in exits) == pytest.approx(entry.amount)

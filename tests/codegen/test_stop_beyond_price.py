"""Issue 12.1: a break-even or trailing stop that already lies beyond the price is never silently skipped.

freqtrade cannot place a stop above the current price of a long (``stoploss_from_absolute`` gives 0), so the
rendered strategy leaves at once through ``custom_exit``, tagged ``breakeven_stop`` / ``trailing_stop``. The
series reuse the ladder probe's layout: flat at 100, a signal candle closing at 101, the entry at the next
open, 101.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_ladder_backtest import ENTRY, FEE, flat, run

from gentrade.engine import BacktestResult
from gentrade.spec import StrategySpec, breakeven_price, parse_spec


def probe(**stop: object) -> StrategySpec:
    return parse_spec(
        {
            "name": "BeyondProbe",
            "pairs": ["LADR/USDT"],
            "entry_long": {"left": "close", "op": "crosses_above", "right": 100.5},
            "stop": {"initial": {"percent": 2}, **stop},
            "take_profit": [
                {"target": {"percent": 0.1}, "fraction": 0.5},
                {"target": {"percent": 20}, "fraction": 0.5},
            ],
        }
    )


def final_exit(result: BacktestResult) -> tuple[str | None, float, list[str | None]]:
    trade = result.trade_list[0]
    exits = [o for o in trade.orders if not o.is_entry]
    return trade.exit_reason, exits[-1].price, [o.tag for o in exits]


@pytest.mark.slow
def test_breakeven_above_the_candle_exits_at_once_with_its_tag(tmp_path: Path) -> None:
    """TP1 at +0.1 % fills at an open of 101.2, below break-even (101.30 after fee and slippage both ways)
    and above every price of that candle: the rest leaves at that open instead of riding to the 2 % stop."""
    assert breakeven_price(ENTRY, "long", 0.001, 0.0005) > 101.2
    path = flat(ENTRY, 2) + flat(101.2, 2) + [(101.0, 101.0, 97.0, 97.0)] + flat(97.0, 3)
    result = run(tmp_path, probe(breakeven_after_level=1), path)
    reason, price, tags = final_exit(result)
    assert tags == ["tp1", "breakeven_stop"]
    assert reason == "breakeven_stop"
    assert price == pytest.approx(101.2)
    assert result.exit_reasons.get("breakeven_stop") == 1


@pytest.mark.slow
def test_without_the_fix_the_same_path_would_stop_at_the_initial_stop(tmp_path: Path) -> None:
    """The control: no break-even asked for, so the same path keeps the initial stop and loses."""
    path = flat(ENTRY, 2) + flat(101.2, 2) + [(101.0, 101.0, 97.0, 97.0)] + flat(97.0, 3)
    reason, price, tags = final_exit(run(tmp_path, probe(), path))
    assert tags == ["tp1", "stop_loss"] and reason == "stop_loss"
    assert price == pytest.approx(99.0)  # 101 * 0.98 = 98.98, on this market's 0.1 tick (prices like 101.2)


@pytest.mark.slow
def test_trailing_stop_above_the_candle_exits_at_once_with_its_tag(tmp_path: Path) -> None:
    """The entry candle spikes to 110 (best price) before TP1 fills at the next open, 104. The trail, 1 %
    under 110 = 108.9, lies above that whole candle: the rest leaves at 104, not at the 2 % stop later."""
    spike = [(ENTRY, 110.0, 100.5, 101.5)]
    path = spike + [(104.0, 104.0, 103.5, 103.5)] + flat(103.0, 2) + [(103.0, 103.0, 97.0, 97.0)] + flat(97.0)
    result = run(tmp_path, probe(trailing={"after_level": 1, "distance": {"percent": 1}}), path)
    reason, price, tags = final_exit(result)
    assert tags == ["tp1", "trailing_stop"]
    assert reason == "trailing_stop"
    assert price == pytest.approx(104.0)
    trade = result.trade_list[0]
    assert trade.profit_abs > 0
    entry = next(o for o in trade.orders if o.is_entry)
    assert trade.profit_abs == pytest.approx(entry.amount * (104.0 * (1 - FEE) - ENTRY * (1 + FEE)), rel=1e-4)

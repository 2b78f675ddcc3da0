"""Result parsing details that need no backtest: exit-reason counting with partial exits, durations."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gentrade.engine.result import OrderRecord, TradeRecord, _seconds, count_exit_reasons

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _order(side: str, tag: str | None, filled: bool = True) -> OrderRecord:
    return OrderRecord(
        side=side, is_entry=side == "buy", amount=1.0, price=100.0, cost=100.0, tag=tag,
        filled_at=T0 if filled else None,
    )  # fmt: skip


def _trade(exit_reason: str | None, orders: list[OrderRecord], is_open: bool = False) -> TradeRecord:
    return TradeRecord(
        pair="BTC/USDT", is_short=False, is_open=is_open, open_date=T0, close_date=None if is_open else T0,
        open_rate=100.0, close_rate=None, amount=1.0, stake_amount=100.0, max_stake_amount=100.0,
        profit_abs=0.0, profit_ratio=0.0, enter_tag="", exit_reason=exit_reason, duration_min=5,
        fee_open=0.0015, fee_close=0.0015, orders=orders,
    )  # fmt: skip


def test_each_partial_exit_counts_by_its_tag_and_the_close_by_exit_reason() -> None:
    ladder = _trade(
        "stop_loss",
        [_order("buy", "entry"), _order("sell", "tp1"), _order("sell", "tp2"), _order("sell", "stop_loss")],
    )
    plain = _trade("roi", [_order("buy", ""), _order("sell", "roi")])
    assert count_exit_reasons([ladder, plain]) == {"roi": 1, "stop_loss": 1, "tp1": 1, "tp2": 1}


def test_open_trades_count_only_their_partials_and_unfilled_orders_not_at_all() -> None:
    still_open = _trade(
        None, [_order("buy", ""), _order("sell", "tp1"), _order("sell", "tp2", filled=False)], True
    )
    untagged = _trade("exit_signal", [_order("buy", ""), _order("sell", None), _order("sell", "exit_signal")])
    assert count_exit_reasons([still_open, untagged]) == {"exit_signal": 1, "partial_exit": 1, "tp1": 1}


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("23:34:00", 84840.0), ("1 day, 13:32:00", 135120.0), ("2 days, 0:05:00", 173100.0), ("0:00:00", 0.0)],
)
def test_freqtrade_durations_become_seconds(text: str, seconds: float) -> None:
    assert _seconds(text) == seconds


def test_unparseable_duration_is_none() -> None:
    assert _seconds(None) is None
    assert _seconds("n/a") is None

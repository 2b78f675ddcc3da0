"""`breakeven_price`: the exit price that nets zero, checked against freqtrade's own profit arithmetic."""

from __future__ import annotations

import pytest
from freqtrade.persistence import LocalTrade

from gentrade.spec import breakeven_price


def _freqtrade_profit(entry: float, exit_price: float, fee: float, *, is_short: bool) -> float:
    trade = LocalTrade(
        pair="ETH/BTC",
        open_rate=entry,
        amount=10.0,
        stake_amount=entry * 10.0,
        fee_open=fee,
        fee_close=fee,
        is_short=is_short,
        exchange="binance",
        leverage=1.0,
    )
    return trade.calc_profit(exit_price)


@pytest.mark.parametrize("side", ["long", "short"])
@pytest.mark.parametrize(("fee", "slippage"), [(0.001, 0.0005), (0.0, 0.0), (0.0075, 0.002)])
def test_breakeven_nets_zero_in_freqtrade_arithmetic(side: str, fee: float, slippage: float) -> None:
    entry = 0.0731
    price = breakeven_price(entry, side, fee, slippage)
    assert _freqtrade_profit(entry, price, fee + slippage, is_short=side == "short") == pytest.approx(
        0, abs=1e-12
    )
    # One tick of 1e-7 worse loses money; for a long the old "entry * (1 + both fees)" was short of it.
    worse = price - 1e-7 if side == "long" else price + 1e-7
    assert _freqtrade_profit(entry, worse, fee + slippage, is_short=side == "short") < 0
    if fee + slippage and side == "long":
        cost = fee + slippage
        assert _freqtrade_profit(entry, entry * (1 + 2 * cost), cost, is_short=False) < 0


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="side"):
        breakeven_price(1.0, "up", 0.001, 0.0)
    with pytest.raises(ValueError, match="costs"):
        breakeven_price(1.0, "long", -0.001, 0.0)

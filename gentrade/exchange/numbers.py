"""Binance's number conventions: decimals travel as strings with eight places, money is ``Decimal``."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

import numpy as np

EIGHT = Decimal("0.00000001")


def fmt(value: float | Decimal) -> str:
    """``0.1`` → ``"0.10000000"`` (what Binance sends for every price, quantity and balance)."""
    if isinstance(value, Decimal):
        return format(value.quantize(EIGHT, rounding=ROUND_DOWN), "f")
    return f"{value:.8f}"


def exact(value: float) -> str:
    """The shortest decimal string that reads back as exactly ``value`` (no exponent).

    Kline prices use this instead of ``fmt`` so stored candles survive a download round trip bit for bit,
    even where the stored float is not the nearest double to an eight-decimal price.
    """
    return np.format_float_positional(value, unique=True, trim="-")


def dec(value: float) -> Decimal:
    """A float price as the eight-decimal ``Decimal`` the exchange would have quoted."""
    return Decimal(f"{value:.8f}")


def floor_to(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_DOWN) * step

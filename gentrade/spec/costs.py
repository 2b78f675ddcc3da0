"""The one definition of "break-even": the exit price at which a trade nets zero after its costs.

Signals, the rendered strategies (the renderer copies ``breakeven_price`` verbatim into every strategy file,
because a strategy must run in plain freqtrade without GenTrade installed) and the test referee all use this
function, so a break-even stop means the same price everywhere.

Costs are per side and proportional to the traded value: the exchange fee plus the assumed slippage are paid
on the entry and again on the exit. A long bought at ``entry`` pays ``entry * (1 + c)`` per unit and receives
``p * (1 - c)`` when it sells at ``p``; it breaks even at ``p = entry * (1 + c) / (1 - c)`` (a short mirrors
it). This is also freqtrade's own profit arithmetic (``open value * (1 + fee_open)``, ``close value *
(1 - fee_close)``), so a break-even stop filled at this price shows a profit of zero, not a small loss.
"""

from __future__ import annotations


def breakeven_price(entry: float, side: str, fee_rate: float, slippage_rate: float) -> float:
    """Exit price at which a trade entered at `entry` nets zero after fee and slippage on both sides.

    `side` is "long" or "short"; `fee_rate` and `slippage_rate` are per-side fractions of the traded value.
    """
    if side not in ("long", "short"):
        raise ValueError(f"side must be 'long' or 'short', got {side!r}")
    if not (0.0 <= fee_rate + slippage_rate < 1.0) or fee_rate < 0.0 or slippage_rate < 0.0:
        raise ValueError(f"per-side costs must be in [0, 1), got fee {fee_rate} and slippage {slippage_rate}")
    cost = fee_rate + slippage_rate
    if side == "long":
        return entry * (1.0 + cost) / (1.0 - cost)
    return entry * (1.0 - cost) / (1.0 + cost)

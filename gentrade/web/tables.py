"""The trades table of a backtest page, built in Python from the stored result JSON.

A backtest of 10 pairs over 30 days has hundreds of trades with several orders each. As a Jinja loop over
validated models that was thousands of small template calls plus a datetime formatting per timestamp, the
bulk of the page's time; f-strings over the stored JSON (whose timestamps are already ISO text, cut to the
minute here) cost a fraction of it, which keeps the page within 2x of the API's JSON.
"""

from __future__ import annotations

from html import escape
from typing import Any

from markupsafe import Markup

Row = dict[str, Any]
"""A trade or order as stored: ``TradeRecord`` / ``OrderRecord`` dumped to JSON."""


def _when(iso: str | None) -> str:
    """``2018-01-10T12:05:00Z`` -> ``2018-01-10 12:05``."""
    return "–" if iso is None else f"{iso[:10]} {iso[11:16]}"


def _sign(value: float) -> str:
    return "pos" if value > 0 else "neg" if value < 0 else ""


def _order_row(order: Row) -> str:
    cost = "–" if order["cost"] is None else f"{order['cost']:,.6f}"
    side = escape(order["side"]) + (" (entry)" if order["is_entry"] else "")
    return (
        f"<tr><td>{side}</td><td>{escape(order['tag'] or '–')}</td><td>{_when(order['filled_at'])}</td>"
        f'<td class="num">{order["amount"]:.8g}</td><td class="num">{order["price"]:.8g}</td>'
        f'<td class="num">{cost}</td></tr>'
    )


def _trade_group(trade: Row) -> str:
    close_rate, ratio, money = trade["close_rate"], trade["profit_ratio"], trade["profit_abs"]
    close = f"{close_rate:.8g}" if close_rate else "–"
    orders = "".join(_order_row(order) for order in trade["orders"])
    return (
        '<tbody class="trade"><tr class="trade-row">'
        f"<td>{escape(trade['pair'])}</td><td>{'short' if trade['is_short'] else 'long'}</td>"
        f"<td>{_when(trade['open_date'])}</td><td>{_when(trade['close_date'])}</td>"
        f'<td class="num" data-value="{trade["open_rate"]}">{trade["open_rate"]:.8g}</td>'
        f'<td class="num" data-value="{close_rate or ""}">{close}</td>'
        f'<td class="num {_sign(ratio)}" data-value="{ratio}">{ratio * 100:.2f} %</td>'
        f'<td class="num {_sign(money)}" data-value="{money}">{money:,.6f}</td>'
        f'<td>{escape(trade["exit_reason"] or "open")}</td><td class="num">{len(trade["orders"])}</td></tr>'
        '<tr class="orders" hidden><td colspan="10"><table class="table inner"><thead><tr><th>Side</th>'
        '<th>Tag</th><th>Filled</th><th class="num">Amount</th><th class="num">Price</th>'
        f'<th class="num">Cost</th></tr></thead><tbody>{orders}</tbody></table></td></tr></tbody>'
    )


def trade_groups(trades: list[Row]) -> Markup:
    """One ``<tbody class="trade">`` per trade: its row, then its orders (hidden until the row is clicked)."""
    return Markup("".join(_trade_group(trade) for trade in trades))

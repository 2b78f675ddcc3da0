"""The backtest picture outside the browser: equity, drawdown and every trade's result, as one plotly
figure (plotly is freqtrade's own plotting library). Built from ``series``, so it shows exactly what the
dashboard and the API's chart endpoints show."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from gentrade.engine.result import BacktestResult
from gentrade.engine.series import equity_curve

_TRADE_HOVER = "%{customdata[0]}: %{y:.2f} %<br>exit %{customdata[1]}<br>%{customdata[2]}<extra></extra>"

if TYPE_CHECKING:
    from plotly.graph_objects import Figure


def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def backtest_figure(result: BacktestResult, title: str) -> Figure:
    """Three stacked panels sharing one time axis: balance, drawdown below the running peak, and each
    closed trade's profit at its close (hover: pair, exit reason, orders)."""
    from plotly import graph_objects as go
    from plotly.subplots import make_subplots

    curve = equity_curve(result)
    times = [_moment(p.time) for p in curve]
    figure = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.04,
        row_heights=[0.5, 0.2, 0.3],
        subplot_titles=(f"Balance ({result.stake_currency})", "Drawdown (%)", "Trades (profit %)"),
    )
    figure.add_trace(
        go.Scatter(x=times, y=[p.equity for p in curve], name="balance", line={"color": "#3b82f6"}),
        row=1,
        col=1,
    )
    figure.add_trace(
        go.Scatter(
            x=times,
            y=[p.drawdown_pct for p in curve],
            name="drawdown",
            fill="tozeroy",
            line={"color": "#ef4444", "width": 1},
        ),
        row=2,
        col=1,
    )
    closed = [t for t in result.trade_list if t.close_date is not None and not t.is_open]
    profits = [t.profit_ratio * 100 for t in closed]
    figure.add_trace(
        go.Scatter(
            x=[t.close_date for t in closed],
            y=profits,
            mode="markers",
            name="trades",
            marker={"color": ["#10b981" if p > 0 else "#ef4444" for p in profits], "size": 7},
            customdata=[
                [t.pair, t.exit_reason or "", " ".join(o.tag or "" for o in t.orders if not o.is_entry)]
                for t in closed
            ],
            hovertemplate=_TRADE_HOVER,
        ),
        row=3,
        col=1,
    )
    figure.update_layout(
        title=(
            f"{title}: {result.profit_total_pct:+.2f} % over {result.trades} trades, max drawdown "
            f"{result.max_drawdown_pct:.2f} %, costs {result.fee * 100:.3f} % per side"
        ),
        template="plotly_white",
        showlegend=False,
        height=900,
    )
    return figure

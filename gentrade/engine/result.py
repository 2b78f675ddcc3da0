"""``BacktestResult``: freqtrade's own result zip, read with freqtrade's loaders, as one typed model.

The zip stays where freqtrade wrote it, untouched, so freqtrade and FreqUI can still open it; this model is
a faithful reading of it. Fields that depend on the wall clock or on paths (timings, the zip's location)
live in ``run``, which is excluded from serialization so equal inputs give equal JSON.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from gentrade.errors import BacktestFailedError
from gentrade.freqtrade_config.backtest import Costs

PARTIAL_EXIT_TAG = "partial_exit"
_TIMEDELTA = re.compile(r"^(?:(?P<days>-?\d+) days?, )?(?P<h>\d+):(?P<m>\d\d):(?P<s>\d\d)")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class OrderRecord(_Model):
    side: str
    is_entry: bool
    amount: float
    price: float
    cost: float | None
    tag: str | None
    filled_at: datetime | None


class TradeRecord(_Model):
    pair: str
    is_short: bool
    is_open: bool
    open_date: datetime
    close_date: datetime | None
    open_rate: float
    close_rate: float | None
    amount: float
    stake_amount: float = Field(description="Stake left at close (freqtrade's meaning, after partial exits).")
    max_stake_amount: float = Field(description="Largest position size the trade reached.")
    profit_abs: float
    profit_ratio: float
    enter_tag: str | None
    exit_reason: str | None
    duration_min: int | None
    fee_open: float | None
    fee_close: float | None
    orders: list[OrderRecord]


class PairResult(_Model):
    pair: str
    trades: int
    wins: int
    draws: int
    losses: int
    win_rate: float
    profit_mean_pct: float
    profit_total_abs: float
    profit_total_pct: float
    avg_duration_s: float | None


class RunInfo(_Model):
    """Where and how a run happened: paths and timings, never part of the compared result."""

    run_dir: Path | None = None
    result_zip: Path
    log_file: Path | None = None
    network_isolation: str | None = None
    os_layers: list[str] = Field(default_factory=list)
    wall_s: float | None = None
    child_import_s: float | None = None
    backtest_s: float | None = None
    freqtrade_run_id: str | None = None
    warnings: list[str] = Field(default_factory=list)


class BacktestResult(_Model):
    strategy: str
    timeframe: str
    timerange: str | None = Field(description="The timerange asked for (freqtrade syntax).")
    backtest_start: datetime = Field(description="First candle freqtrade actually backtested.")
    backtest_end: datetime
    backtest_days: int
    pairs: list[str]
    stake_currency: str
    stake_amount: float | str
    max_open_trades: float
    exchange_fee: float
    slippage: float
    fee: float = Field(description="Per-side fee freqtrade charged: exchange_fee + slippage.")
    timeframe_detail: str | None = Field(
        None, description="The --timeframe-detail freqtrade filled orders on (None: the main timeframe only)."
    )
    grid_moved_prices: int | None = Field(
        None, description="Candle prices the run put on the market's tick grid (None: not a GenTrade run)."
    )
    warnings: list[str] = Field(
        default_factory=list, description="Fills outside their candle's [low, high], and other doubts."
    )
    starting_balance: float
    final_balance: float
    profit_total_abs: float
    profit_total_pct: float
    cagr_pct: float | None
    market_change_pct: float | None
    trades: int
    wins: int
    draws: int
    losses: int
    win_rate: float
    max_drawdown_abs: float
    max_drawdown_pct: float
    sharpe: float | None
    sortino: float | None
    calmar: float | None
    sqn: float | None
    profit_factor: float | None
    expectancy: float | None
    expectancy_ratio: float | None
    avg_trade_duration_s: float | None
    exit_reasons: dict[str, int] = Field(
        description="Every filled partial exit counted by its order tag, plus each trade's final exit_reason."
    )
    per_pair: list[PairResult]
    trade_list: list[TradeRecord]
    run: RunInfo | None = Field(default=None, exclude=True)


def _utc(value: str | None) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _from_ms(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1000, tz=UTC)


def _seconds(text: str | None) -> float | None:
    """Seconds in a ``str(timedelta)`` such as ``1 day, 13:32:00`` (freqtrade's per-pair durations)."""
    match = _TIMEDELTA.match(text or "")
    if match is None:
        return None
    days = int(match["days"] or 0)
    return float(days * 86400 + int(match["h"]) * 3600 + int(match["m"]) * 60 + int(match["s"]))


def _order(raw: dict[str, Any]) -> OrderRecord:
    return OrderRecord(
        side=raw["ft_order_side"],
        is_entry=bool(raw["ft_is_entry"]),
        amount=raw["amount"],
        price=raw["safe_price"],
        cost=raw.get("cost"),
        tag=raw.get("ft_order_tag"),
        filled_at=_from_ms(raw.get("order_filled_timestamp")),
    )


def _trade(raw: dict[str, Any]) -> TradeRecord:
    return TradeRecord(
        pair=raw["pair"],
        is_short=bool(raw.get("is_short", False)),
        is_open=bool(raw.get("is_open", False)),
        open_date=_utc(raw["open_date"]),
        close_date=_utc(raw.get("close_date")),
        open_rate=raw["open_rate"],
        close_rate=raw.get("close_rate"),
        amount=raw["amount"],
        stake_amount=raw["stake_amount"],
        max_stake_amount=raw.get("max_stake_amount", raw["stake_amount"]),
        profit_abs=raw["profit_abs"],
        profit_ratio=raw["profit_ratio"],
        enter_tag=raw.get("enter_tag"),
        exit_reason=raw.get("exit_reason"),
        duration_min=raw.get("trade_duration"),
        fee_open=raw.get("fee_open"),
        fee_close=raw.get("fee_close"),
        orders=[_order(order) for order in raw.get("orders") or []],
    )


def count_exit_reasons(trades: list[TradeRecord]) -> dict[str, int]:
    """Each filled partial exit by its order tag, plus the closing exit of every closed trade.

    freqtrade's own exit summary counts trades by their final exit only, which hides a take-profit ladder;
    the last filled exit order of a closed trade is that final exit, so it is counted once, by exit_reason.
    """
    counts: Counter[str] = Counter()
    for trade in trades:
        exits = [o for o in trade.orders if not o.is_entry and o.filled_at is not None]
        partials = exits if trade.is_open else exits[:-1]
        counts.update(o.tag or PARTIAL_EXIT_TAG for o in partials)
        if not trade.is_open and trade.exit_reason:
            counts[trade.exit_reason] += 1
    return dict(sorted(counts.items()))


def _pair_row(row: dict[str, Any]) -> PairResult:
    return PairResult(
        pair=row["key"],
        trades=row["trades"],
        wins=row["wins"],
        draws=row["draws"],
        losses=row["losses"],
        win_rate=row["winrate"],
        profit_mean_pct=row["profit_mean"] * 100,
        profit_total_abs=row["profit_total_abs"],
        profit_total_pct=row["profit_total"] * 100,
        avg_duration_s=_seconds(row.get("duration_avg")),
    )


def _costs(config: dict[str, Any], trades: list[TradeRecord]) -> Costs:
    """The costs of the run: GenTrade's record in the config, else the fee freqtrade charged."""
    if "gentrade" in config:
        return Costs(**config["gentrade"])
    fee = config.get("fee")
    if fee is None and trades:
        fee = trades[0].fee_open
    return Costs(exchange_fee=fee or 0.0, slippage=0.0)


def _pct(ratio: float | None) -> float | None:
    return None if ratio is None else ratio * 100


def parse_result_zip(
    zip_path: Path, strategy: str | None = None, *, run: RunInfo | None = None
) -> BacktestResult:
    """Read freqtrade's result zip with freqtrade's loaders; ``strategy`` picks one of several."""
    from freqtrade.data.btanalysis import load_backtest_stats, load_file_from_zip

    zip_path = Path(zip_path)
    try:
        stats = load_backtest_stats(zip_path)
        config = json.loads(load_file_from_zip(zip_path, f"{zip_path.stem}_config.json"))
    except (ValueError, OSError) as exc:
        raise BacktestFailedError(f"cannot read freqtrade's result {zip_path}: {exc}") from exc
    names = list(stats["strategy"])
    name = strategy or (names[0] if len(names) == 1 else None)
    if name not in stats["strategy"]:
        raise BacktestFailedError(f"result {zip_path.name} holds strategies {names}, not {strategy!r}")
    st = stats["strategy"][name]
    trades = [_trade(raw) for raw in st["trades"]]
    costs = _costs(config, trades)
    return BacktestResult(
        strategy=name,
        timeframe=st["timeframe"],
        timerange=st.get("timerange") or None,
        backtest_start=_from_ms(st["backtest_start_ts"]),
        backtest_end=_from_ms(st["backtest_end_ts"]),
        backtest_days=st["backtest_days"],
        pairs=list(st["pairlist"]),
        stake_currency=st["stake_currency"],
        stake_amount=st["stake_amount"],
        max_open_trades=st["max_open_trades"],
        exchange_fee=costs.exchange_fee,
        slippage=costs.slippage,
        fee=costs.fee,
        timeframe_detail=st.get("timeframe_detail") or None,
        starting_balance=st["starting_balance"],
        final_balance=st["final_balance"],
        profit_total_abs=st["profit_total_abs"],
        profit_total_pct=st["profit_total"] * 100,
        cagr_pct=_pct(st.get("cagr")),
        market_change_pct=_pct(st.get("market_change")),
        trades=st["total_trades"],
        wins=st["wins"],
        draws=st["draws"],
        losses=st["losses"],
        win_rate=st["winrate"],
        max_drawdown_abs=st.get("max_drawdown_abs", 0.0),
        max_drawdown_pct=st.get("max_drawdown_account", 0.0) * 100,
        sharpe=st.get("sharpe"),
        sortino=st.get("sortino"),
        calmar=st.get("calmar"),
        sqn=st.get("sqn"),
        profit_factor=st.get("profit_factor"),
        expectancy=st.get("expectancy"),
        expectancy_ratio=st.get("expectancy_ratio"),
        avg_trade_duration_s=st.get("holding_avg_s"),
        exit_reasons=count_exit_reasons(trades),
        per_pair=[_pair_row(row) for row in st["results_per_pair"] if row["key"] != "TOTAL"],
        trade_list=trades,
        run=run,
    )

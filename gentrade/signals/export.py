"""The full signal history with outcomes as CSV: one row per signal, columns in a fixed order.

A signal has up to five take-profits, so every row carries five ``tpN_*`` column groups (empty when the
signal has fewer) — spreadsheets and the database importer then see the same columns for every file.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import datetime
from typing import TextIO

from gentrade.signals.stats import Evaluated

MAX_TARGETS = 5
CSV_COLUMNS: tuple[str, ...] = (
    "symbol",
    "direction",
    "timeframe",
    "generated_at",
    "expires_at",
    "valid_for_candles",
    "entry",
    "stop_loss",
    "breakeven_after_tp1",
    *(f"tp{k}_{field}" for k in range(1, MAX_TARGETS + 1) for field in ("price", "allocation", "hit_at")),
    "confidence",
    "market_condition",
    "model_id",
    "risk_reward",
    "status",
    "candle_timeframe",
    "detail_timeframe",
    "stop_hit_at",
    "stop_was_breakeven",
    "closed_at",
    "duration_seconds",
    "closed_fraction",
    "open_fraction",
    "entered_at",
    "entry_fill_price",
    "breakeven_price",
    "size",
    "fee_rate",
    "slippage_rate",
    "gross_pnl",
    "gross_pnl_pct",
    "fees",
    "net_pnl",
    "net_pnl_pct",
    "net_pnl_rounded",
    "data_coverage",
    "data_quality_score",
    "data_gaps",
    "notes",
    "reasoning",
)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def csv_row(row: Evaluated) -> dict[str, str]:
    signal, outcome = row
    values: dict[str, object] = {
        "symbol": signal.symbol,
        "direction": signal.direction,
        "timeframe": signal.timeframe,
        "generated_at": signal.generated_at,
        "expires_at": outcome.expires_at,
        "valid_for_candles": signal.valid_for_candles,
        "entry": signal.entry,
        "stop_loss": signal.stop_loss,
        "breakeven_after_tp1": signal.breakeven_after_tp1,
        "confidence": signal.confidence,
        "market_condition": signal.market_condition,
        "model_id": signal.model_id,
        "risk_reward": signal.risk_reward,
        "status": outcome.status,
        "candle_timeframe": outcome.candle_timeframe,
        "detail_timeframe": outcome.detail_timeframe,
        "stop_hit_at": outcome.stop_hit_at,
        "stop_was_breakeven": outcome.stop_was_breakeven,
        "closed_at": outcome.closed_at,
        "duration_seconds": outcome.duration.total_seconds(),
        "closed_fraction": outcome.closed_fraction,
        "open_fraction": outcome.open_fraction,
        "entered_at": outcome.entered_at,
        "entry_fill_price": outcome.entry_fill_price,
        "breakeven_price": outcome.breakeven_price,
        "size": outcome.size,
        "fee_rate": outcome.fee_rate,
        "slippage_rate": outcome.slippage_rate,
        "gross_pnl": outcome.gross_pnl,
        "gross_pnl_pct": outcome.gross_pnl_pct,
        "fees": outcome.fees,
        "net_pnl": outcome.net_pnl,
        "net_pnl_pct": outcome.net_pnl_pct,
        "net_pnl_rounded": f"{outcome.net_pnl:.2f}",
        "data_coverage": outcome.data_quality.coverage,
        "data_quality_score": outcome.data_quality.score,
        "data_gaps": len(outcome.data_quality.gaps),
        "notes": "; ".join(outcome.notes),
        "reasoning": signal.reasoning,
    }
    for k, (target, hit_at) in enumerate(zip(signal.take_profits, outcome.targets_hit_at, strict=True), 1):
        values.update(
            {f"tp{k}_price": target.price, f"tp{k}_allocation": target.allocation, f"tp{k}_hit_at": hit_at}
        )
    return {column: _cell(values.get(column)) for column in CSV_COLUMNS}


def write_csv(rows: Iterable[Evaluated], out: TextIO) -> int:
    """Write a header and one row per evaluated signal to ``out``; returns the number of rows."""
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(csv_row(row))
        count += 1
    return count

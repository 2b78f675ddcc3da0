"""``gentrade signal``: judge a trade signal against the candles that followed it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from gentrade.cli.errors import cli_errors
from gentrade.signals import EvaluationSettings, SignalOutcome, evaluate, load_candles
from gentrade.spec import load_document, parse_signal, validate_model

signal_app = typer.Typer(help="Trade signals: outcome against real candles.", no_args_is_help=True)
console = Console()


@signal_app.command("evaluate")
@cli_errors
def evaluate_command(
    signal_json: Annotated[Path, typer.Argument(help="JSON file of one TradeSignal, with generated_at.")],
    datadir: Annotated[Path, typer.Option("--datadir", help="Candle directory in freqtrade's layout.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
    size: Annotated[float, typer.Option(help="Position notional in quote currency.")] = 1000.0,
    fee: Annotated[float, typer.Option(help="Fee rate per side.")] = 0.001,
    slippage: Annotated[float, typer.Option(help="Slippage rate per fill.")] = 0.001,
    timeframe_data: Annotated[str | None, typer.Option(
        "--timeframe-data", help="Candles to walk (e.g. 5m for a 1h signal); default: the signal's.",
    )] = None,
    detail_timeframe: Annotated[str | None, typer.Option(
        "--detail-timeframe", help="Finer candles that decide a candle touching a target and the stop.",
    )] = None,
    min_coverage: Annotated[float, typer.Option(help="Below this candle coverage: incomplete_data.")] = 0.9,
) -> None:
    """Evaluate SIGNAL_JSON: targets and stop hit, P/L after fees and slippage, status, data quality."""
    signal = parse_signal(load_document(signal_json))
    settings = validate_model(EvaluationSettings, {"size": size, "fee": fee, "slippage": slippage,
                                                   "min_coverage": min_coverage}, what="evaluation settings")
    candles = load_candles(datadir, signal.symbol, timeframe_data or signal.timeframe)
    detail = load_candles(datadir, signal.symbol, detail_timeframe) if detail_timeframe else None
    outcome = evaluate(signal, candles, detail=detail, settings=settings)
    if as_json:
        typer.echo(outcome.model_dump_json(indent=2))
    else:
        console.print(_table(outcome))


def _table(outcome: SignalOutcome) -> Table:
    table = Table(title=f"{outcome.symbol} {outcome.direction} · {outcome.status}", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    detail = f", {outcome.detail_timeframe} detail" if outcome.detail_timeframe else ""
    table.add_row("window", f"{outcome.generated_at:%Y-%m-%d %H:%M} → {outcome.expires_at:%Y-%m-%d %H:%M} "
                  f"UTC ({outcome.signal_timeframe} signal, {outcome.candle_timeframe} candles{detail})")
    table.add_row("entry", f"{outcome.entry:.8g} (filled {outcome.entry_fill_price:.8g})")
    for fill in outcome.fills:
        label = f"TP{fill.target}" if fill.kind == "target" else fill.kind.replace("_", " ")
        table.add_row(label, f"{fill.fraction:.0%} at {fill.price:.8g} (filled {fill.fill_price:.8g}) "
                      f"{fill.time:%Y-%m-%d %H:%M} [{fill.resolved_by}]")
    table.add_row("gross P/L", f"{outcome.gross_pnl:.2f} ({outcome.gross_pnl_pct:+.2f} %)")
    table.add_row("fees", f"{outcome.fees:.2f}")
    table.add_row("net P/L", f"{outcome.net_pnl:.2f} ({outcome.net_pnl_pct:+.2f} %) on {outcome.size:g}")
    table.add_row("duration", str(outcome.duration))
    quality = outcome.data_quality
    table.add_row("data", f"{quality.present_candles}/{quality.expected_candles} candles "
                  f"(coverage {quality.coverage:.1%}, score {quality.score:.2f}, {len(quality.gaps)} gaps)")
    for note in outcome.notes:
        table.add_row("note", note)
    return table


def register(app: typer.Typer) -> None:
    app.add_typer(signal_app, name="signal")

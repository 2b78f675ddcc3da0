"""``gentrade signal``: judge a trade signal against the candles that followed it; generate, list and
summarise the signals kept in the database (``GENTRADE_DATABASE_URL``, default the embedded SQLite file)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from gentrade.cli.accounts import user_session
from gentrade.cli.errors import cli_errors
from gentrade.db.repositories import signals as signals_repo
from gentrade.services import signals as service
from gentrade.settings import get_settings
from gentrade.signals import EvaluationSettings, SignalOutcome, evaluate, load_candles_arrays
from gentrade.signals.stats import signal_stats
from gentrade.spec import load_document, parse_signal, validate_model
from gentrade.spec.common import Pair
from gentrade.spec.signal import SignalTimeframe


class SignalRequest(BaseModel):
    pair: Pair
    timeframe: SignalTimeframe


signal_app = typer.Typer(help="Trade signals: generate, keep, evaluate, summarise.", no_args_is_help=True)
console = Console()
UserOption = Annotated[str, typer.Option("--user", help="Email of the GenTrade user the signals belong to.")]


@signal_app.command("generate")
@cli_errors
def generate_command(
    pair: Annotated[str, typer.Argument(help="Pair, e.g. ETH/BTC.")],
    user: UserOption,
    timeframe: Annotated[str, typer.Option("--timeframe", help="1h, 4h, 1d or 1w.")] = "1h",
    datadir: Annotated[Path | None, typer.Option("--datadir", help="Candle directory.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the stored signal as JSON.")] = False,
) -> None:
    """Run the analyst on PAIR's candles and store the signal (active) for USER."""
    request = validate_model(SignalRequest, {"pair": pair, "timeframe": timeframe}, what="signal request")
    with user_session(user) as (session, owner):
        row = service.generate_signal(
            session,
            owner,
            request.pair,
            request.timeframe,
            datadir=datadir or get_settings().resolved_data_dir,
        )
        session.commit()
        signal = service.signal_of(row)
        if as_json:
            stored = {
                "id": row.id,
                "status": row.status,
                "signal": signal.model_dump(mode="json"),
                "snapshots": row.snapshots,
            }
            typer.echo(json.dumps(stored, indent=2))
        else:
            targets = ", ".join(f"{t.price:.8g} ({t.allocation:.0%})" for t in signal.take_profits)
            console.print(
                f"signal {row.id}: {signal.direction} {signal.symbol} {signal.timeframe} at "
                f"{signal.entry:.8g}, stop {signal.stop_loss:.8g}, targets {targets}, "
                f"confidence {signal.confidence}, expires {row.expires_at:%Y-%m-%d %H:%M} UTC"
            )


@signal_app.command("list")
@cli_errors
def list_command(
    user: UserOption,
    symbol: Annotated[str | None, typer.Option(help="Only this pair.")] = None,
    status: Annotated[str | None, typer.Option(help="Only this status (active, expired, ...).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """USER's newest signals."""
    with user_session(user) as (session, owner):
        where = signals_repo.SignalFilter(symbol=symbol, status=status)
        rows, _ = signals_repo.page(session, owner, where, limit=limit)
        table = Table(title=f"signals of {owner.email}")
        for column in ("id", "generated", "pair", "tf", "side", "entry", "stop", "conf", "status"):
            table.add_column(column)
        for row in rows:
            table.add_row(
                str(row.id),
                f"{row.generated_at:%Y-%m-%d %H:%M}",
                row.symbol,
                row.timeframe,
                row.direction,
                f"{row.entry:.8g}",
                f"{row.stop:.8g}",
                f"{row.confidence or 0:.0f}",
                row.status,
            )
        console.print(table)


@signal_app.command("stats")
@cli_errors
def stats_command(
    user: UserOption,
    as_json: Annotated[bool, typer.Option("--json", help="Print the statistics as JSON.")] = False,
) -> None:
    """Win rate, P/L and hit rates over USER's evaluated signals."""
    with user_session(user) as (session, owner):
        stats = signal_stats(service.evaluated(session, owner))
    if as_json:
        typer.echo(stats.model_dump_json(indent=2))
        return
    win_rate = "-" if stats.win_rate is None else f"{stats.win_rate:.1%}"
    console.print(
        f"{stats.total} signals, {stats.decided} decided, win rate {win_rate}, "
        f"net P/L {stats.total_net_pnl:.2f}; by status {stats.by_status}"
    )


@signal_app.command("evaluate")
@cli_errors
def evaluate_command(
    signal_json: Annotated[Path, typer.Argument(help="JSON file of one TradeSignal, with generated_at.")],
    datadir: Annotated[Path, typer.Option("--datadir", help="Candle directory in freqtrade's layout.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
    size: Annotated[float, typer.Option(help="Position notional in quote currency.")] = 1000.0,
    fee: Annotated[float, typer.Option(help="Fee rate per side.")] = 0.001,
    slippage: Annotated[float, typer.Option(help="Slippage rate per fill.")] = 0.001,
    timeframe_data: Annotated[
        str | None,
        typer.Option(
            "--timeframe-data",
            help="Candles to walk (e.g. 5m for a 1h signal); default: the signal's.",
        ),
    ] = None,
    detail_timeframe: Annotated[
        str | None,
        typer.Option(
            "--detail-timeframe",
            help="Finer candles that decide a candle touching a target and the stop.",
        ),
    ] = None,
    min_coverage: Annotated[float, typer.Option(help="Below this candle coverage: incomplete_data.")] = 0.9,
) -> None:
    """Evaluate SIGNAL_JSON: targets and stop hit, P/L after fees and slippage, status, data quality."""
    signal = parse_signal(load_document(signal_json))
    settings = validate_model(
        EvaluationSettings,
        {"size": size, "fee": fee, "slippage": slippage, "min_coverage": min_coverage},
        what="evaluation settings",
    )
    candles = load_candles_arrays(datadir, signal.symbol, timeframe_data or signal.timeframe)
    detail = load_candles_arrays(datadir, signal.symbol, detail_timeframe) if detail_timeframe else None
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
    table.add_row(
        "window",
        f"{outcome.generated_at:%Y-%m-%d %H:%M} → {outcome.expires_at:%Y-%m-%d %H:%M} "
        f"UTC ({outcome.signal_timeframe} signal, {outcome.candle_timeframe} candles{detail})",
    )
    filled = (
        f"filled {outcome.entry_fill_price:.8g} {outcome.entered_at:%Y-%m-%d %H:%M}"
        if outcome.entry_fill_price is not None and outcome.entered_at is not None
        else "never reached"
    )
    table.add_row("entry", f"{outcome.entry:.8g} ({filled})")
    for fill in outcome.fills:
        label = f"TP{fill.target}" if fill.kind == "target" else fill.kind.replace("_", " ")
        table.add_row(
            label,
            f"{fill.fraction:.0%} at {fill.price:.8g} (filled {fill.fill_price:.8g}) "
            f"{fill.time:%Y-%m-%d %H:%M} [{fill.resolved_by}]",
        )
    table.add_row("gross P/L", f"{outcome.gross_pnl:.2f} ({outcome.gross_pnl_pct:+.2f} %)")
    table.add_row("fees", f"{outcome.fees:.2f}")
    table.add_row("net P/L", f"{outcome.net_pnl:.2f} ({outcome.net_pnl_pct:+.2f} %) on {outcome.size:g}")
    table.add_row("duration", str(outcome.duration))
    quality = outcome.data_quality
    table.add_row(
        "data",
        f"{quality.present_candles}/{quality.expected_candles} candles "
        f"(coverage {quality.coverage:.1%}, score {quality.score:.2f}, {len(quality.gaps)} gaps)",
    )
    for note in outcome.notes:
        table.add_row("note", note)
    return table


def register(app: typer.Typer) -> None:
    app.add_typer(signal_app, name="signal")

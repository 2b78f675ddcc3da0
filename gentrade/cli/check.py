"""``gentrade check STRATEGY_FILE``: is the strategy free of look-ahead bias? Exit 0 clean, 3 biased, 4
inconclusive (1 for an error, as every command)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from gentrade.cli.errors import cli_errors
from gentrade.services.checks import VERDICT_EXIT_CODES, CheckReport, run_check

console = Console()


def register(app: typer.Typer) -> None:
    app.command("check")(check_command)


@cli_errors
def check_command(
    strategy_file: Annotated[Path, typer.Argument(help="Strategy source file.")],
    datadir: Annotated[Path, typer.Option("--datadir", help="Directory with the candle files.")],
    timerange: Annotated[
        str | None, typer.Option(help="YYYYMMDD-YYYYMMDD; default: what every pair covers, from day 2.")
    ] = None,
    pairs: Annotated[
        list[str] | None, typer.Option("--pairs", help="Default: every pair with candles.")
    ] = None,
    minimum_trades: Annotated[int, typer.Option(help="Fewer trades re-checked: inconclusive.")] = 10,
    targeted_trades: Annotated[int, typer.Option(help="Re-check at most this many trades.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict and findings as JSON.")] = False,
) -> None:
    """Run freqtrade's lookahead-analysis and recursive-analysis offline, in the sandbox, and judge them."""
    report = run_check(
        strategy_file,
        datadir,
        pairs=pairs or None,
        timerange=timerange,
        minimum_trade_amount=minimum_trades,
        targeted_trade_amount=targeted_trades,
    )
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json"), indent=2))
    else:
        _print(report)
    raise typer.Exit(code=VERDICT_EXIT_CODES[report.verdict])


def _print(report: CheckReport) -> None:
    s, look = report.settings, report.lookahead
    colour = {"clean": "green", "biased": "red", "inconclusive": "yellow"}[report.verdict]
    console.print(f"[bold {colour}]{report.verdict}[/]: {report.reason}", highlight=False, soft_wrap=True)
    console.print(
        f"settings: {s.timeframe} {', '.join(s.pairs)} {s.timerange}; "
        f"minimum trades {s.minimum_trade_amount}, "
        f"targeted {s.targeted_trade_amount}; {s.order_types}; recursive startup candles "
        f"{', '.join(map(str, s.startup_candles))}; lookahead CSV {s.exportfilename}",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        f"lookahead: {look['total_signals']} trades re-checked of {look['trades_in_backtest']}, "
        "biased entries "
        f"{look['biased_entry_signals']}, exits {look['biased_exit_signals']}, columns "
        f"{', '.join(look['biased_indicators']) or 'none'}",
        highlight=False,
        soft_wrap=True,
    )
    varied = ", ".join(sorted(report.recursive["variance"])) or "none"
    console.print(
        f"recursive: columns that vary with the startup candles (not look-ahead): {varied}", highlight=False
    )

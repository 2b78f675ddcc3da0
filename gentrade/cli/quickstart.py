"""`gentrade quickstart`: render, audit and backtest the bundled examples on synthetic data, offline."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from gentrade.cli.errors import cli_errors
from gentrade.quickstart import REPORT_JSON, REPORT_MARKDOWN, headline, run_quickstart
from gentrade.settings import get_settings

console = Console()


@cli_errors
def quickstart(
    user_dir: Path | None = typer.Option(None, "--user-dir", help="Default: user_data (GENTRADE_USER_DIR)."),
    days: int = typer.Option(30, min=2, max=365, help="Days of synthetic 5m candles."),
    seed: int = typer.Option(42, help="Seed of the synthetic candles (same seed, same bytes)."),
) -> None:
    """Render the example strategies, audit them and backtest them with freqtrade, offline."""
    root = user_dir or get_settings().user_dir
    with console.status("starting") as status:
        report = run_quickstart(root, days=days, seed=seed, progress=lambda step: status.update(step))
    table = Table(title=f"Backtests on {days} days of synthetic 5m candles ({', '.join(report.pairs)})")
    rows = [(row.strategy, headline(row.result)) for row in report.rows]
    table.add_column("strategy", no_wrap=True)
    for column in rows[0][1]:
        table.add_column(column, justify="right", no_wrap=True)
    for name, cells in rows:
        table.add_row(name, *cells.values())
    console.print(table)
    for row in report.rows:
        console.print(
            f"{row.strategy}: {row.strategy_file}\n  freqtrade result: {row.result_zip}",
            highlight=False,
            soft_wrap=True,
        )
    console.print(f"report: {root / REPORT_MARKDOWN} and {root / REPORT_JSON}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("quickstart")(quickstart)

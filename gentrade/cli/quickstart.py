"""`gentrade quickstart`: render, audit and backtest the bundled examples on synthetic data, offline."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from gentrade.cli.errors import cli_errors
from gentrade.cli.progress import progress
from gentrade.cli.tables import fitted_table
from gentrade.settings import get_settings

console = Console()


@cli_errors
def quickstart(
    user_dir: Path | None = typer.Option(None, "--user-dir", help="Default: user_data (GENTRADE_USER_DIR)."),
    days: int = typer.Option(30, min=2, max=365, help="Days of synthetic 5m candles."),
    seed: int = typer.Option(42, help="Seed of the synthetic candles (same seed, same bytes)."),
) -> None:
    """Render the example strategies, audit them and backtest them with freqtrade, offline."""
    from gentrade.services.quickstart import REPORT_JSON, REPORT_MARKDOWN, headline, run_quickstart

    settings = get_settings()
    root = user_dir or settings.user_dir
    with progress("starting") as step:
        report = run_quickstart(root, settings, days=days, seed=seed, progress=step)
    rows = [(row.strategy, headline(row.result)) for row in report.rows]
    table = fitted_table(
        ["strategy", *rows[0][1]],
        [[name, *cells.values()] for name, cells in rows],
        console=console,
        title=f"Backtests on {days} days of synthetic 5m candles ({', '.join(report.pairs)})",
    )
    console.print(table)
    if any(row.result.profit_total_pct < 0 for row in report.rows):
        console.print(
            "These examples demonstrate the pipeline (spec → audited strategy → honest backtest) on "
            "synthetic candles; they are not trading advice, and losing ones are shown as they are.",
            highlight=False,
        )
    for row in report.rows:
        console.print(
            f"{row.strategy}: {row.strategy_file}\n  freqtrade result: {row.result_zip}",
            highlight=False,
            soft_wrap=True,
        )
    console.print(f"report: {root / REPORT_MARKDOWN} and {root / REPORT_JSON}", highlight=False)
    serve = "gentrade serve" if user_dir is None else f"GENTRADE_USER_DIR={root} gentrade serve"
    console.print(
        f"dashboard: run `{serve}`, open http://127.0.0.1:8000, sign in and press “Import the quickstart's "
        "results” on the Backtests page",
        highlight=False,
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    app.command("quickstart")(quickstart)

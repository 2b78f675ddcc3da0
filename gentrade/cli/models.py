"""``gentrade models --user EMAIL``: each producer's track record (as ``GET /models/performance``)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from gentrade.cli.accounts import user_session
from gentrade.cli.errors import cli_errors
from gentrade.services.models import ProducerRecord, model_performance

console = Console()


def _num(value: float | None, fmt: str = ".2f") -> str:
    return "-" if value is None else format(value, fmt)


def table(records: list[ProducerRecord]) -> Table:
    out = Table(
        "producer",
        "strategies",
        "versions",
        "backtests",
        "mean profit %",
        "mean sharpe",
        "held-back %/day",
        "signals",
        "decided",
        "win rate",
        "llm calls",
        "tokens in/out",
        "llm fallbacks",
        title="producers' track record",
    )
    for r in records:
        out.add_row(
            r.producer,
            str(r.strategies),
            str(r.versions),
            str(r.backtests),
            _num(r.mean_profit_pct),
            _num(r.mean_sharpe),
            _num(r.mean_held_back_pct_per_day, ".3f"),
            str(r.signals),
            str(r.signals_decided),
            _num(r.signal_win_rate, ".1%"),
            "-" if r.llm is None else str(r.llm.calls),
            "-" if r.llm is None else f"{r.llm.tokens_in}/{r.llm.tokens_out}",
            "-" if r.llm is None else str(r.llm.fallbacks),
        )
    return out


def register(app: typer.Typer) -> None:
    @app.command("models")
    @cli_errors
    def models_command(
        user: Annotated[str, typer.Option(help="Email of the user whose producers to show.")],
        as_json: Annotated[bool, typer.Option("--json", help="Print the records as JSON.")] = False,
    ) -> None:
        """Per producer (model, offline drafter, optimiser, person): what it made and how it did."""
        with user_session(user) as (session, owner):
            records = model_performance(session, owner)
        if as_json:
            typer.echo("[" + ",".join(r.model_dump_json() for r in records) + "]")
            return
        console.print(table(records))

"""``gentrade compare ID ID [...]``: stored backtests side by side, the better one per metric marked, and
the spec diff of the versions they ran (the same comparison as ``GET /backtests/compare``)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from gentrade.cli.accounts import user_session
from gentrade.cli.errors import cli_errors
from gentrade.errors import InvalidRequestError
from gentrade.services.compare import Comparison, compare

console = Console()
MAX_COMPARE = 20


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return json.dumps(value) if isinstance(value, dict | list) else str(value)


def tables(comparison: Comparison, trades: dict[int, int | None]) -> list[Table]:
    ids = comparison.ids
    metrics = Table("metric", "better", *(f"#{i}" for i in ids), title="backtests side by side (★ = better)")
    metrics.add_row("trades", "", *(_cell(trades[i]) for i in ids))
    for row in comparison.metrics:
        cells = [_cell(row.values[i]) + (" ★" if i in row.best else "") for i in ids]
        metrics.add_row(row.metric, row.better, *cells)
    diff = Table("spec path", *(f"#{i}" for i in ids), title="spec diff of their versions")
    for difference in comparison.spec_diff:
        diff.add_row(difference.path, *(_cell(difference.values[i]) for i in ids))
    return [metrics, diff]


def register(app: typer.Typer) -> None:
    @app.command("compare")
    @cli_errors
    def compare_command(
        ids: Annotated[list[int], typer.Argument(help="Backtest ids (2 to 20).")],
        user: Annotated[str, typer.Option(help="Email of the user the backtests belong to.")],
        as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
    ) -> None:
        """Compare backtests: metrics side by side, which is better on each, and the spec diff."""
        distinct = list(dict.fromkeys(ids))
        if not 2 <= len(distinct) <= MAX_COMPARE:
            raise InvalidRequestError(f"ids must be 2 to {MAX_COMPARE} distinct backtest ids")
        with user_session(user) as (session, owner):
            backtests, comparison = compare(session, owner, distinct)
            trades = {b.id: b.trades for b in backtests}
        if as_json:
            typer.echo(comparison.model_dump_json(indent=2))
            return
        for table in tables(comparison, trades):
            console.print(table)

"""``gentrade data``: make synthetic candles, download real ones, list what a data dir holds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from gentrade.cli.errors import cli_errors
from gentrade.settings import get_settings

data_app = typer.Typer(
    help="Candles in freqtrade's layout: synthesize, download, list.", no_args_is_help=True
)
console = Console()

DatadirOption = Annotated[
    Path | None, typer.Option("--datadir", help="Candle directory (default: the configured data dir).")
]
PairsOption = Annotated[
    list[str] | None, typer.Option("--pairs", "-p", help="Pairs, repeated or comma-separated (ETH/USDT).")
]


def split_pairs(values: list[str] | None) -> list[str] | None:
    """Accept ``--pairs A --pairs B``, ``--pairs A,B`` and (spread by ``gentrade.cli.usage``) ``--pairs A B``
    alike; a pair named twice counts once."""
    if not values:
        return None
    pairs = [pair.strip() for value in values for pair in value.split(",") if pair.strip()]
    return list(dict.fromkeys(pairs))


def _datadir(datadir: Path | None) -> Path:
    return datadir if datadir is not None else get_settings().resolved_data_dir


@data_app.command("synth")
@cli_errors
def synth(
    datadir: DatadirOption = None,
    pairs: PairsOption = None,
    timeframe: Annotated[str, typer.Option(help="Candle timeframe.")] = "5m",
    days: Annotated[int, typer.Option(help="Days of candles per pair.")] = 30,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed writes identical files.")] = 42,
) -> None:
    """Write deterministic synthetic candles (trending, ranging, falling and volatile stretches)."""
    from gentrade.data.synth import DEFAULT_PAIRS, synthesize

    written = synthesize(
        _datadir(datadir), split_pairs(pairs) or DEFAULT_PAIRS, timeframe=timeframe, days=days, seed=seed
    )
    for path in written:
        console.print(f"wrote {path}", highlight=False)


@data_app.command("download")
@cli_errors
def download(
    pairs: PairsOption = None,
    datadir: DatadirOption = None,
    timeframes: Annotated[list[str] | None, typer.Option("--timeframes", "-t", help="Timeframes.")] = None,
    timerange: Annotated[
        str | None, typer.Option(help="freqtrade timerange, e.g. 20240101-20240201.")
    ] = None,
    days: Annotated[int | None, typer.Option(help="Download the last N days.")] = None,
    exchange: Annotated[str, typer.Option(help="Exchange name as freqtrade knows it.")] = "binance",
) -> None:
    """Download real candles with ``freqtrade download-data`` (needs a network)."""
    from gentrade.data.download import download as run_download
    from gentrade.errors import ConfigError

    chosen = split_pairs(pairs)
    if not chosen:
        raise ConfigError("name the pairs to download with --pairs")
    written = run_download(
        _datadir(datadir), chosen, timeframes or ["5m"], timerange=timerange, days=days, exchange=exchange
    )
    for path in written:
        console.print(f"have {path}", highlight=False)


@data_app.command("list")
@cli_errors
def list_data(datadir: DatadirOption = None) -> None:
    """Show every pair and timeframe in the data dir with its first and last candle."""
    from gentrade.data import store

    directory = _datadir(datadir)
    table = Table("pair", "timeframe", "candles", "first", "last", "gaps", title=str(directory))
    for pair, timeframe in store.available(directory):
        coverage = store.check_coverage(directory, pair, timeframe, None)
        table.add_row(
            pair,
            timeframe,
            str(coverage.candles),
            f"{coverage.first:%Y-%m-%d %H:%M}" if coverage.first else "-",
            f"{coverage.last:%Y-%m-%d %H:%M}" if coverage.last else "-",
            str(coverage.interior_gaps),
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")

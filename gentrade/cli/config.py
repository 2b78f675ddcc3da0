"""``gentrade config``: write a freqtrade config for the local testnet, a demo/testnet, or a real exchange."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from gentrade.cli.errors import cli_errors
from gentrade.data.synth import DEFAULT_PAIRS
from gentrade.freqtrade_config import (
    DEFAULT_LOCAL_URL,
    FREQTRADE_KEY_ENV,
    FREQTRADE_SECRET_ENV,
    KEY_ENV,
    SECRET_ENV,
    Target,
    parse_request,
    write_config,
)

console = Console(stderr=True)


@cli_errors
def config(
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the config.")],
    exchange: Annotated[Target, typer.Option(help="Where the bot trades.")] = Target.LOCAL,
    url: Annotated[str, typer.Option(help="Local testnet base url (--exchange local).")] = DEFAULT_LOCAL_URL,
    strategy: Annotated[str | None, typer.Option(help="Strategy class name.")] = None,
    pairs: Annotated[
        list[str] | None, typer.Option(help="Pairs, repeated or space/comma separated (BASE/QUOTE).")
    ] = None,
    timeframe: Annotated[str, typer.Option(help="Candle timeframe.")] = "5m",
    stake_currency: Annotated[str | None, typer.Option(help="Default: the pairs' quote currency.")] = None,
    datadir: Annotated[str | None, typer.Option(help="Default: user_data/data/<exchange>.")] = None,
    live: Annotated[bool, typer.Option("--live", help="Trade for real (dry_run false).")] = False,
    confirm: Annotated[
        bool,
        typer.Option(
            "--i-understand-this-uses-real-money", help="Second confirmation for --live on binance."
        ),
    ] = False,
) -> None:
    """Write a freqtrade config (validated with freqtrade's schema); API keys come from the environment."""
    chosen = [p for item in pairs or [] for p in re.split(r"[\s,]+", item) if p] or list(DEFAULT_PAIRS)
    request = parse_request(
        target=exchange,
        url=url,
        strategy=strategy,
        pairs=tuple(chosen),
        timeframe=timeframe,
        stake_currency=stake_currency,
        datadir=datadir,
        live=live,
        confirm_real_money=confirm,
    )
    for warning in write_config(request, output):
        console.print(f"[yellow]warning[/yellow]: {warning}", highlight=False, soft_wrap=True)
    console.print(f"wrote {output}", highlight=False)
    console.print(
        f'keys: export {FREQTRADE_KEY_ENV}="${KEY_ENV}" {FREQTRADE_SECRET_ENV}="${SECRET_ENV}"',
        highlight=False,
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    app.command("config")(config)

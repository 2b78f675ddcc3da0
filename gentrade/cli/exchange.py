"""``gentrade exchange serve``: the local Binance-spot testnet over a freqtrade data dir."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from gentrade.cli.errors import cli_errors
from gentrade.errors import ConfigError
from gentrade.exchange import DEFAULT_PORT
from gentrade.exchange.accounts import DEFAULT_API_KEY, DEFAULT_API_SECRET, AccountSpec, load_accounts
from gentrade.exchange.intervals import parse_duration
from gentrade.exchange.scripts import load_scripts
from gentrade.settings import get_settings

exchange_app = typer.Typer(help="The local exchange testnet.", no_args_is_help=True)
console = Console(stderr=True)


def _balances(items: list[str]) -> dict[str, Decimal]:
    balances: dict[str, Decimal] = {}
    for item in items:
        asset, sep, amount = item.partition("=")
        try:
            if not sep:
                raise InvalidOperation
            balances[asset.strip().upper()] = Decimal(amount)
        except InvalidOperation:
            raise ConfigError(f"--balance wants ASSET=AMOUNT, got {item!r}") from None
    return balances


def _accounts(
    accounts_file: Path | None, api_key: str | None, api_secret: str | None, balances: list[str]
) -> list[AccountSpec] | None:
    if accounts_file is not None:
        if api_key or api_secret or balances:
            raise ConfigError("--accounts replaces --api-key/--api-secret/--balance; give one or the other")
        return load_accounts(accounts_file)
    if (api_key is None) != (api_secret is None):
        raise ConfigError("--api-key and --api-secret go together")
    if api_key is None and not balances:
        return None
    try:
        return [
            AccountSpec(
                api_key=api_key or DEFAULT_API_KEY,
                api_secret=api_secret or DEFAULT_API_SECRET,
                balances=_balances(balances),
            )
        ]
    except ValidationError as exc:
        raise ConfigError(f"invalid account: {exc.errors(include_url=False)[0]['msg']}") from None


def _strategy_warmup(strategy_file: Path, speed: float) -> int:
    """Warm-up history for a strategy file, read without importing it (the audit names its class)."""
    from gentrade.exchange.warmup import strategy_warmup_ms
    from gentrade.safety import audit

    try:
        source = strategy_file.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--warmup-for: cannot read {strategy_file}: {exc}") from None
    class_name = audit(source, filename=strategy_file.name).class_name
    if not class_name:
        raise ConfigError(f"--warmup-for: {strategy_file.name} defines no IStrategy subclass")
    return strategy_warmup_ms(source, class_name, speed)


@exchange_app.command("serve")
@cli_errors
def serve(
    datadir: Annotated[
        Path | None, typer.Option(help="Freqtrade data dir with <BASE>_<QUOTE>-<tf>.feather files.")
    ] = None,
    host: Annotated[str, typer.Option(help="Loopback address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind (0 picks a free one).")] = DEFAULT_PORT,
    replay: Annotated[
        datetime | None,
        typer.Option(help="Replay history from this UTC moment as if it were happening now."),
    ] = None,
    historical: Annotated[
        bool, typer.Option("--historical", help="Serve stored candles as they are (the default).")
    ] = False,
    speed: Annotated[float, typer.Option(help="Replay this many times faster than real time.")] = 1.0,
    warmup: Annotated[
        str, typer.Option(help="History already past when the replay starts (e.g. 1d).")
    ] = "1d",
    warmup_for: Annotated[
        Path | None,
        typer.Option(
            help="Strategy file: serve at least the warm-up its startup_candle_count needs at this speed."
        ),
    ] = None,
    accounts: Annotated[
        Path | None, typer.Option(help='JSON list of {"api_key", "api_secret", "balances"} objects.')
    ] = None,
    api_key: Annotated[str | None, typer.Option(help="API key of the single account.")] = None,
    api_secret: Annotated[str | None, typer.Option(help="API secret of the single account.")] = None,
    balance: Annotated[
        list[str] | None, typer.Option(help="Starting balance ASSET=AMOUNT of the single account (repeat).")
    ] = None,
    fee: Annotated[float, typer.Option(help="Maker and taker fee rate.")] = 0.001,
    script: Annotated[
        Path | None, typer.Option(help="JSON list of price scripts applied at start (replay only).")
    ] = None,
) -> None:
    """Serve Binance's spot REST API (/api/v3) on loopback from candles on disk."""
    from gentrade.exchange.server import ServeOptions, serve_forever
    from gentrade.exchange.service import Testnet

    if replay is not None and historical:
        raise ConfigError("--replay and --historical exclude each other")
    if replay is None and speed != 1.0:
        raise ConfigError("--speed only applies to --replay")
    try:
        warmup_ms = parse_duration(warmup)
    except ValueError as exc:
        raise ConfigError(f"--warmup: {exc}") from None
    if warmup_for is not None:
        if replay is None:
            raise ConfigError("--warmup-for only applies to --replay")
        warmup_ms = max(warmup_ms, _strategy_warmup(warmup_for, speed))
    try:
        options = ServeOptions(
            datadir=datadir or get_settings().resolved_data_dir,
            host=host,
            port=port,
            replay_start=replay,
            warmup_ms=warmup_ms,
            speed=speed,
            accounts=_accounts(accounts, api_key, api_secret, balance or []),
            fee_rate=Decimal(str(fee)),
            scripts=load_scripts(script) if script is not None else [],
        )
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise ConfigError(f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    mode = f"replay from {replay:%Y-%m-%d %H:%M} x{speed:g}" if replay else "historical"
    if replay is not None:
        mode += f", warm-up {warmup_ms / 3_600_000:g} h of history"

    def announce(url: str, testnet: Testnet) -> None:
        intervals = ", ".join(testnet.feed.servable_intervals()) or "none"
        console.print(f"testnet ({mode}) on {url} over {options.datadir}", highlight=False)
        console.print(f"kline intervals: {intervals}", highlight=False)
        if options.accounts is None:
            console.print(f"account: key {DEFAULT_API_KEY} secret {DEFAULT_API_SECRET}", highlight=False)

    serve_forever(options, on_ready=announce)


def register(app: typer.Typer) -> None:
    app.add_typer(exchange_app, name="exchange")

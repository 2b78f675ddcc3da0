"""``gentrade bot``: start, watch and stop freqtrade bots (dry-run unless told twice to trade real money)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from gentrade.cli.errors import cli_errors
from gentrade.settings import get_settings

if TYPE_CHECKING:
    from gentrade.engine.bots import BotInfo, BotManager

bot_app = typer.Typer(help="Run strategies as freqtrade bots (dry-run by default).", no_args_is_help=True)
console = Console()

StateDir = Annotated[
    Path | None, typer.Option(help="Where bots are recorded (default: <user_dir>/bots).", show_default=False)
]
_COLOURS = {
    "running": "green",
    "degraded": "yellow",
    "starting": "yellow",
    "stopped": "dim",
    "crashed": "red",
}


def manager(state_dir: Path | None) -> BotManager:
    from gentrade.engine.bots import BotManager
    from gentrade.freqtrade_config import default_local_config, freqtrade_env

    settings = get_settings()
    return BotManager(
        state_dir or settings.user_dir / "bots",
        memory_mb=settings.bot_memory_mb,
        default_config=default_local_config,
        exchange_env=freqtrade_env(),
    )


def print_info(info: BotInfo, *, password: str | None = None) -> None:
    table = Table(show_header=False, title=f"{info.kind.value} {info.name}")
    colour = _COLOURS[info.status.value]
    rows = [
        ("state", f"[{colour}]{info.status.value}[/{colour}]"),
        ("api_server", info.api_url),
        ("username", info.username),
        ("pid", str(info.pid or "-")),
        ("strategy", info.strategy or "-"),
        ("mode", "dry-run" if info.dry_run else "[bold red]LIVE[/bold red]"),
        ("started", f"{info.started_at:%Y-%m-%d %H:%M:%S} UTC"),
        ("log", str(info.log_path)),
    ]
    if info.degraded:
        rows.insert(1, ("degraded", f"[yellow]{info.degraded}[/yellow]"))
    if info.warmup:
        rows.insert(1, ("warm-up", f"[yellow]{info.warmup}[/yellow]"))
    if password is not None:
        rows.insert(3, ("password", password))
    for row in rows:
        table.add_row(*row)
    console.print(table)
    if info.last_log:
        console.print(f"[red]last log lines[/red]\n{info.last_log}", highlight=False, markup=False)


@bot_app.command("start")
@cli_errors
def start(
    strategy: Annotated[Path, typer.Option(help="Strategy file (audited before the bot starts).")],
    config: Annotated[
        Path | None, typer.Option(help="freqtrade config (default: local testnet, see `gentrade config`).")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Bot name (default: the strategy class, lowercased).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="api_server port (default: a free one).")] = None,
    live: Annotated[bool, typer.Option("--live", help="Place real orders (dry_run false).")] = False,
    confirm: Annotated[
        bool,
        typer.Option(
            "--i-understand-this-uses-real-money", help="Second confirmation for --live off the testnet."
        ),
    ] = False,
    wait: Annotated[float, typer.Option(help="Seconds to wait for the api_server (0: do not wait).")] = 90.0,
    webhook: Annotated[
        str | None,
        typer.Option(
            envvar="GENTRADE_WEBHOOK_URL",
            help="Notify entries, exits (with tag), protections, emergency stops and crashes here.",
            show_default=False,
        ),
    ] = None,
    state_dir: StateDir = None,
) -> None:
    """Start a bot; exchange keys come from GENTRADE_EXCHANGE_KEY / GENTRADE_EXCHANGE_SECRET."""
    bots = manager(state_dir)
    info = bots.start(
        strategy,
        name=name,
        config=config,
        dry_run=not live,
        confirm_real_money=confirm,
        port=port,
        webhook_url=webhook,
    )
    if wait > 0:
        info = bots.wait_running(info.name, timeout_s=wait)
    print_info(info)
    console.print(
        f"password: {bots.registry.bot_dir(info.name) / 'credentials.json'} "
        f"(or `gentrade bot status {info.name} --show-password`)",
        highlight=False,
    )


@bot_app.command("status")
@cli_errors
def status(
    name: str,
    show_password: Annotated[bool, typer.Option(help="Print the api_server password too.")] = False,
    state_dir: StateDir = None,
) -> None:
    """A bot's state and its api_server URL."""
    bots = manager(state_dir)
    info = bots.status(name)
    print_info(info, password=bots.credentials(name).password if show_password else None)


@bot_app.command("stop")
@cli_errors
def stop(
    name: str,
    grace: Annotated[float, typer.Option(help="Seconds between SIGTERM and SIGKILL.")] = 20.0,
    state_dir: StateDir = None,
) -> None:
    """Stop a bot: SIGTERM, then SIGKILL after the grace period."""
    print_info(manager(state_dir).stop(name, grace_s=grace))


@bot_app.command("emergency-stop")
@cli_errors
def emergency_stop(
    name: Annotated[str | None, typer.Argument(help="The bot to stop (or --all).")] = None,
    every: Annotated[bool, typer.Option("--all", help="Every running bot.")] = False,
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for the positions to close before stopping anyway.")
    ] = 60.0,
    state_dir: StateDir = None,
) -> None:
    """Close every open position at market (freqtrade's forceexit all), then stop the bot.

    Exits 1 when a position did not close, naming it: it is still open on the exchange.
    """
    from gentrade.engine.bots import BotKind
    from gentrade.errors import InvalidRequestError

    if (name is None) == (not every):
        raise InvalidRequestError("name one bot or pass --all (not both)")
    bots = manager(state_dir)
    if every:
        names = [i.name for i in bots.list() if i.kind is BotKind.TRADE and i.stopped_at is None]
    else:
        names = [name or ""]
    incomplete = False
    for bot_name in names:
        report = bots.emergency_stop(bot_name, close_timeout_s=timeout)
        closed = ", ".join(f"#{t.trade_id} {t.pair}" for t in report.closed) or "none open"
        console.print(f"{bot_name}: closed {closed}; bot {report.bot.status.value}", highlight=False)
        for trade in report.not_closed:
            console.print(f"[red]{bot_name}: #{trade.trade_id} {trade.pair} NOT closed: {trade.reason}[/red]")
        if report.error:
            console.print(f"[red]{bot_name}: positions unknown: {report.error}[/red]")
        incomplete = incomplete or not report.complete
    if not names:
        console.print("no running bots")
    if incomplete:
        raise typer.Exit(1)


@bot_app.command("watch")
@cli_errors
def watch(
    names: Annotated[
        list[str] | None, typer.Argument(help="Bots to watch (default: every running bot).")
    ] = None,
    every: Annotated[float, typer.Option(help="Seconds between exchange checks.", min=0.5)] = 5.0,
    max_failures: Annotated[int, typer.Option(help="Failed checks in a row that pause entries.", min=1)] = 3,
    outage: Annotated[float, typer.Option(help="Or: seconds of failures that pause entries.", min=1)] = 60.0,
    state_dir: StateDir = None,
) -> None:
    """Circuit breaker in the foreground: pause a bot's entries while its exchange fails, resume after."""
    import time

    from gentrade.engine.bots import BotKind
    from gentrade.engine.bots.breaker import BreakerPolicy

    bots = manager(state_dir)
    policy = BreakerPolicy(max_failures=max_failures, outage_s=outage)
    seen: dict[str, bool] = {}
    while True:
        watched = names or [i.name for i in bots.list() if i.kind is BotKind.TRADE and i.stopped_at is None]
        for bot_name in watched:
            state = bots.check_exchange(bot_name, policy)
            if seen.get(bot_name) != state.degraded:
                note = (
                    f"degraded: {state.degraded_reason}" if state.degraded else "exchange answers; entries on"
                )
                console.print(f"{bot_name}: {note}", highlight=False)
                seen[bot_name] = state.degraded
        time.sleep(every)


@bot_app.command("logs")
@cli_errors
def logs(
    name: str,
    lines: Annotated[int, typer.Option("-n", "--lines", min=1, max=100_000)] = 100,
    state_dir: StateDir = None,
) -> None:
    """The last lines of a bot's log."""
    typer.echo(manager(state_dir).logs(name, lines))


@bot_app.command("list")
@cli_errors
def list_bots(state_dir: StateDir = None) -> None:
    """Every recorded bot and webserver."""
    table = Table("name", "kind", "state", "api_server", "strategy", "mode", "started (UTC)")
    for info in manager(state_dir).list():
        colour = _COLOURS[info.status.value]
        table.add_row(
            info.name,
            info.kind.value,
            f"[{colour}]{info.status.value}[/{colour}]",
            info.api_url,
            info.strategy or "-",
            "dry-run" if info.dry_run else "LIVE",
            f"{info.started_at:%Y-%m-%d %H:%M:%S}",
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(bot_app, name="bot")

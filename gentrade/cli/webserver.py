"""``gentrade webserver``: FreqUI's backend over a user's GenTrade backtests (``freqtrade webserver``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gentrade.cli.bot import StateDir, console, manager, print_info
from gentrade.cli.errors import cli_errors
from gentrade.settings import get_settings


@cli_errors
def webserver(
    user_dir: Annotated[
        Path | None, typer.Option(help="User dir whose backtests/ to show (default: settings).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="api_server port (default: a free one).")] = None,
    name: Annotated[str, typer.Option(help="Name in the bot registry.")] = "webserver",
    state_dir: StateDir = None,
) -> None:
    """Serve GenTrade backtest results to FreqUI; run again to list backtests finished since."""
    from gentrade.engine.bots import BotStatus
    from gentrade.errors import NotFoundError

    chosen = user_dir or get_settings().user_dir
    bots = manager(state_dir)
    try:
        running = bots.status(name).status in (BotStatus.RUNNING, BotStatus.STARTING)
    except NotFoundError:
        running = False
    if running:
        linked = bots.refresh_webserver(name, chosen)
        info = bots.status(name)
    else:
        info = bots.wait_running(bots.start_webserver(chosen, name=name, port=port).name, timeout_s=90)
        linked = sorted((bots.registry.bot_dir(name) / "user_data" / "backtest_results").glob("*.zip"))
    print_info(info)
    console.print(
        f"{len(linked)} backtest result(s) from {chosen}; in FreqUI connect to {info.api_url} as "
        f"{info.username} (password: `gentrade bot status {name} --show-password`); "
        f"stop with `gentrade bot stop {name}`.",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.command("webserver")(webserver)

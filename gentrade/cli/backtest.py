"""``gentrade backtest``: audit and backtest one strategy file with freqtrade, offline."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console
from rich.table import Column, Table

from gentrade.cli.data import split_pairs
from gentrade.cli.errors import cli_errors
from gentrade.cli.progress import progress
from gentrade.cli.wallet import FALLBACK_WALLET, default_wallet
from gentrade.settings import get_settings

if TYPE_CHECKING:
    from gentrade.engine.result import BacktestResult

console = Console()


def _stake(value: str) -> float | Literal["unlimited"]:
    from gentrade.errors import ConfigError

    if value == "unlimited":
        return "unlimited"
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"--stake-amount must be a number or 'unlimited', got {value!r}") from None


def _table(result: BacktestResult) -> Table:
    cur = result.stake_currency
    table = Table(
        "metric",
        Column("value", overflow="fold"),
        title=f"{result.strategy} · {result.timeframe} · {', '.join(result.pairs)}",
    )
    rows = [
        ("backtested", f"{result.backtest_start:%Y-%m-%d %H:%M} → {result.backtest_end:%Y-%m-%d %H:%M}"),
        (
            "costs per side",
            f"fee {result.exchange_fee:.4%} + slippage {result.slippage:.4%} = {result.fee:.4%}",
        ),
        ("detail timeframe", result.timeframe_detail or "none (fills checked on the main candles)"),
        (
            "tick grid",
            "-" if result.grid_moved_prices is None else f"{result.grid_moved_prices} prices moved",
        ),
        ("trades", f"{result.trades}  (win {result.wins} / draw {result.draws} / loss {result.losses})"),
        ("win rate", f"{result.win_rate:.1%}"),
        ("starting → final", f"{result.starting_balance:.8g} → {result.final_balance:.8g} {cur}"),
        ("total profit", f"{result.profit_total_abs:.8g} {cur} ({result.profit_total_pct:.2f}%)"),
        ("max drawdown", f"{result.max_drawdown_abs:.8g} {cur} ({result.max_drawdown_pct:.2f}%)"),
        (
            "sharpe / sortino / calmar",
            " / ".join(_num(v) for v in (result.sharpe, result.sortino, result.calmar)),
        ),
        ("profit factor", _num(result.profit_factor)),
        ("expectancy (ratio)", f"{_num(result.expectancy)} ({_num(result.expectancy_ratio)})"),
        ("avg trade duration", _duration(result.avg_trade_duration_s)),
        ("exits", ", ".join(f"{tag} {n}" for tag, n in result.exit_reasons.items()) or "-"),
    ]
    rows += [("warning", warning) for warning in result.warnings]
    if result.run is not None:
        rows.append(("freqtrade result", str(result.run.result_zip)))
    for name, value in rows:
        table.add_row(name, value)
    return table


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}h{rest // 60:02d}m"


@cli_errors
def backtest(
    strategy_file: Annotated[Path, typer.Argument(help="Strategy source file (one IStrategy class).")],
    datadir: Annotated[
        Path | None, typer.Option(help="Candle directory (default: the configured one).")
    ] = None,
    timerange: Annotated[
        str | None, typer.Option(help="freqtrade timerange, e.g. 20180111-20180130.")
    ] = None,
    pairs: Annotated[
        list[str] | None, typer.Option("--pairs", "-p", help="Pairs (default: all in datadir).")
    ] = None,
    timeframe: Annotated[str | None, typer.Option(help="Override the strategy's timeframe.")] = None,
    results_dir: Annotated[Path | None, typer.Option(help="Where run directories are created.")] = None,
    fee: Annotated[float, typer.Option(help="Exchange fee per side (fraction).")] = 0.001,
    slippage: Annotated[float, typer.Option(help="Assumed slippage per side (fraction).")] = 0.0005,
    wallet: Annotated[
        float | None,
        typer.Option(
            help="Starting balance in the stake currency (default: fits it, e.g. 0.02 BTC, 1000 USDT)."
        ),
    ] = None,
    stake_amount: Annotated[str, typer.Option(help="Stake per trade, or 'unlimited'.")] = "unlimited",
    max_open_trades: Annotated[
        int | None, typer.Option(help="Concurrent trades (default: the strategy's own, else 3).")
    ] = None,
    markets: Annotated[Path | None, typer.Option(help="Captured ccxt markets snapshot (JSON).")] = None,
    timeframe_detail: Annotated[
        str,
        typer.Option(
            help="Detail timeframe for fills: 'auto' (1m when the datadir has it), 'none' or e.g. 1m."
        ),
    ] = "auto",
    timeout: Annotated[float | None, typer.Option(help="Wall-clock limit in seconds.")] = None,
    memory_mb: Annotated[
        int | None, typer.Option(help="Address-space limit of the backtest process.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the BacktestResult as JSON.")] = False,
) -> None:
    """Audit STRATEGY_FILE and backtest it with freqtrade (child process, no network)."""
    from gentrade.services.backtests import run_with_settings

    settings = get_settings()
    datadir = datadir if datadir is not None else settings.resolved_data_dir
    chosen = split_pairs(pairs)
    fitted = default_wallet(chosen, datadir) if wallet is None else None
    if wallet is None:
        wallet = fitted[0] if fitted else FALLBACK_WALLET
    with progress(f"backtesting {strategy_file.name}", quiet=as_json):
        limits = {"timeout_s": timeout, "memory_mb": memory_mb}
        result = run_with_settings(
            settings,
            strategy_file,
            datadir=datadir,
            timerange=timerange,
            pairs=chosen,
            timeframe=timeframe,
            results_dir=results_dir or settings.user_dir / "backtests",
            **{name: value for name, value in limits.items() if value is not None},
            fee=fee,
            slippage=slippage,
            dry_run_wallet=wallet,
            stake_amount=_stake(stake_amount),
            max_open_trades=max_open_trades,
            markets_file=markets,
            timeframe_detail=None if timeframe_detail == "none" else timeframe_detail,
        )
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        console.print(_table(result))
        if fitted is not None:  # said after the result, so an error stays the one line it is
            console.print(
                f"wallet: {fitted[0]:g} {fitted[1]} (the default for {fitted[1]}-quoted pairs; "
                "--wallet to change)",
                highlight=False,
            )


def register(app: typer.Typer) -> None:
    app.command("backtest")(backtest)

"""``gentrade draft`` (text → spec, optionally backtested) and ``gentrade analyze`` (candles → signal + spec),
both with the offline producers: no network, no key."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from gentrade.cli.errors import cli_errors
from gentrade.spec import StrategySpec, spec_json

console = Console(highlight=False, soft_wrap=True)


def _backtest_table(spec: StrategySpec, datadir: Path, timerange: str | None) -> Table:
    from gentrade.codegen import render, strategy_filename
    from gentrade.engine.runner import run_backtest

    with tempfile.TemporaryDirectory(prefix="gentrade-draft-") as folder:
        strategy = Path(folder) / strategy_filename(spec)
        strategy.write_text(render(spec))
        result = run_backtest(
            strategy, datadir, timerange, pairs=spec.pairs, results_dir=Path(folder) / "runs"
        )
    table = Table(title=f"backtest {spec.name} {result.timerange or ''} (freqtrade)")
    for column in ("trades", "win rate", "profit %", "profit abs", "max drawdown %", "profit factor"):
        table.add_column(column, justify="right")
    table.add_row(
        str(result.trades),
        f"{result.win_rate * 100:.1f}%",
        f"{result.profit_total_pct:.2f}",
        f"{result.profit_total_abs:.6g} {result.stake_currency}",
        f"{result.max_drawdown_pct:.2f}",
        "-" if result.profit_factor is None else f"{result.profit_factor:.2f}",
    )
    return table


@cli_errors
def draft_command(
    text: Annotated[
        str, typer.Argument(help="The idea in plain words, e.g. 'RSI(14) under 30 on ETH/BTC 5m'.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the drafter's result as JSON.")] = False,
    pair: Annotated[
        list[str] | None, typer.Option("--pair", help="Pair(s) when the text names none.")
    ] = None,
    backtest: Annotated[bool, typer.Option("--backtest", help="Backtest the drafted strategy.")] = False,
    datadir: Annotated[Path | None, typer.Option(help="Candle directory (freqtrade layout).")] = None,
    timerange: Annotated[
        str | None, typer.Option(help="freqtrade timerange, e.g. 20180110-20180130.")
    ] = None,
) -> None:
    """Draft a strategy spec from text with the offline drafter, and say what it could not understand."""
    from agents.offline import draft
    from agents.offline.drafter import DEFAULT_PAIRS
    from gentrade.settings import get_settings

    result = draft(text, default_pairs=pair or DEFAULT_PAIRS)
    if as_json:
        console.print_json(
            json.dumps({**json.loads(result.model_dump_json()), "spec": json.loads(spec_json(result.spec))})
        )
    else:
        console.print(
            f"[bold]{result.spec.name}[/bold]  drafted by {result.model_id} (offline, deterministic)"
        )
        console.print(spec_json(result.spec))
        for title, lines in (
            ("understood", result.understood),
            ("assumed", result.assumptions),
            ("NOT understood", result.not_understood),
        ):
            console.print(f"[bold]{title}:[/bold]" + ("" if lines else " nothing"))
            for line in lines:
                console.print(f"  - {line}")
    if backtest:
        console.print(_backtest_table(result.spec, datadir or get_settings().resolved_data_dir, timerange))


@cli_errors
def analyze_command(
    pair: Annotated[str, typer.Argument(help="Pair, e.g. ETH/BTC.")],
    timeframe: Annotated[
        str, typer.Option(help="Signal timeframe: 1h, 4h, 1d or 1w (resampled if needed).")
    ] = "1h",
    datadir: Annotated[Path | None, typer.Option(help="Candle directory (freqtrade layout).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print snapshot, signal and spec as JSON.")] = False,
) -> None:
    """Analyse the last candle of PAIR with the offline analyst: a trade signal and the matching spec."""
    from agents.offline import analyze, load_candles
    from gentrade.settings import get_settings

    folder = datadir or get_settings().resolved_data_dir
    analysis = analyze(load_candles(folder, pair, timeframe), pair, timeframe)
    if as_json:
        console.print_json(analysis.model_dump_json())
        return
    signal = analysis.signal
    console.print(
        f"[bold]{signal.direction.upper()} {signal.symbol} {signal.timeframe}[/bold]  "
        f"by {signal.model_id} (offline)  confidence {signal.confidence}/100  "
        f"market {signal.market_condition}  R:R {signal.risk_reward:.2f}"
    )
    console.print(
        f"entry {signal.entry:.8g}  stop {signal.stop_loss:.8g}  "
        + "  ".join(
            f"TP{i} {t.price:.8g} ({t.allocation * 100:g}%)" for i, t in enumerate(signal.take_profits, 1)
        )
    )
    console.print(signal.reasoning)
    console.print(spec_json(analysis.spec))


def register(app: typer.Typer) -> None:
    app.command("draft")(draft_command)
    app.command("analyze")(analyze_command)

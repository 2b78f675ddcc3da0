"""``gentrade draft`` (text → spec, optionally backtested) and ``gentrade analyze`` (candles → signal + spec),
both with the offline producers: no network, no key."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from gentrade.cli.data import split_pairs
from gentrade.cli.errors import cli_errors
from gentrade.cli.progress import progress
from gentrade.cli.tables import fitted_table
from gentrade.cli.wallet import FALLBACK_WALLET, default_wallet
from gentrade.spec import StrategySpec, spec_json

if TYPE_CHECKING:
    from gentrade.settings import Settings

console = Console(highlight=False, soft_wrap=True)


def _backtest_table(
    settings: Settings, spec: StrategySpec, datadir: Path, timerange: str | None, quiet: bool
) -> Table:
    """The drafted strategy backtested on the in-sample range and, once, on the held-back range after it
    (``gentrade.engine.holdout``): one row each, with the split dates. The file is rendered and audited, and
    both runs take the settings' launcher and limits, like every other backtest (``services.backtests``)."""
    from gentrade.engine.holdout import split_timerange
    from gentrade.services.backtests import run_with_settings
    from gentrade.services.strategy_saving import build_strategy

    fitted = default_wallet(spec.pairs, datadir)
    wallet = fitted[0] if fitted else FALLBACK_WALLET
    split = split_timerange(datadir, list(spec.pairs), spec.timeframe, timerange)
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="gentrade-draft-") as folder,
        progress(f"backtesting {spec.name}", quiet=quiet),
    ):
        built = build_strategy(spec, Path(folder))
        for label, span in (("in-sample", split.in_sample), ("held-back", split.held_back)):
            result = run_with_settings(
                settings,
                built.path,
                results_dir=Path(folder) / "runs",
                timerange=span,
                pairs=spec.pairs,
                timeframe=spec.timeframe,
                datadir=datadir,
                dry_run_wallet=wallet,
            )
            rows.append(
                [
                    f"{label} {span}",
                    str(result.trades),
                    f"{result.win_rate * 100:.1f}%",
                    f"{result.profit_total_pct:.2f}",
                    f"{result.profit_total_abs:.6g} {result.stake_currency}",
                    f"{result.max_drawdown_pct:.2f}",
                    "-" if result.profit_factor is None else f"{result.profit_factor:.2f}",
                ]
            )
    return fitted_table(
        ["range", "trades", "win rate", "profit %", "profit abs", "max drawdown %", "profit factor"],
        rows,
        console=console,
        title=f"backtest {spec.name} (freqtrade), split at {split.split_at:%Y-%m-%d}: in-sample "
        f"{split.start:%Y-%m-%d} → {split.split_at:%Y-%m-%d}, held back {split.split_at:%Y-%m-%d} → "
        f"{split.end:%Y-%m-%d}; wallet {wallet:g} {result.stake_currency}",
        right_from=1,
    )


@cli_errors
def draft_command(
    text: Annotated[
        str, typer.Argument(help="The idea in plain words, e.g. 'RSI(14) under 30 on ETH/BTC 5m'.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the drafter's result as JSON.")] = False,
    pair: Annotated[
        list[str] | None,
        typer.Option("--pair", "--pairs", help="Pair(s) when the text names none (A B, A,B or repeated)."),
    ] = None,
    backtest: Annotated[
        bool,
        typer.Option("--backtest", help="Backtest the drafted strategy: in-sample, then the held-back 30 %."),
    ] = False,
    datadir: Annotated[Path | None, typer.Option(help="Candle directory (freqtrade layout).")] = None,
    timerange: Annotated[
        str | None, typer.Option(help="freqtrade timerange, e.g. 20180110-20180130.")
    ] = None,
    from_spec: Annotated[
        Path | None,
        typer.Option("--from", help="Improve this spec (JSON/YAML) with the change the text describes."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the spec to this file.")
    ] = None,
) -> None:
    """Draft a strategy spec from text with the offline drafter, and say what it could not understand."""
    from agents.drafting.merge import merge_change
    from agents.drafting.spec_diff import spec_diff
    from agents.offline import draft
    from agents.offline.drafter import DEFAULT_DRAFT_PAIRS
    from gentrade.settings import get_settings
    from gentrade.spec import load_spec

    diff: list[str] = []
    if from_spec is not None:
        previous = load_spec(from_spec)
        result = merge_change(previous, text)
        diff = spec_diff(previous, result.spec)
    else:
        result = draft(text, default_pairs=split_pairs(pair) or DEFAULT_DRAFT_PAIRS)
    if output is not None:
        output.write_text(spec_json(result.spec) + "\n")
    if as_json:
        console.print_json(
            json.dumps(
                {
                    **json.loads(result.model_dump_json()),
                    "spec": json.loads(spec_json(result.spec)),
                    **({"diff": diff} if from_spec is not None else {}),
                }
            )
        )
    else:
        console.print(
            f"[bold]{result.spec.name}[/bold]  drafted by {result.model_id} (offline, deterministic)"
        )
        console.print(spec_json(result.spec))
        sections = [("changed", diff)] if from_spec is not None else []
        for title, lines in (
            *sections,
            ("understood", result.understood),
            ("assumed", result.assumptions),
            ("NOT understood", result.not_understood),
        ):
            console.print(f"[bold]{title}:[/bold]" + ("" if lines else " nothing"))
            for line in lines:
                console.print(f"  - {line}")
    if backtest:
        settings = get_settings()
        folder = datadir or settings.resolved_data_dir
        console.print(_backtest_table(settings, result.spec, folder, timerange, quiet=as_json))


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
    from agents.offline import analyze
    from gentrade.data import store
    from gentrade.settings import get_settings

    folder = datadir or get_settings().resolved_data_dir
    analysis = analyze(store.load_candles_frame(folder, pair, timeframe, resample=True), pair, timeframe)
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

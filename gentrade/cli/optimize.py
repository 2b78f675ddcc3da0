"""``gentrade optimize SPEC_OR_STRATEGY_ID``: walk-forward hyperopt, in-sample and held-back side by side.

A spec file (JSON/YAML, or a rendered strategy with its embedded spec) is optimised here and the tuned spec
written with ``-o``; a strategy id optimises that strategy's version in the database (``--user`` owns it)
and saves the result as its next version, exactly as the API's task does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from gentrade.cli.data import split_pairs
from gentrade.cli.errors import cli_errors
from gentrade.codegen.parse import embedded_spec
from gentrade.db.engine import make_engine, make_session_factory
from gentrade.db.migrate import ensure_schema
from gentrade.db.repositories import strategies as strategies_repo
from gentrade.db.repositories import users as users_repo
from gentrade.engine.walkforward import Metrics
from gentrade.engine.walkforward import Progress as Step
from gentrade.errors import NotFoundError, OptimizeFailedError
from gentrade.services import optimize
from gentrade.settings import get_settings
from gentrade.spec import StrategySpec, load_spec, spec_json

console = Console()
progress_console = Console(stderr=True)  # progress on stderr, so --json output stays parseable


def _spec(path: Path) -> StrategySpec:
    if path.suffix == ".py":
        return embedded_spec(path.read_text())
    return load_spec(path)


def _num(value: float | None, fmt: str = ".2f") -> str:
    return "-" if value is None else format(value, fmt)


def _row(metrics: Metrics) -> list[str]:
    return [
        metrics.timerange,
        str(metrics.trades),
        _num(metrics.profit_pct),
        _num(metrics.profit_pct_per_day, ".3f"),
        _num(metrics.max_drawdown_pct),
        _num(metrics.sharpe),
    ]


def report_table(report: dict) -> Table:
    """Each fold's in-sample and held-back results side by side, and what did not carry over."""
    table = Table(
        title=f"walk-forward · loss {report['loss_class']} · {report['epochs_per_fold']} epochs/fold"
    )
    for column in ("fold", "window", "range", "trades", "profit %", "%/day", "max DD %", "sharpe"):
        table.add_column(column, justify="right" if column not in ("window", "range") else "left")
    table.add_column("degradation %/day", justify="right")
    for fold in report["folds"]:
        in_sample, held = Metrics(**fold["in_sample"]), Metrics(**fold["held_back"])
        table.add_row(str(fold["index"]), "in-sample", *_row(in_sample), "")
        efficiency = fold["efficiency"]
        table.add_row(
            "",
            "held-back",
            *_row(held),
            f"{fold['degradation_pct_per_day']:.3f}"
            + ("" if efficiency is None else f" (eff {efficiency:.2f})"),
        )
    return table


def _progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("best loss {task.fields[best]}"),
        TimeElapsedColumn(),
        console=progress_console,
    )


def register(app: typer.Typer) -> None:
    @app.command("optimize")
    @cli_errors
    def optimize_command(
        target: Annotated[str, typer.Argument(help="A spec file (or rendered strategy), or a strategy id.")],
        timerange: Annotated[str, typer.Option(help="Whole range to cut into folds, YYYYMMDD-YYYYMMDD.")],
        loss: Annotated[
            str, typer.Option(help="sharpe, sortino, calmar, profit or max-drawdown-relative.")
        ] = "sharpe",
        epochs: Annotated[int, typer.Option("--epochs", "-e", help="Epochs per fold.")] = 20,
        folds: Annotated[int, typer.Option(help="Walk-forward folds.")] = 2,
        in_sample: Annotated[float, typer.Option(help="Share of the range each search sees.")] = 0.7,
        jobs: Annotated[
            int | None, typer.Option("--jobs", "-j", help="Parallel searches (default: cores).")
        ] = None,
        pairs: Annotated[
            list[str] | None, typer.Option(help="Pairs, repeated or comma-separated (default: the spec's).")
        ] = None,
        datadir: Annotated[
            Path | None, typer.Option(help="Candles (default: the configured data dir).")
        ] = None,
        user: Annotated[str | None, typer.Option(help="Owner's email, when TARGET is a strategy id.")] = None,
        output: Annotated[
            Path | None, typer.Option("-o", "--output", help="Write the tuned spec here.")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    ) -> None:
        """Optimise with freqtrade hyperopt on in-sample windows; judge on the held-back windows after."""
        settings = get_settings()
        options = optimize.OptimizeOptions.model_validate(
            {
                "timerange": timerange,
                "pairs": split_pairs(pairs),
                "loss": loss,
                "epochs": epochs,
                "folds": folds,
                "in_sample": in_sample,
                "jobs": jobs,
            }
        )
        data = datadir or settings.resolved_data_dir
        # Started by the first progress report, so an error found before the search prints one line only.
        bar = _progress_bar()
        task = bar.add_task("epochs", total=None, best="-")

        def show(step: Step) -> None:
            if not bar.live.is_started:
                bar.start()
            best = "-" if step.best_loss is None else f"{step.best_loss:.5g}"
            bar.update(
                task,
                total=step.epochs_total,
                completed=step.epochs_done,
                best=best,
                description=f"fold {step.fold}/{step.folds} {step.phase}",
            )

        try:
            if target.isdigit():
                report, spec, note = _stored(int(target), user, options, data, show)
            else:
                spec_in = _spec(Path(target))
                result = optimize.optimize_spec(spec_in, data, options, show)
                report = optimize.record(result, None, None)
                spec, note = result.spec, ""
        finally:
            if bar.live.is_started:
                bar.stop()
        if output is not None:
            output.write_text(spec_json(spec) + "\n")
            note += f"tuned spec written to {output}"
        if as_json:
            typer.echo(json.dumps(report, indent=2))
            return
        console.print(report_table(report))
        console.print(f"parameters: {json.dumps(report['params'])}")
        if note:
            console.print(note)


def _stored(
    strategy_id: int,
    email: str | None,
    options: optimize.OptimizeOptions,
    datadir: Path,
    show: Callable[[Step], None],
) -> tuple[dict, StrategySpec, str]:
    if email is None:
        raise NotFoundError("a strategy id needs --user (the email of its owner)")
    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    try:
        ensure_schema(engine)
        sessions = make_session_factory(engine)
        with sessions() as session:
            owner = users_repo.by_email(session, email)
            if owner is None:
                raise NotFoundError(f"no user {email!r} (register through the API first)")
            row = optimize.queue(session, owner, strategy_id, None, options)
            session.commit()
            optimization_id = row.id
        done = optimize.run(sessions, optimization_id, datadir, settings.user_dir / "optimizations")
        if done.status != "succeeded" or done.report is None:
            raise OptimizeFailedError(done.error_message or "the optimisation failed")
        with sessions() as session:
            result_id = done.result_version_id
            version = None if result_id is None else strategies_repo.version_by_id(session, result_id)
            if version is None or version.optimization is None:
                raise OptimizeFailedError(f"optimization {done.id} left no version behind")
            spec = StrategySpec.model_validate(version.spec)
            note = f"saved as version {version.number} of strategy {strategy_id} (optimization {done.id}); "
            return version.optimization, spec, note
    finally:
        engine.dispose()

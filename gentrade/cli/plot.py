"""``gentrade plot``: a backtest's equity, drawdown and trades as a self-contained HTML file (or PNG)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gentrade.cli.errors import cli_errors
from gentrade.engine.result import BacktestResult
from gentrade.errors import ConfigError, NotFoundError

if TYPE_CHECKING:
    from plotly.graph_objects import Figure

CHROMIUM = "/usr/bin/chromium"


def _from_database(backtest_id: int) -> BacktestResult:
    """An operator's view: any stored backtest by id, from the configured database."""
    from gentrade.db.engine import make_engine, make_session_factory
    from gentrade.db.models import Backtest
    from gentrade.settings import get_settings

    engine = make_engine(get_settings().resolved_database_url)
    try:
        with make_session_factory(engine)() as session:
            row = session.get(Backtest, backtest_id)
            if row is None or row.result is None:
                state = "does not exist" if row is None else f"has no result (status {row.status})"
                raise NotFoundError(f"backtest {backtest_id} {state}")
            return BacktestResult.model_validate(row.result)
    finally:
        engine.dispose()


def load(target: str) -> tuple[BacktestResult, str]:
    """A result zip's path, or a stored backtest's id; and the name the picture gets."""
    path = Path(target)
    if path.suffix == ".zip":
        if not path.is_file():
            raise NotFoundError(f"no result zip at {target}")
        from gentrade.engine.result import parse_result_zip

        return parse_result_zip(path), path.stem
    if target.isascii() and target.isdigit():
        return _from_database(int(target)), f"backtest-{target}"
    raise ConfigError(f"{target!r} is neither a backtest id nor a freqtrade result .zip")


def write(figure: Figure, output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.suffix == ".png":
        # kaleido renders in a headless browser; left to itself it may pick one it cannot drive offline.
        if Path(CHROMIUM).exists():
            os.environ.setdefault("BROWSER_PATH", CHROMIUM)
        try:
            figure.write_image(str(output), width=1400, height=900)
        except (ImportError, ValueError, RuntimeError) as exc:
            reason = str(exc).strip().splitlines()[0]
            raise ConfigError(
                f"PNG output needs kaleido>=1 and chromium ({reason}); write .html instead"
            ) from None
        return
    if output.suffix not in (".html", ".htm"):
        raise ConfigError(f"-o must end in .html or .png, not {output.suffix or '(none)'}")
    # plotly.js is embedded, so the file opens with no network.
    figure.write_html(str(output), include_plotlyjs=True, full_html=True)


@cli_errors
def plot(
    target: Annotated[
        str, typer.Argument(metavar="BACKTEST_ID_OR_ZIP", help="A stored backtest's id or a result zip.")
    ],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="An .html (default) or .png file.")
    ] = None,
) -> None:
    """Write the equity, drawdown and trades picture of a backtest."""
    from gentrade.engine.figure import backtest_figure

    result, name = load(target)
    destination = output or Path(f"{name}.html")
    write(backtest_figure(result, f"{result.strategy} {name}"), destination)
    typer.echo(f"wrote {destination} ({result.trades} trades, {len(result.pairs)} pairs)")


def register(app: typer.Typer) -> None:
    app.command("plot")(plot)

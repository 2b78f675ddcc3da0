"""``gentrade worker`` and ``gentrade beat``: Celery's own worker and beat on GenTrade's app and settings."""

from __future__ import annotations

import typer

from gentrade.cli.errors import cli_errors


@cli_errors
def worker(
    concurrency: int = typer.Option(
        2, min=1, help="Backtests run at once (each is a process; one per core is about right)."
    ),
    hostname: str = typer.Option("gentrade@%h", help="Worker name; unique per worker on a host."),
    loglevel: str = typer.Option("INFO", help="Celery log level."),
) -> None:
    """Run backtests, bot and signal tasks from the queue (GENTRADE_TASK_BROKER_URL; default embedded)."""
    from gentrade.tasks.app import app

    app.worker_main(
        [
            "worker",
            f"--concurrency={concurrency}",
            f"--hostname={hostname}",
            f"--loglevel={loglevel}",
            "--without-gossip",
            "--without-mingle",
        ]
    )


@cli_errors
def beat(loglevel: str = typer.Option("INFO", help="Celery log level.")) -> None:
    """Queue the periodic tasks (bot health, signal expiry); run exactly one per deployment."""
    from gentrade.settings import get_settings
    from gentrade.tasks.app import app

    schedule = get_settings().user_dir / "celerybeat-schedule"
    schedule.parent.mkdir(parents=True, exist_ok=True)
    app.start(["beat", f"--loglevel={loglevel}", f"--schedule={schedule}"])


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
    app.command("beat")(beat)

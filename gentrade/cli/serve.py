"""``gentrade serve``: the API on the embedded default with no setup (or on GENTRADE_DATABASE_URL).

With ``GENTRADE_TASK_BACKEND=celery`` the API only queues backtests, so ``serve`` also starts a Celery worker
(with the beat inside it) as a child process on the same settings — one command still runs everything on
one machine, on the embedded SQLite broker by default — and stops it when the API stops.
"""

from __future__ import annotations

import subprocess
import sys

import typer

from gentrade.cli.errors import cli_errors

_WORKER_STOP_S = 30


def _start_worker(concurrency: int) -> subprocess.Popen[bytes]:
    from gentrade.settings import get_settings

    schedule = get_settings().user_dir / "celerybeat-schedule"
    schedule.parent.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "celery", "-A", "gentrade.tasks.app", "worker", "--beat"]
    argv += [f"--schedule={schedule}", f"--concurrency={concurrency}", "--without-gossip", "--without-mingle"]
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL)


def _stop_worker(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM is Celery's warm shutdown (running backtests finish); past the grace period, kill."""
    proc.terminate()
    try:
        proc.wait(timeout=_WORKER_STOP_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@cli_errors
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
    worker: bool | None = typer.Option(
        None, help="Start a Celery worker child too (default: when GENTRADE_TASK_BACKEND=celery)."
    ),
) -> None:
    """Start the HTTP API. A brand-new embedded database is created; one that is behind is refused."""
    import uvicorn

    from gentrade.api import create_app
    from gentrade.api.logging import configure_logging
    from gentrade.db.migrate import ensure_schema

    configure_logging()
    app = create_app()
    settings = app.state.services.settings
    # Check before uvicorn starts so a stale schema is a one-line error, not a failed-lifespan traceback.
    ensure_schema(app.state.services.engine)
    child = (
        _start_worker(settings.backtest_workers)
        if (worker is None and settings.task_backend == "celery") or worker
        else None
    )
    try:
        uvicorn.run(app, host=host, port=port, log_config=None)
    finally:
        if child is not None:
            _stop_worker(child)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)

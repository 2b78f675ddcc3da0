"""``gentrade serve``: the API on the embedded default with no setup (or on GENTRADE_DATABASE_URL).

With ``GENTRADE_TASK_BACKEND=celery`` (the default) the API only queues backtests, so ``serve`` also starts a
Celery worker and a beat as child processes on the same settings — one command still runs everything on
one machine, on the embedded SQLite broker by default — and stops it when the API stops.
"""

from __future__ import annotations

import ctypes
import signal
import subprocess
import sys

import typer

from gentrade.cli.errors import cli_errors

_WORKER_STOP_S = 30


def _start_worker(concurrency: int) -> list[subprocess.Popen[bytes]]:
    """A Celery worker and a beat, as two children: beat embedded in the worker (`--beat`) would be a
    grandchild that outlives a killed `serve`."""
    from gentrade.settings import get_settings

    schedule = get_settings().user_dir / "celerybeat-schedule"
    schedule.parent.mkdir(parents=True, exist_ok=True)
    celery = [sys.executable, "-m", "celery", "-A", "gentrade.tasks.app"]
    worker = [*celery, "worker", f"--concurrency={concurrency}", "--without-gossip", "--without-mingle"]
    beat = [*celery, "beat", f"--schedule={schedule}"]
    return [
        subprocess.Popen(argv, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        for argv in (worker, beat)
    ]


def _die_with_parent() -> None:
    """Runs in the worker before exec: the kernel kills it if `serve` dies, however it dies (Celery's pool
    children already die with the worker), so no worker outlives the API; acks_late redelivers its work."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG


def _stop_worker(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM is Celery's warm shutdown (running backtests finish); past the grace period, kill: a killed
    backtest is redelivered (acks_late), and Celery's prefork pool can hang at exit after its children end."""
    for proc in procs:
        proc.terminate()
    for proc in procs:
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
    from gentrade.db.migrate import ensure_schema
    from gentrade.logs import configure_logging

    configure_logging()
    app = create_app()
    settings = app.state.services.settings
    # Check before uvicorn starts so a stale schema is a one-line error, not a failed-lifespan traceback.
    ensure_schema(app.state.services.engine)
    children = (
        _start_worker(settings.backtest_workers)
        if (worker is None and settings.task_backend == "celery") or worker
        else []
    )
    try:
        uvicorn.run(app, host=host, port=port, log_config=None)
    finally:
        _stop_worker(children)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)

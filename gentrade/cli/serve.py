"""``gentrade serve``: the API on the embedded default with no setup (or on GENTRADE_DATABASE_URL).

With ``GENTRADE_TASK_BACKEND=celery`` (the default) the API only queues backtests, so ``serve`` also starts a
Celery worker and a beat as child processes on the same settings — one command still runs everything on
one machine, on the embedded SQLite broker by default — and stops it when the API stops.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import typer

from gentrade.cli.errors import cli_errors
from gentrade.cli.supervise import Supervisor
from gentrade.settings import get_settings

_WORKER_STOP_S = 30
_API_STOP_S = 15
_POLL_S = 0.5


def _worker_commands(concurrency: int, user_dir: Path) -> dict[str, list[str]]:
    """A Celery worker and a beat, as two children: beat embedded in the worker (`--beat`) would be a
    grandchild that outlives a killed `serve`."""
    schedule = user_dir / "celerybeat-schedule"
    schedule.parent.mkdir(parents=True, exist_ok=True)
    celery = [sys.executable, "-m", "celery", "-A", "gentrade.tasks.app"]
    worker = [*celery, "worker", f"--concurrency={concurrency}", "--without-gossip", "--without-mingle"]
    beat = [*celery, "beat", f"--schedule={schedule}"]
    return {"worker": worker, "beat": beat}


def _spawn(argv: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)


def _die_with_parent() -> None:
    """Runs in the worker before exec: the kernel kills it if `serve` dies, however it dies (Celery's pool
    children already die with the worker), so no worker outlives the API; acks_late redelivers its work."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG


def _stop(procs: list[subprocess.Popen[bytes]], grace_s: float) -> None:
    """SIGTERM to all, then SIGKILL to whoever is still there after ``grace_s``."""
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _stop_worker(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM is Celery's warm shutdown (running backtests finish); past the grace period, kill: a killed
    backtest is redelivered (acks_late), and Celery's prefork pool can hang at exit after its children end."""
    _stop(procs, _WORKER_STOP_S)


def _listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """One listening socket per API process, all on one port with SO_REUSEPORT, so the kernel spreads new
    connections evenly across the processes. With one shared socket, whichever process wakes first accepts
    every waiting connection (32 keep-alive clients were seen split 0 / 32 between two processes)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockets = []
    for _ in range(count):
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listener.bind((host, port))
        listener.listen(2048)
        sockets.append(listener)
    return sockets


def _serve_processes(host: str, port: int, count: int) -> None:
    """``count`` API processes until one of them ends or this process is stopped; then all stop."""
    sockets = _listening_sockets(host, port, count)
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "gentrade.cli.api_process", str(listener.fileno())],
            pass_fds=(listener.fileno(),),
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        for listener in sockets
    ]
    for listener in sockets:
        listener.close()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(_POLL_S)
        ended = next(process for process in processes if process.poll() is not None)
        raise SystemExit(f"an API process exited with code {ended.returncode}; stopping the others")
    finally:
        _stop(processes, _API_STOP_S)


@cli_errors
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
    worker: bool | None = typer.Option(
        None, help="Start a Celery worker child too (default: when GENTRADE_TASK_BACKEND=celery)."
    ),
    workers: int = typer.Option(
        1, min=1, max=64, help="API processes, each on its own SO_REUSEPORT socket of the same port."
    ),
) -> None:
    """Start the HTTP API. A brand-new embedded database is created; one that is behind is refused."""
    import uvicorn

    from gentrade.api import create_app
    from gentrade.db.migrate import ensure_schema
    from gentrade.logs import configure_logging

    configure_logging()
    # Where the supervisor publishes its children's state for /ready, in this process and (inherited) in
    # the API processes; set before the settings are first read.
    state_file = get_settings().user_dir.resolve() / "run" / f"serve-{os.getpid()}.json"
    os.environ["GENTRADE_SERVE_STATE_FILE"] = str(state_file)
    get_settings.cache_clear()
    app = create_app()
    settings = app.state.services.settings
    # Check before uvicorn starts so a stale schema is a one-line error, not a failed-lifespan traceback.
    ensure_schema(app.state.services.engine)
    supervised = (worker is None and settings.task_backend == "celery") or worker
    supervisor = Supervisor(
        _worker_commands(settings.backtest_workers, settings.user_dir) if supervised else {},
        state_file,
        _spawn,
    )
    supervisor.start()
    supervisor.run_in_thread()
    try:
        if workers == 1:
            uvicorn.run(app, host=host, port=port, log_config=None)
        else:
            _serve_processes(host, port, workers)
    finally:
        supervisor.stop(_stop_worker)
        state_file.unlink(missing_ok=True)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)

"""Where backtests run: the ``BacktestExecutor`` interface and the local, in-process implementation.

The API only queues (``submit``) and cancels. ``LocalExecutor`` runs the task body
(``gentrade.tasks.execution.execute_backtest``) on a small thread pool, each run itself a contained child
process; ``gentrade.tasks.executor.CeleryExecutor`` queues it for Celery workers behind the same methods.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from gentrade.logs import request_id_var
from gentrade.settings import Settings
from gentrade.tasks.execution import execute_backtest, kill_backtest_processes

logger = logging.getLogger("gentrade.api.executor")


class BacktestExecutor(Protocol):
    def submit(self, backtest_id: int, *, request_id: str | None) -> None:
        """Run the queued backtest eventually; must return at once."""

    def cancel(self, backtest_id: int) -> None:
        """Stop work on a backtest the database already marks cancelled (or deleted)."""

    def shutdown(self) -> None: ...


class LocalExecutor:
    """Runs backtests on a thread pool in this process: the embedded mode's queue."""

    def __init__(
        self, sessions: sessionmaker[Session], settings: Settings, workers: int | None = None
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._pool = ThreadPoolExecutor(
            max_workers=workers or settings.backtest_workers, thread_name_prefix="bt"
        )
        self._futures: dict[int, Future[None]] = {}
        self._lock = threading.Lock()

    def submit(self, backtest_id: int, *, request_id: str | None) -> None:
        future = self._pool.submit(self._run, backtest_id, request_id)
        with self._lock:
            self._futures[backtest_id] = future
        future.add_done_callback(lambda _f: self._forget(backtest_id))

    def _run(self, backtest_id: int, request_id: str | None) -> None:
        token = request_id_var.set(request_id)
        try:
            execute_backtest(self._sessions, self._settings, backtest_id)
        finally:
            request_id_var.reset(token)

    def _forget(self, backtest_id: int) -> None:
        with self._lock:
            self._futures.pop(backtest_id, None)

    def cancel(self, backtest_id: int) -> None:
        """Drop a queued run; kill a running one's freqtrade child (its whole session) to free the slot."""
        with self._lock:
            future = self._futures.get(backtest_id)
        if future is None or future.cancel():
            return
        kill_backtest_processes(backtest_id)

    def wait(self, backtest_id: int, timeout: float | None = None) -> None:
        """Block until a submitted backtest's task has ended (tests and the CLI use it)."""
        with self._lock:
            future = self._futures.get(backtest_id)
        if future is not None:
            future.result(timeout=timeout)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

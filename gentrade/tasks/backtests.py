"""``gentrade.backtests.run``: one backtest, delivered at least once, recorded exactly once.

The body is ``gentrade.tasks.execution.execute_backtest`` (the same one the local executor runs); this module
adds what a queue needs:

* **Claim with a lease.** A delivery runs the backtest only if its conditional UPDATE moves the row to
  ``running``: from ``queued`` always; from ``running`` only when the previous holder is certainly gone —
  the message is a broker *redelivery* (the broker hands a message out again only after its holder died or
  its visibility timeout, which is longer than the hard time limit, passed), or a *retry* of this task (the
  previous attempt ended by scheduling it), or the run started longer ago than the hard time limit (no
  delivery outlives it). ``started_at`` is the lease's start and is reset by each claim. Results are stored
  only ``WHERE status = 'running'``, so however many deliveries overlap there is one result.
* **Retries for infrastructure only.** ``BacktestFailedError`` (the engine died, not the strategy),
  ``DockerUnavailableError`` and database or broker ``OperationalError`` are retried with exponential
  backoff; a strategy's own error (load, runtime, missing data, audit) fails the backtest at once with
  freqtrade's message, as does a timeout. Retries are explicit rather than ``autoretry_for`` so the last
  failure is recorded on the row instead of leaving it ``running``.
* **Time limits.** The runner kills freqtrade at ``backtest_timeout_s``; the soft limit (one margin later)
  kills the child and fails the row; the hard limit (another margin) kills the worker process and
  ``on_failure`` — which Celery calls in the parent for a hard timeout — fails the row.
* **Cancellation.** A cancelled or deleted row is never claimed; while a backtest runs, a watcher thread
  polls its row and kills the freqtrade child when it is cancelled or deleted. This works on every broker
  (the embedded one cannot broadcast remote-control commands) and needs nothing from the API.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from billiard.einfo import ExceptionInfo
from celery import Task, signals
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from kombu.exceptions import OperationalError as BrokerOperationalError
from sqlalchemy.exc import OperationalError as DatabaseOperationalError
from sqlalchemy.orm import Session, sessionmaker

from gentrade.db.engine import make_engine, make_session_factory, pool_options
from gentrade.db.repositories import backtests as repo
from gentrade.errors import BacktestFailedError, BacktestTimeoutError, DockerUnavailableError, GenTradeError
from gentrade.logs import request_id_var
from gentrade.tasks.app import app, settings_of
from gentrade.tasks.execution import execute_backtest, kill_backtest_processes
from gentrade.tasks.stranded import requeue_stranded

logger = logging.getLogger("gentrade.tasks.backtests")

TASK_NAME = "gentrade.backtests.run"
INFRASTRUCTURE_ERRORS: tuple[type[Exception], ...] = (
    BacktestFailedError,
    DockerUnavailableError,
    DatabaseOperationalError,
    BrokerOperationalError,
)
CANCEL_POLL_S = 2.0

settings = settings_of(app)


@functools.cache
def sessions() -> sessionmaker[Session]:
    """One engine per process, made on first use (never inherited across the prefork pool's fork)."""
    return make_session_factory(make_engine(settings.resolved_database_url, **pool_options(settings)))


@signals.worker_process_init.connect
def _forget_parent_engine(**_kwargs: Any) -> None:
    sessions.cache_clear()


@contextmanager
def killed_on_cancel(backtest_id: int) -> Iterator[None]:
    """While the block runs, kill this backtest's freqtrade child as soon as its row is cancelled or gone."""
    done = threading.Event()

    def watch() -> None:
        while not done.wait(CANCEL_POLL_S):
            try:
                with sessions()() as session:
                    status = repo.status_of(session, backtest_id)
            except DatabaseOperationalError:
                continue
            if status in (None, "cancelled"):
                logger.info("backtest cancelled while running", extra={"backtest": backtest_id})
                kill_backtest_processes(backtest_id)
                return

    watcher = threading.Thread(target=watch, name=f"cancel-watch-{backtest_id}", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def _failure(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, GenTradeError):
        return exc.code, exc.message
    if isinstance(exc, TimeLimitExceeded):
        return BacktestTimeoutError.code, f"the backtest task exceeded its hard time limit ({exc})"
    return BacktestFailedError.code, f"{type(exc).__name__}: {exc}"


class BacktestTask(Task):  # type: ignore[misc]
    def on_failure(
        self,
        exc: BaseException,
        task_id: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        einfo: ExceptionInfo,
    ) -> None:
        """The last word on a delivery that raised (retries exhausted, time limits): fail its row."""
        backtest_id = args[0] if args else kwargs["backtest_id"]
        code, message = _failure(exc)
        try:
            with sessions()() as session:
                repo.fail(session, backtest_id, code, message)
        except DatabaseOperationalError:
            logger.exception("could not record the failure", extra={"backtest": backtest_id})
        logger.warning("backtest failed in its task", extra={"backtest": backtest_id, "code": code})


@app.task(
    bind=True,
    base=BacktestTask,
    name=TASK_NAME,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.task_soft_time_limit_s,
    time_limit=settings.task_time_limit_s,
    max_retries=settings.task_max_retries,
)
def run_backtest(self: Task, backtest_id: int, request_id: str | None = None) -> None:
    token = request_id_var.set(request_id)
    try:
        take_over = bool(self.request.delivery_info.get("redelivered")) or self.request.retries > 0
        lease = timedelta(seconds=settings.task_time_limit_s)
        logger.info(
            "backtest delivered",
            extra={"backtest": backtest_id, "take_over": take_over, "attempt": self.request.retries + 1},
        )
        with killed_on_cancel(backtest_id):
            execute_backtest(
                sessions(),
                settings,
                backtest_id,
                claim=functools.partial(repo.claim_with_lease, take_over=take_over, lease=lease),
                passthrough=(*INFRASTRUCTURE_ERRORS, SoftTimeLimitExceeded),
            )
    except SoftTimeLimitExceeded:
        raise BacktestTimeoutError(
            f"the backtest task exceeded its soft time limit of {settings.task_soft_time_limit_s:g} s"
        ) from None
    except INFRASTRUCTURE_ERRORS as exc:
        if self.request.retries >= self.max_retries:
            raise
        countdown = min(
            settings.task_retry_backoff_max_s, settings.task_retry_backoff_s * 2**self.request.retries
        )
        logger.warning(
            "backtest hit an infrastructure error; retrying",
            extra={
                "backtest": backtest_id,
                "error": f"{type(exc).__name__}: {exc}",
                "countdown_s": countdown,
            },
        )
        raise self.retry(exc=exc, countdown=countdown) from None
    finally:
        request_id_var.reset(token)


@app.task(name="gentrade.backtests.requeue_stranded")
def requeue_stranded_backtests() -> list[int]:
    """Beat: publish again the backtests whose message was never sent or was lost (``tasks.stranded``)."""
    return requeue_stranded(app, sessions(), settings)

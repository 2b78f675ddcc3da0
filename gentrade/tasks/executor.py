"""``CeleryExecutor``: the API's ``BacktestExecutor`` backed by Celery workers.

The API process only publishes: it sends the task by name and never imports the task modules (nor
freqtrade). A broker that does not answer is a 503 (``BrokerUnavailableError``) at once rather than a
request that hangs, and the next request tries again, so work flows as soon as the broker is back.
"""

from __future__ import annotations

import logging
import uuid

from celery import Celery
from kombu.exceptions import ChannelError, OperationalError

from gentrade.errors import BrokerUnavailableError
from gentrade.settings import Settings
from gentrade.tasks.app import make_celery

logger = logging.getLogger("gentrade.tasks.executor")

BACKTEST_TASK = "gentrade.backtests.run"


def publish(app: Celery, backtest_id: int, request_id: str | None) -> None:
    """Publish once, without kombu's publish retries, so a dead broker fails the caller quickly."""
    app.send_task(
        BACKTEST_TASK,
        args=(backtest_id, request_id),
        task_id=f"backtest-{backtest_id}-{uuid.uuid4().hex[:8]}",
        retry=False,
    )


def waiting_messages(app: Celery, queue: str) -> int:
    """Messages in ``queue`` that no worker holds yet (a queue never used, or drained, has none)."""
    with app.connection_for_write() as connection:
        try:
            return int(connection.default_channel.queue_declare(queue=queue, passive=True).message_count)
        except ChannelError:
            return 0


class CeleryExecutor:
    def __init__(self, settings: Settings) -> None:
        self.app = make_celery(settings)

    def submit(self, backtest_id: int, *, request_id: str | None) -> None:
        try:
            publish(self.app, backtest_id, request_id)
        except (OperationalError, OSError) as exc:
            logger.warning("broker unavailable", extra={"backtest": backtest_id, "error": str(exc)})
            raise BrokerUnavailableError(
                "the task queue is unavailable; the backtest was not queued, try again shortly"
            ) from exc

    def cancel(self, backtest_id: int) -> None:
        """Nothing to send: the row already says cancelled, which the task's claim and its running
        watcher both read (see ``gentrade.tasks.backtests``)."""

    def shutdown(self) -> None:
        self.app.close()

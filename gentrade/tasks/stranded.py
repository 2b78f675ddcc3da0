"""Backtests left ``queued`` with no message to run them, published again.

The API stores the row, then publishes its message; a process that dies between the two (or a broker that
loses its data) leaves a row that nothing will ever run. The beat looks for such rows every few minutes.
A row counts as stranded only when it is older than a task's whole time budget *and* the queue is empty:
a row still waiting behind others has its message in the queue. Publishing one message too many is
harmless, because the claim lets exactly one delivery run a backtest.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery import Celery
from sqlalchemy.orm import Session, sessionmaker

from gentrade.db.base import utcnow
from gentrade.db.repositories import backtests as repo
from gentrade.settings import Settings
from gentrade.tasks.executor import publish, waiting_messages

logger = logging.getLogger("gentrade.tasks.stranded")


def requeue_stranded(
    app: Celery, sessions: sessionmaker[Session], settings: Settings, now: datetime | None = None
) -> list[int]:
    """Publish stranded backtests again; returns their ids (none while the queue holds messages)."""
    if waiting_messages(app, settings.task_queue):
        return []
    budget = timedelta(seconds=settings.task_time_limit_s + settings.task_time_margin_s)
    with sessions() as session:
        ids = repo.stranded(session, (now or utcnow()) - budget)
    for backtest_id in ids:
        publish(app, backtest_id, request_id=None)
    if ids:
        logger.warning("stranded backtests queued again", extra={"backtests": ids})
    return ids

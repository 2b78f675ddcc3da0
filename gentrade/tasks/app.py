"""The Celery app, configured from ``Settings`` (``celery -A gentrade.tasks.app worker``).

Delivery is at-least-once and the database decides what actually runs: tasks are acknowledged only after
they finish (``task_acks_late``), a worker process that dies hands its task back
(``task_reject_on_worker_lost``), each worker process holds one message at a time
(``worker_prefetch_multiplier=1``), and the broker redelivers an unacknowledged message only after a
visibility timeout longer than a task's hard time limit, so the first holder is certainly gone. Results are
not stored in Celery (the backtests table holds them).

Brokers: the embedded default is GenTrade's SQLAlchemy transport on a SQLite file (``gentrade.tasks.broker``,
no server); production uses Redis (``redis://host:6379/0``).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery import Celery, signals

from gentrade.settings import Settings, get_settings

EMBEDDED_TRANSPORT = "gentrade.tasks.broker:Transport"
_SQLA_PREFIXES = ("sqla+", "sqlalchemy+")
# Seconds between the Redis transport's sweeps for expired unacked messages (kombu's default sweeps only
# every 100 s), so redelivery follows the visibility timeout closely.
_REDIS_RESTORE_INTERVAL_S = 5
_PUBLISH_TIMEOUT_S = 5.0


def broker_options(settings: Settings) -> dict[str, Any]:
    """broker_url, broker_transport and broker_transport_options for ``settings``."""
    url = settings.resolved_task_broker_url
    options: dict[str, Any] = {"visibility_timeout": settings.task_visibility_timeout_s}
    if url.startswith(_SQLA_PREFIXES):
        return {
            "broker_url": url.split("+", 1)[1],
            "broker_transport": EMBEDDED_TRANSPORT,
            "broker_transport_options": options,
        }
    if url.startswith(("redis://", "rediss://")):
        options |= {
            "unacked_restore_interval": _REDIS_RESTORE_INTERVAL_S,
            "unacked_restore_throttle": 1,
            "socket_connect_timeout": _PUBLISH_TIMEOUT_S,
            "socket_timeout": _PUBLISH_TIMEOUT_S * 2,
        }
    return {"broker_url": url, "broker_transport": None, "broker_transport_options": options}


def make_celery(settings: Settings) -> Celery:
    app = Celery(
        "gentrade",
        include=[
            "gentrade.tasks.backtests",
            "gentrade.tasks.bots",
            "gentrade.tasks.signals",
            "gentrade.tasks.optimize",
            "gentrade.tasks.checks",
        ],
        set_as_current=False,
    )
    app.conf.update(
        **broker_options(settings),
        task_default_queue=settings.task_queue,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=_PUBLISH_TIMEOUT_S,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        timezone="UTC",
        gentrade_settings=settings,
    )
    from gentrade.tasks.schedule import beat_schedule

    app.conf.beat_schedule = beat_schedule(settings)
    return app


def settings_of(app: Celery) -> Settings:
    """The settings the app was made from (tasks read them here, never from the environment again)."""
    return app.conf.gentrade_settings  # type: ignore[no-any-return]


@signals.setup_logging.connect
def _json_logs(**_kwargs: Any) -> None:
    """Worker and beat log JSON lines with the request id, like the API (and Celery leaves logging alone)."""
    from gentrade.logs import configure_logging

    configure_logging()


@signals.worker_process_init.connect
def _warm_backtest_zygote(**_kwargs: Any) -> None:
    """A pool process starts its backtest zygote at once, so its first backtest is as quick as the rest.

    In a thread: the zygote's imports take seconds, more than Celery waits for a pool process to come up.
    """
    if settings_of(app).runner == "local":
        threading.Thread(target=_warm_up, name="zygote-warm-up", daemon=True).start()


def _warm_up() -> None:
    from gentrade.engine.local_runner import local_launcher
    from gentrade.errors import GenTradeError

    try:
        local_launcher().warm_up()
    except GenTradeError as exc:  # the first backtest tries again and fails with this reason
        logging.getLogger(__name__).warning("backtest zygote warm-up failed: %s", exc)


app = make_celery(get_settings())

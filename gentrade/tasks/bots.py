"""Bot tasks over ``BotManager``: start, stop, and the periodic health check that notices crashes.

A ``bots`` row is the bot's record for the API; its running process is found exactly as the API finds it
(``gentrade.tasks.bot_control``). The manager keeps its state in files, so whichever worker runs a task sees
the same bots. The health check is the only writer of ``crashed``: a bot's process can die at any moment,
and the row must say so without anyone asking.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from gentrade.db.keys import CredentialCipher
from gentrade.db.models import Bot, User
from gentrade.db.repositories import bots as repo
from gentrade.engine.bots.models import BotStatus
from gentrade.errors import LiveTradingRefusedError, NotFoundError
from gentrade.logs import request_id_var
from gentrade.tasks.app import app, settings_of
from gentrade.tasks.backtests import sessions
from gentrade.tasks.bot_control import Managers, owner_webhook, process_name

logger = logging.getLogger("gentrade.tasks.bots")


@functools.cache
def managers() -> Managers:
    return Managers(settings_of(app))


@contextmanager
def _bot_row(bot_id: int, request_id: str | None) -> Iterator[tuple[Session, Bot]]:
    """The row a bot task acts on, in a session of its own, with the queuing request's id on the logs."""
    token = request_id_var.set(request_id)
    try:
        with sessions()() as session:
            bot = session.get(Bot, bot_id)
            if bot is None:
                raise NotFoundError(f"bot {bot_id} not found")
            yield session, bot
    finally:
        request_id_var.reset(token)


@app.task(name="gentrade.bots.start", acks_late=False)
def start_bot(bot_id: int, request_id: str | None = None) -> str:
    """Start a dry-run bot for the row; at most once (a redelivered start must not start a second bot)."""
    with _bot_row(bot_id, request_id) as (session, bot):
        if bot.config.get("live", False):
            raise LiveTradingRefusedError("a live bot starts only through the API, which confirms it")
        version = repo.version_of(session, bot)
        cipher = CredentialCipher.from_settings(settings_of(app))
        webhook = owner_webhook(session.get(User, bot.owner_id), cipher)
        info = managers().launch(bot, version, keys=None, webhook_url=webhook)
        repo.set_status(bot, info.status.value)
        session.commit()
        logger.info("bot started", extra={"bot": bot_id, "status": info.status.value})
    return info.status.value


@app.task(name="gentrade.bots.stop")
def stop_bot(bot_id: int, request_id: str | None = None) -> str:
    """Stop the bot's process (idempotent) and record it stopped."""
    with _bot_row(bot_id, request_id) as (session, bot):
        if managers().info(bot) is None:
            logger.info("bot had no process to stop", extra={"bot": bot_id})
        else:
            managers().of(bot.owner_id).stop(process_name(bot))
        repo.set_status(bot, "stopped")
        session.commit()
    return "stopped"


@app.task(name="gentrade.bots.check_health")
def check_bot_health() -> list[int]:
    """Mark live rows whose process died (or vanished) ``crashed``, and started ones ``running`` (or
    ``degraded`` while the circuit breaker holds their entries)."""
    crashed: list[int] = []
    with sessions()() as session:
        for bot in repo.live(session):
            if managers().info(bot) is not None:
                # One circuit-breaker tick: pause entries while the exchange fails, resume when it answers.
                managers().of(bot.owner_id).check_exchange(process_name(bot))
            info = managers().info(bot)
            status = info.status if info is not None else BotStatus.CRASHED
            if status in (BotStatus.CRASHED, BotStatus.STOPPED):
                repo.set_status(bot, BotStatus.CRASHED.value)
                crashed.append(bot.id)
                if info is not None:
                    managers().of(bot.owner_id).notify_crash(process_name(bot))
            elif status in (BotStatus.RUNNING, BotStatus.DEGRADED) and bot.status != status.value:
                repo.set_status(bot, status.value)
        session.commit()
    if crashed:
        logger.warning("bots crashed", extra={"bots": crashed})
    return crashed

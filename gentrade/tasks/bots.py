"""Bot tasks over ``BotManager``: start, stop, and the periodic health check that notices crashes.

A ``bots`` row is the bot's record for the API; the running process is the manager's, named ``bot-<id>``
under ``user_dir/bots``. The manager keeps its state in files, so whichever worker runs a task sees the same
bots. The health check is the only writer of ``crashed``: a bot's process can die at any moment, and the
row must say so without anyone asking.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import select

from gentrade.db.base import utcnow
from gentrade.db.models import Bot, StrategyVersion
from gentrade.engine.bots import BotManager
from gentrade.engine.bots.models import BotStatus
from gentrade.errors import NotFoundError
from gentrade.logs import request_id_var
from gentrade.tasks.app import app, settings_of
from gentrade.tasks.backtests import sessions

logger = logging.getLogger("gentrade.tasks.bots")

settings = settings_of(app)
LIVE = ("starting", "running")


def manager() -> BotManager:
    return BotManager(settings.user_dir / "bots")


def bot_name(bot_id: int) -> str:
    return f"bot-{bot_id}"


def _strategy_file(bot: Bot, version: StrategyVersion) -> Path:
    folder = (settings.user_dir / "work" / f"user-{bot.owner_id}" / bot_name(bot.id)).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{version.spec['name']}.py"
    path.write_text(version.source)
    return path


@app.task(name="gentrade.bots.start", acks_late=False)
def start_bot(bot_id: int, request_id: str | None = None) -> str:
    """Start a dry-run bot for the row; at most once (a redelivered start must not start a second bot)."""
    token = request_id_var.set(request_id)
    try:
        with sessions()() as session:
            bot = session.get(Bot, bot_id)
            if bot is None:
                raise NotFoundError(f"bot {bot_id} not found")
            version = session.get(StrategyVersion, bot.strategy_version_id)
            assert version is not None  # the foreign key is ON DELETE RESTRICT
            info = manager().start(
                _strategy_file(bot, version), name=bot_name(bot_id), config=bot.config, port=bot.port
            )
            bot.status, bot.updated_at = info.status.value, utcnow()
            session.commit()
        logger.info("bot started", extra={"bot": bot_id, "status": info.status.value})
        return info.status.value
    finally:
        request_id_var.reset(token)


@app.task(name="gentrade.bots.stop")
def stop_bot(bot_id: int, request_id: str | None = None) -> str:
    """Stop the bot's process (idempotent) and record it stopped."""
    token = request_id_var.set(request_id)
    try:
        try:
            manager().stop(bot_name(bot_id))
        except NotFoundError:
            logger.info("bot had no process to stop", extra={"bot": bot_id})
        with sessions()() as session:
            bot = session.get(Bot, bot_id)
            if bot is not None:
                bot.status, bot.updated_at = "stopped", utcnow()
                session.commit()
        return "stopped"
    finally:
        request_id_var.reset(token)


@app.task(name="gentrade.bots.check_health")
def check_bot_health() -> list[int]:
    """Mark live rows whose process died (or vanished) ``crashed``, and started ones ``running``."""
    bots = manager()
    crashed: list[int] = []
    with sessions()() as session:
        for bot in session.scalars(select(Bot).where(Bot.status.in_(LIVE))):
            try:
                status = bots.status(bot_name(bot.id)).status
            except NotFoundError:
                status = BotStatus.CRASHED
            if status in (BotStatus.CRASHED, BotStatus.STOPPED):
                bot.status, bot.updated_at = BotStatus.CRASHED.value, utcnow()
                crashed.append(bot.id)
            elif status is BotStatus.RUNNING and bot.status != "running":
                bot.status, bot.updated_at = "running", utcnow()
        session.commit()
    if crashed:
        logger.warning("bots crashed", extra={"bots": crashed})
    return crashed

"""Bot rows: the API's record of each freqtrade bot; its running process is the manager's business.

A row's ``status`` is the last state someone saw in the process table (the API when asked, the health check
on its beat), so writing it back is the one update a bot row gets after it is created.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gentrade.db.base import utcnow
from gentrade.db.models import Bot, Strategy, StrategyVersion, User
from gentrade.db.repositories.scope import get_owned, scoped

LIVE = ("starting", "running", "degraded")
"""Statuses whose process should exist: the health check looks at these rows only."""


def create(
    session: Session, owner_id: int, name: str, version: StrategyVersion, config: dict[str, Any], status: str
) -> Bot:
    bot = Bot(owner_id=owner_id, name=name, strategy_version_id=version.id, config=config, status=status)
    session.add(bot)
    session.flush()
    return bot


def get(session: Session, bot_id: int, actor: User) -> Bot:
    return get_owned(session, Bot, bot_id, actor)


def listing(session: Session, actor: User, limit: int) -> list[Bot]:
    """The actor's bots (everyone's for an admin), newest first."""
    stmt = scoped(select(Bot), Bot, actor).order_by(Bot.created_at.desc(), Bot.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def own(session: Session, owner: User) -> list[Bot]:
    """The owner's own bots, admin or not: an emergency stop of "all" never reaches someone else's."""
    return list(session.scalars(select(Bot).where(Bot.owner_id == owner.id).order_by(Bot.id)))


def live(session: Session) -> list[Bot]:
    """Every user's bots whose process should be running."""
    return list(session.scalars(select(Bot).where(Bot.status.in_(LIVE))))


def version_of(session: Session, bot: Bot) -> StrategyVersion:
    """The version the bot runs; the foreign key is RESTRICT, so it cannot have disappeared."""
    version = session.get(StrategyVersion, bot.strategy_version_id)
    assert version is not None
    return version


def holders(session: Session, strategy: Strategy) -> list[Bot]:
    """The bots running any version of ``strategy`` (whoever's they are: the key is on the version)."""
    versions = select(StrategyVersion.id).where(StrategyVersion.strategy_id == strategy.id)
    return list(session.scalars(select(Bot).where(Bot.strategy_version_id.in_(versions)).order_by(Bot.id)))


def set_status(bot: Bot, status: str) -> None:
    """Record the status last seen, in the caller's transaction."""
    bot.status, bot.updated_at = status, utcnow()


def remove(session: Session, bot: Bot) -> None:
    session.delete(bot)

"""Forgetting bots: one way to stop a bot and remove its row and files, for ``DELETE /bots/{id}`` and for
deleting a strategy together with the bots that run it.

A bot's strategy version is a RESTRICT foreign key, so a strategy cannot be deleted while a bot holds it;
the strategy route asks ``repositories.bots.holders`` first and answers 409 with them, or removes them when
told to.
"""

from __future__ import annotations

import shutil
from contextlib import suppress

from sqlalchemy.orm import Session

from gentrade.db.models import Bot
from gentrade.db.repositories import bots as bots_repo
from gentrade.tasks.bot_control import Managers, process_name


def remove_bot(session: Session, managers: Managers, bot: Bot) -> None:
    """Stop the bot if its process runs, delete its state and source folders, then its row (uncommitted)."""
    manager, name = managers.of(bot.owner_id), process_name(bot)
    if managers.info(bot) is not None:
        manager.stop(name)
    for folder in (manager.registry.bot_dir(name), managers.source_dir(bot)):
        with suppress(FileNotFoundError):
            shutil.rmtree(folder)
    bots_repo.remove(session, bot)

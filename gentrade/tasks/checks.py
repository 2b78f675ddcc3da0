"""``gentrade.checks.sweep``: the beat's sweep giving every stored strategy version its look-ahead verdict."""

from __future__ import annotations

import logging

from gentrade.services.checks import check_unchecked_versions
from gentrade.tasks.app import app, settings_of
from gentrade.tasks.backtests import sessions

logger = logging.getLogger("gentrade.tasks.checks")


@app.task(name="gentrade.checks.sweep", acks_late=False)
def sweep() -> list[int]:
    """Versions without a verdict are checked one by one, each committed on its own; a check takes tens of
    seconds, so the task is acknowledged when it starts and the next tick picks up whatever is left."""
    settings = settings_of(app)
    done = check_unchecked_versions(sessions(), settings.resolved_data_dir, settings.user_dir / "checks")
    if done:
        logger.info("strategy versions checked", extra={"versions": done})
    return done

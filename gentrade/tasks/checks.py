"""``gentrade.checks.sweep``: the beat's sweep giving every stored strategy version its look-ahead verdict."""

from __future__ import annotations

import logging

from gentrade.services.checks import check_unchecked_versions
from gentrade.tasks.app import app, settings_of
from gentrade.tasks.backtests import sessions

logger = logging.getLogger("gentrade.tasks.checks")


@app.task(name="gentrade.checks.sweep", acks_late=False)
def sweep() -> list[int]:
    """One version without a verdict per tick (the oldest): a check takes tens of seconds, so a tick stays
    short and ticks rarely overlap (an overlap checks a version twice, to the same verdict); the task is
    acknowledged when it starts and the next tick picks up whatever is left."""
    settings = settings_of(app)
    done = check_unchecked_versions(
        sessions(), settings.resolved_data_dir, settings.user_dir / "checks", limit=1
    )
    if done:
        logger.info("strategy versions checked", extra={"versions": done})
    return done

"""``gentrade.signals.evaluate_expired``: the beat's five-minute sweep over expired trade signals."""

from __future__ import annotations

import logging

from gentrade.services.signals import evaluate_expired_signals
from gentrade.tasks.app import app, settings_of
from gentrade.tasks.backtests import sessions

logger = logging.getLogger("gentrade.tasks.signals")


@app.task(name="gentrade.signals.evaluate_expired")
def evaluate_expired() -> list[int]:
    """Each signal commits on its own inside the sweep, so a rerun after a crash only does what is left."""
    with sessions()() as session:
        done = evaluate_expired_signals(session, datadir=settings_of(app).resolved_data_dir)
    if done:
        logger.info("expired signals evaluated", extra={"signals": done})
    return done

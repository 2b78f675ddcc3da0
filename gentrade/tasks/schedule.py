"""The beat schedule (``gentrade beat``): periodic work that must happen without anyone asking.

* ``gentrade.bots.check_health`` every ``bot_health_interval_s``: crashed bots are marked in the table.
* ``gentrade.backtests.requeue_stranded`` every 5 minutes: a backtest row left queued with no message (the
  API died between storing it and publishing) is published again (``gentrade.tasks.stranded``).
* ``gentrade.signals.evaluate_expired`` every 5 minutes: trade signals whose expiry passed get their
  outcome (``gentrade.services.signals.evaluate_expired_signals``).
* ``gentrade.checks.sweep`` every minute: strategy versions without a look-ahead verdict get checked
  (``gentrade.services.checks.check_unchecked_versions``).

Run exactly one beat per deployment: each entry is a plain task, so two beats would queue each tick twice
(harmless — both tasks are idempotent — but wasteful).
"""

from __future__ import annotations

from typing import Any

from gentrade.settings import Settings

SIGNAL_EXPIRY_INTERVAL_S = 300.0
STRANDED_BACKTEST_INTERVAL_S = 300.0
VERSION_CHECK_INTERVAL_S = 60.0


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    return {
        "bot-health": {"task": "gentrade.bots.check_health", "schedule": settings.bot_health_interval_s},
        "backtest-requeue": {
            "task": "gentrade.backtests.requeue_stranded",
            "schedule": STRANDED_BACKTEST_INTERVAL_S,
        },
        "signal-expiry": {"task": "gentrade.signals.evaluate_expired", "schedule": SIGNAL_EXPIRY_INTERVAL_S},
        "version-check": {"task": "gentrade.checks.sweep", "schedule": VERSION_CHECK_INTERVAL_S},
    }

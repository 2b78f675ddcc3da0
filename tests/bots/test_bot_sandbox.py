"""A dry-run bot whose strategy attacks (the audit bypassed, test-only) is stopped by the runtime guard.

The bot runs freqtrade ``trade`` through ``gentrade.engine.guarded`` against the replay testnet; its strategy
writes a file outside the bot's directory from ``populate_indicators``. The guard ends the process, the
manager reports a crash whose log names the violation, the file never appears and no process is left.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from botkit import local_bot_config, wait_for

from gentrade.engine.bots import BotManager, BotStatus
from gentrade.exchange.server import TestnetHandle
from gentrade.safety.bypass import UNAUDITED_FOR_TESTS
from gentrade.safety.guard_policy import violation_from_report

pytestmark = pytest.mark.slow  # a real freqtrade process

HOSTILE = Path(__file__).resolve().parents[1] / "safety" / "hostile" / "NumpyTofile.py"
TARGET = Path("/tmp/gentrade-hostile-NumpyTofile")


def test_attacking_dry_run_bot_is_stopped_with_a_crash_report(
    manager: BotManager, testnet: TestnetHandle, tmp_path: Path
) -> None:
    TARGET.unlink(missing_ok=True)
    strategy = tmp_path / HOSTILE.name
    shutil.copy(HOSTILE, strategy)

    manager.start(
        strategy, name="hostile", config=local_bot_config(testnet.url), _audit_bypass=UNAUDITED_FOR_TESTS
    )
    crashed = wait_for(
        lambda: (info := manager.status("hostile")).status is BotStatus.CRASHED and info,
        120,
        "the guard to stop it",
    )

    violation = violation_from_report(crashed.last_log or "")
    assert violation is not None, crashed.last_log
    assert violation.details["event"] == "open"
    assert str(TARGET) in violation.details["detail"]
    assert violation.details["where"].startswith("NumpyTofile.py:")
    assert "sandbox: " in manager.logs("hostile", 10_000)
    assert not TARGET.exists()


def test_the_audit_still_refuses_the_same_strategy_without_the_bypass(
    manager: BotManager, tmp_path: Path
) -> None:
    from gentrade.errors import AuditFailedError

    strategy = tmp_path / HOSTILE.name
    shutil.copy(HOSTILE, strategy)
    with pytest.raises(AuditFailedError):
        manager.start(strategy, name="hostile")
    assert manager.list() == []

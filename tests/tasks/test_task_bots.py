"""Bot tasks in real Celery processes: the beat's health check follows bots the API started (running,
then crashed when the process dies), and the stop and start tasks act on the same processes the API sees.

A dry-run freqtrade bot trades on the local replay testnet; worker and beat are real ``celery`` children.
"""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from taskkit import SHARED_REDIS, Stack, api_client, login, stack

from gentrade.db.models import Bot
from gentrade.db.testing import fresh_database
from gentrade.engine.bots.processes import session_members
from gentrade.exchange.server import start_testnet
from gentrade.tasks.app import make_celery
from gentrade.tasks.bot_control import Managers, process_name

QUICK = {
    "name": "TaskQuickBot",
    "description": "Enters at once (close > 0) so a dry-run bot has something to do in its first loop.",
    "timeframe": "1m",
    "pairs": ["BTC/USDT"],
    "entry_long": {"left": "close", "op": ">", "right": 0},
    "stop": {"initial": {"percent": 10}},
    "take_profit": [
        {"target": {"percent": 1}, "fraction": 0.5},
        {"target": {"percent": 50}, "fraction": 0.5},
    ],
}


def _row_status(s: Stack, bot_id: int) -> str | None:
    with s.sessions() as session:
        bot = session.get(Bot, bot_id)
        return bot.status if bot is not None else None


def _wait_row(s: Stack, bot_id: int, want: str, timeout_s: float = 120) -> None:
    """Polls the table itself, never the API (whose reads would also update the row)."""
    deadline = time.monotonic() + timeout_s
    while (status := _row_status(s, bot_id)) != want:
        assert time.monotonic() < deadline, f"bot {bot_id} row is {status}, never {want}"
        time.sleep(0.5)


@pytest.mark.slow
def test_health_check_start_and_stop_tasks_follow_the_apis_bots(
    tmp_path: Path, synthetic_data_dir: Path
) -> None:
    replay_start = datetime(2024, 1, 10, tzinfo=UTC)
    with (
        start_testnet(synthetic_data_dir, replay_start=replay_start, speed=5) as testnet,
        fresh_database("sqlite", tmp_path) as db,
        stack(
            tmp_path, db, SHARED_REDIS, synthetic_data_dir,
            bot_exchange_url=testnet.url, bot_health_interval_s=1.0,
        ) as s,
        api_client(s) as client,
    ):  # fmt: skip
        s.start_worker("bots")
        s.start_beat()
        managers = Managers(s.settings)
        try:
            headers = login(client)
            strategy = client.post("/api/v1/strategies", json={"spec": QUICK}, headers=headers)
            assert strategy.status_code == 201, strategy.text
            body = {"strategy_id": strategy.json()["id"]}
            created = client.post("/api/v1/bots", json=body, headers=headers)
            assert created.status_code == 201, created.text
            bot_id = created.json()["id"]

            # The beat's check finds the bot where the API started it, and records it running.
            _wait_row(s, bot_id, "running")
            with s.sessions() as session:
                bot = session.get(Bot, bot_id)
                assert bot is not None
                process = managers.of(bot.owner_id).registry.load(process_name(bot))

            os.kill(process.pid, signal.SIGKILL)
            _wait_row(s, bot_id, "crashed", timeout_s=30)
            assert client.get(f"/api/v1/bots/{bot_id}", headers=headers).json()["status"] == "crashed"

            # The start and stop tasks, in the worker, act on the same process the API reports.
            tasks = make_celery(s.settings)
            assert tasks.send_task("gentrade.bots.start", args=[bot_id]).id
            _wait_row(s, bot_id, "running")
            restarted = managers.of(bot.owner_id).registry.load(process_name(bot))
            assert restarted.pid != process.pid
            assert client.get(f"/api/v1/bots/{bot_id}", headers=headers).json()["status"] == "running"
            tasks.send_task("gentrade.bots.stop", args=[bot_id])
            _wait_row(s, bot_id, "stopped", timeout_s=60)
            assert session_members(restarted.pid, restarted.create_time) == []
            assert client.get(f"/api/v1/bots/{bot_id}", headers=headers).json()["status"] == "stopped"
        finally:
            for owner in list(managers._managers):
                managers.of(owner).stop_all(grace_s=10)

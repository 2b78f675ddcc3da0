"""Emergency stop through the CLI on a real dry-run bot holding two positions on the replay testnet."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from botkit import PAIR, hold_prices, local_bot_config, wait_for
from freqtrade_client import FtRestClient
from typer.testing import CliRunner

from gentrade.cli.main import app
from gentrade.engine.bots import BotManager, BotStatus
from gentrade.engine.bots.processes import session_members
from gentrade.exchange.server import TestnetHandle

PAIRS = (PAIR, "ETH/USDT")
runner = CliRunner()


def filled_positions(client: FtRestClient) -> list[dict] | None:
    trades = client.status() or []
    filled = [
        t for t in trades if any(o["ft_order_side"] == "buy" and o["status"] == "closed" for o in t["orders"])
    ]
    return filled if len(filled) == len(PAIRS) else None


def trades_in_db(db_file: Path) -> list[tuple[int, str, int, str | None]]:
    with sqlite3.connect(db_file) as conn:
        return conn.execute("SELECT id, pair, is_open, exit_reason FROM trades ORDER BY id").fetchall()


@pytest.mark.slow
def test_emergency_stop_closes_both_positions_then_stops_the_bot(
    tmp_path: Path, testnet: TestnetHandle, two_pair_strategy: Path
) -> None:
    state = tmp_path / "bots"
    manager = BotManager(state)
    common = ["--state-dir", str(state)]
    try:
        hold_prices(testnet.url, PAIRS)
        manager.start(two_pair_strategy, name="panic", config=local_bot_config(testnet.url, PAIRS))
        running = manager.wait_running("panic", timeout_s=90)
        creds = manager.credentials("panic")
        client = FtRestClient(running.api_url, creds.username, creds.password)
        positions = wait_for(lambda: filled_positions(client), 120, "both entries to fill")
        record = manager.registry.load("panic")

        result = runner.invoke(app, ["bot", "emergency-stop", "panic", *common])
        assert result.exit_code == 0, result.output
        for trade in positions:
            assert f"#{trade['trade_id']} {trade['pair']}" in result.output
        assert "NOT closed" not in result.output and "stopped" in result.output

        assert manager.status("panic").status is BotStatus.STOPPED
        assert session_members(record.pid, record.create_time) == []
        assert record.db_file is not None
        stored = trades_in_db(record.db_file)
        assert sorted(pair for _id, pair, _open, _reason in stored) == sorted(PAIRS)
        assert all(is_open == 0 and reason == "force_exit" for _id, _pair, is_open, reason in stored)

        again = runner.invoke(app, ["bot", "emergency-stop", "--all", *common])
        assert again.exit_code == 0 and "no running bots" in again.output
    finally:
        manager.stop_all(grace_s=5)


def test_emergency_stop_needs_one_name_or_all(tmp_path: Path) -> None:
    for args in ([], ["x", "--all"]):
        result = runner.invoke(app, ["bot", "emergency-stop", *args, "--state-dir", str(tmp_path)])
        assert result.exit_code == 1 and "error[invalid_request]" in result.output, result.output
    missing = runner.invoke(app, ["bot", "emergency-stop", "ghost", "--state-dir", str(tmp_path)])
    assert missing.exit_code == 1 and "error[not_found]" in missing.output

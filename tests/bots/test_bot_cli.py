"""``gentrade bot …`` and ``gentrade webserver`` through Typer's runner, on real freqtrade processes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botkit import local_bot_config
from typer.testing import CliRunner

from gentrade.cli.main import app
from gentrade.engine.bots import BotManager, BotStatus
from gentrade.exchange.server import TestnetHandle
from gentrade.freqtrade_config import ConfigRequest, Target, build_config

runner = CliRunner()


@pytest.mark.slow
def test_bot_commands_start_report_and_stop_a_bot(
    tmp_path: Path, testnet: TestnetHandle, ladder_strategy: Path
) -> None:
    state = tmp_path / "bots"
    config = tmp_path / "config.json"
    config.write_text(json.dumps(local_bot_config(testnet.url)))
    common = ["--state-dir", str(state)]
    try:
        started = runner.invoke(
            app,
            [
                "bot",
                "start",
                "--strategy",
                str(ladder_strategy),
                "--config",
                str(config),
                "--name",
                "cli",
                *common,
            ],
        )
        assert started.exit_code == 0, started.output
        assert "running" in started.output and "http://127.0.0.1:" in started.output
        password = BotManager(state).credentials("cli").password
        assert password not in started.output

        status = runner.invoke(app, ["bot", "status", "cli", *common])
        assert status.exit_code == 0 and "running" in status.output and "QuickLadder" in status.output
        shown = runner.invoke(app, ["bot", "status", "cli", "--show-password", *common])
        assert password in shown.output
        listed = runner.invoke(app, ["bot", "list", *common])
        assert "cli" in listed.output and "dry-run" in listed.output
        logs = runner.invoke(app, ["bot", "logs", "cli", "-n", "5", *common])
        assert logs.exit_code == 0 and len(logs.output.strip().splitlines()) <= 5

        stopped = runner.invoke(app, ["bot", "stop", "cli", *common])
        assert stopped.exit_code == 0 and "stopped" in stopped.output
    finally:
        BotManager(state).stop_all(grace_s=5)
    assert BotManager(state).status("cli").status is BotStatus.STOPPED


def test_live_without_confirmation_is_refused(tmp_path: Path, ladder_strategy: Path) -> None:
    real, _ = build_config(ConfigRequest(target=Target.BINANCE, pairs=("BTC/USDT",)))
    config = tmp_path / "real.json"
    config.write_text(json.dumps(real))
    result = runner.invoke(
        app,
        ["bot", "start", "--strategy", str(ladder_strategy), "--config", str(config), "--live"]
        + ["--state-dir", str(tmp_path / "bots")],
    )
    assert result.exit_code == 1 and "refusing to start a live bot" in result.output


def test_unknown_bot_is_a_clean_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["bot", "status", "ghost", "--state-dir", str(tmp_path)])
    assert result.exit_code == 1 and "error[not_found]" in result.output

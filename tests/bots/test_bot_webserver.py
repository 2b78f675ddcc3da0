"""FreqUI for backtests: a GenTrade backtest appears in ``freqtrade webserver``'s history endpoints."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import httpx
import psutil
import pytest
from typer.testing import CliRunner

from gentrade.cli.main import app
from gentrade.engine import run_backtest
from gentrade.engine.bots import BotKind, BotManager, BotStatus
from gentrade.engine.webserver import collect_results
from gentrade.examples import load_example
from gentrade.services.strategy_saving import build_strategy

pytestmark = pytest.mark.slow  # real freqtrade processes


@pytest.fixture(scope="module")
def user_dir(tmp_path_factory: pytest.TempPathFactory, synthetic_data_dir: Path) -> Path:
    """A user dir holding one finished GenTrade backtest, laid out as the runner writes it."""
    root = tmp_path_factory.mktemp("user")
    built = build_strategy(load_example("trend_following"), root / "strategies")
    run_backtest(built.path, synthetic_data_dir, "20240105-20240125", results_dir=root / "backtests")
    return root


def test_collect_links_zip_and_metadata_once(user_dir: Path, tmp_path: Path) -> None:
    own = shutil.copytree(user_dir, tmp_path / "user")
    target = tmp_path / "backtest_results"
    first = collect_results(own, target)
    assert len(first) == 1 and first[0].is_symlink()
    assert (target / f"{first[0].stem}.meta.json").is_symlink()
    assert collect_results(own, target) == first
    first[0].resolve().unlink()
    assert collect_results(own, target) == [] and not first[0].is_symlink()


def test_webserver_lists_and_serves_the_backtest(manager: BotManager, user_dir: Path) -> None:
    info = manager.start_webserver(user_dir, name="frequi")
    assert info.kind is BotKind.WEBSERVER
    running = manager.wait_running("frequi", timeout_s=90)
    creds = manager.credentials("frequi")
    api = f"{running.api_url}/api/v1"

    login = httpx.post(f"{api}/token/login", auth=(creds.username, creds.password), timeout=10)
    login.raise_for_status()
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    history = httpx.get(f"{api}/backtest/history", headers=headers, timeout=10).json()
    assert [h["strategy"] for h in history] == ["TrendFollower"]
    result = httpx.get(
        f"{api}/backtest/history/result",
        params={"filename": history[0]["filename"], "strategy": "TrendFollower"},
        headers=headers,
        timeout=30,
    ).json()
    stats = result["backtest_result"]["strategy"]["TrendFollower"]
    assert stats["total_trades"] == len(stats["trades"]) > 0
    assert httpx.get(f"{api}/show_config", headers=headers, timeout=10).json()["runmode"] == "webserver"
    assert httpx.get(f"{api}/backtest/history", timeout=10).status_code == 401

    assert manager.stop("frequi").status is BotStatus.STOPPED


def test_webserver_command_starts_once_then_refreshes(user_dir: Path, tmp_path: Path) -> None:
    args = ["webserver", "--user-dir", str(user_dir), "--state-dir", str(tmp_path / "bots")]
    try:
        first = CliRunner().invoke(app, args)
        assert first.exit_code == 0, first.output
        assert "running" in first.output and "1 backtest result(s)" in first.output
        again = CliRunner().invoke(app, args)
        assert again.exit_code == 0 and "1 backtest result(s)" in again.output
        assert len(BotManager(tmp_path / "bots").list()) == 1
    finally:
        BotManager(tmp_path / "bots").stop_all(grace_s=5)


def test_freqtrade_processes_inherit_no_server_secrets(
    manager: BotManager, user_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bots run strategy code: the server's keys and host ``FREQTRADE__*`` overrides never reach them."""
    monkeypatch.setenv("GENTRADE_CREDENTIALS_KEY", "server-encryption-key-never-for-bots")
    monkeypatch.setenv("FREQTRADE__DRY_RUN", "false")
    info = manager.start_webserver(user_dir, name="sealed")
    assert info.pid is not None
    environ = psutil.Process(info.pid).environ()
    assert "GENTRADE_CREDENTIALS_KEY" not in environ and "FREQTRADE__DRY_RUN" not in environ
    assert environ["PYTHONUNBUFFERED"] == "1" and environ["PATH"] == os.environ["PATH"]


def test_freqtrade_processes_run_with_an_address_space_cap(user_dir: Path, tmp_path: Path) -> None:
    """Strategy code in a long-running process is bounded in memory like a backtest; the cap reaches the
    process itself (read back from the kernel), and a process over it fails instead of taking the host."""
    capped = BotManager(tmp_path / "capped", memory_mb=3000)
    try:
        info = capped.start_webserver(user_dir, name="capped")
        assert info.pid is not None
        limit = 3000 * 1024 * 1024
        assert psutil.Process(info.pid).rlimit(psutil.RLIMIT_AS) == (limit, limit)
        assert capped.wait_running("capped", timeout_s=90).status is BotStatus.RUNNING
    finally:
        capped.stop_all(grace_s=10)
    starved = BotManager(tmp_path / "starved", memory_mb=64)
    try:
        starved.start_webserver(user_dir, name="starved")
        deadline = time.monotonic() + 60
        while starved.status("starved").status is not BotStatus.CRASHED:
            assert time.monotonic() < deadline, starved.logs("starved", lines=50)
            time.sleep(0.5)
    finally:
        starved.stop_all(grace_s=10)

"""Supervision without trading: registry, restarts, crashes, hard kills, isolation between bots, refusals.

Most cases run a stub in place of freqtrade (a Python script that may ignore SIGTERM or exit at once):
the supervisor is under test there, not freqtrade.  Restart and crash detection use a real dry-run bot.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from botkit import local_bot_config, wait_for

from gentrade.engine.bots import BotManager, BotStatus
from gentrade.engine.bots.docker import CONTAINER_API_PORT, DockerBotRunner, container_config
from gentrade.engine.bots.processes import session_members
from gentrade.errors import (
    AuditFailedError,
    BotStartFailedError,
    ConfigError,
    ConflictError,
    DockerUnavailableError,
    NotFoundError,
)
from gentrade.exchange.server import TestnetHandle
from gentrade.freqtrade_config import ConfigRequest, Target, build_config, default_local_config
from gentrade.freqtrade_config.bot import guard_live

STUBBORN = """
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a hung dry-run: SIGTERM does nothing
code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)"
subprocess.Popen([sys.executable, "-c", code])  # and it has a child of its own
print("stub freqtrade", " ".join(sys.argv[1:2]), flush=True)
time.sleep(300)
"""
FAILING = """
import sys
print("stub freqtrade: cannot load the strategy", flush=True)
sys.exit(3)
"""

ENV_ECHO = """
import os, sys
env = os.environ.get
print("key", env("FREQTRADE__EXCHANGE__KEY"), "secret", env("FREQTRADE__EXCHANGE__SECRET"))
sys.exit(3)
"""


def _stub(tmp_path: Path, source: str) -> BotManager:
    script = tmp_path / "fake_freqtrade.py"
    script.write_text(textwrap.dedent(source))
    # The stand-ins start a child of their own, which the runtime guard of a real bot refuses.
    return BotManager(
        tmp_path / "bots",
        freqtrade_command=[sys.executable, str(script)],
        sandbox=False,
        default_config=default_local_config,
    )


@pytest.fixture
def stubborn(tmp_path: Path) -> Iterator[BotManager]:
    bots = _stub(tmp_path, STUBBORN)
    yield bots
    bots.stop_all(grace_s=1)
    for record in bots.registry.records():
        assert session_members(record.pid, record.create_time) == []


def test_sigterm_ignored_is_killed_after_the_grace_period(
    stubborn: BotManager, ladder_strategy: Path
) -> None:
    record_pid = stubborn.start(ladder_strategy, name="stubborn").pid
    record = stubborn.registry.load("stubborn")
    assert record.pid == record_pid
    wait_for(lambda: len(session_members(record.pid, record.create_time)) == 2, 20, "the stub and its child")
    assert stubborn.status("stubborn").status is BotStatus.STARTING  # alive, but no api_server answers

    began = time.monotonic()
    info = stubborn.stop("stubborn", grace_s=1.5)
    elapsed = time.monotonic() - began
    assert info.status is BotStatus.STOPPED and elapsed >= 1.5  # the grace was given before the kill
    assert session_members(record.pid, record.create_time) == []
    assert "stub freqtrade trade" in stubborn.logs("stubborn")
    assert stubborn.stop("stubborn").status is BotStatus.STOPPED  # idempotent


def test_two_bots_never_share_port_database_or_credentials(
    stubborn: BotManager, ladder_strategy: Path
) -> None:
    one = stubborn.start(ladder_strategy, name="one")
    two = stubborn.start(ladder_strategy, name="two")
    assert one.api_url != two.api_url and one.db_path != two.db_path
    configs = [json.loads(stubborn.registry.load(n).config_file.read_text()) for n in ("one", "two")]
    assert configs[0]["api_server"]["listen_port"] != configs[1]["api_server"]["listen_port"]
    assert configs[0]["db_url"] != configs[1]["db_url"]
    for name, config in zip(("one", "two"), configs, strict=True):
        server = config["api_server"]
        assert server["listen_ip_address"] == "127.0.0.1" and server["CORS_origins"]
        assert len(server["jwt_secret_key"]) >= 32 and config["initial_state"] == "running"
        assert config["db_url"].endswith(f"/{name}/tradesv3.sqlite") and config["dry_run"] is True
        bot_dir = stubborn.registry.bot_dir(name)
        for secret_file in ("credentials.json", "config.json", "bot.json"):
            assert stat.S_IMODE((bot_dir / secret_file).stat().st_mode) == 0o600
        assert server["password"] == stubborn.credentials(name).password
        assert server["password"] not in (bot_dir / "bot.json").read_text()
    assert stubborn.credentials("one").password != stubborn.credentials("two").password

    with pytest.raises(ConflictError):
        stubborn.start(ladder_strategy, name="one")
    taken = int(one.api_url.rsplit(":", 1)[1])
    with pytest.raises(ConflictError):
        stubborn.start(ladder_strategy, name="three", port=taken)
    assert {b.name for b in stubborn.list()} == {"one", "two"}


def test_a_live_bot_gets_the_keys_its_manager_is_handed_and_a_per_bot_key_wins_a_dry_run_bot_none(
    tmp_path: Path, ladder_strategy: Path
) -> None:
    """Keys reach only live bots (here on the loopback testnet). A dry-run bot needs none, so it holds none:
    a strategy that flips its config's dry_run mid-run has no key to place a real order with."""
    script = tmp_path / "fake_freqtrade.py"
    script.write_text(textwrap.dedent(ENV_ECHO))
    handed = {"FREQTRADE__EXCHANGE__KEY": "handed-key", "FREQTRADE__EXCHANGE__SECRET": "handed-secret"}
    bots = BotManager(
        tmp_path / "bots", freqtrade_command=[sys.executable, str(script)], sandbox=False, exchange_env=handed
    )
    local = default_local_config
    bots.start(ladder_strategy, name="handed", config=local(), dry_run=False)
    bots.start(ladder_strategy, name="own", config=local(), dry_run=False, exchange_key="own-key")
    bots.start(ladder_strategy, name="dry", config=local())
    with pytest.raises(ConfigError, match="a dry-run bot places no orders and is handed no keys"):
        bots.start(ladder_strategy, name="dry-keyed", config=local(), exchange_key="k")
    logs = {}
    for name in ("handed", "own", "dry"):
        with pytest.raises(BotStartFailedError) as failed:
            bots.wait_running(name, timeout_s=30)
        logs[name] = failed.value.details["log_tail"]
    assert "key handed-key secret handed-secret" in logs["handed"]
    assert "key own-key secret handed-secret" in logs["own"]
    assert "key None secret None" in logs["dry"]
    assert {b.name for b in bots.list()} == {"handed", "own", "dry"}


def test_a_manager_handed_no_default_config_needs_one_per_bot(tmp_path: Path, ladder_strategy: Path) -> None:
    bots = BotManager(tmp_path / "bots")
    with pytest.raises(ConfigError, match="config: this manager has no default freqtrade config"):
        bots.start(ladder_strategy, name="nothing")
    assert bots.list() == []


def test_a_bot_that_exits_while_starting_fails_with_its_log(tmp_path: Path, ladder_strategy: Path) -> None:
    bots = _stub(tmp_path, FAILING)
    bots.start(ladder_strategy, name="broken")
    with pytest.raises(BotStartFailedError) as failed:
        bots.wait_running("broken", timeout_s=30)
    assert "cannot load the strategy" in failed.value.details["log_tail"]
    info = bots.status("broken")
    assert info.status is BotStatus.CRASHED and "cannot load the strategy" in (info.last_log or "")
    with pytest.raises(NotFoundError):
        bots.status("nobody")


@pytest.mark.slow
def test_registry_survives_a_manager_restart_and_a_kill_is_a_crash(
    manager: BotManager, testnet: TestnetHandle, ladder_strategy: Path
) -> None:
    started = manager.start(ladder_strategy, name="survivor", config=local_bot_config(testnet.url))
    manager.wait_running("survivor", timeout_s=90)

    reborn = BotManager(manager.registry.root)
    seen = reborn.status("survivor")
    assert seen.status is BotStatus.RUNNING and seen.pid == started.pid
    assert [b.name for b in reborn.list()] == ["survivor"]
    with pytest.raises(ConflictError):
        reborn.start(ladder_strategy, name="survivor", config=local_bot_config(testnet.url))

    assert started.pid is not None
    os.kill(started.pid, signal.SIGKILL)
    crashed = wait_for(
        lambda: (info := reborn.status("survivor")).status is BotStatus.CRASHED and info, 20, "the crash"
    )
    assert crashed.pid is None and "freqtrade" in (crashed.last_log or "")
    assert reborn.stop("survivor").status is BotStatus.STOPPED
    assert manager.status("survivor").status is BotStatus.STOPPED


def test_live_trading_is_refused_without_the_deliberate_flags(
    manager: BotManager, ladder_strategy: Path
) -> None:
    real, _ = build_config(ConfigRequest(target=Target.BINANCE, pairs=("BTC/USDT",)))
    with pytest.raises(ConfigError, match="real exchange"):
        manager.start(ladder_strategy, name="real", config=real, dry_run=False)
    with pytest.raises(ConfigError):
        manager.start(ladder_strategy, name="real", config=real, confirm_real_money=True)
    assert manager.list() == [] and not manager.registry.bot_dir("real").exists()
    guard_live(real, dry_run=False, confirm_real_money=True)  # both flags: allowed
    guard_live(local_bot_config("http://127.0.0.1:9"), dry_run=False, confirm_real_money=False)  # testnet
    with pytest.raises(ConfigError):
        guard_live(local_bot_config("http://10.0.0.1:9"), dry_run=False, confirm_real_money=False)


def test_a_strategy_that_fails_the_audit_never_starts(manager: BotManager, tmp_path: Path) -> None:
    hostile = tmp_path / "Hostile.py"
    hostile.write_text(
        "import subprocess\nfrom freqtrade.strategy import IStrategy\n\n\n"
        "class Hostile(IStrategy):\n    timeframe = '5m'\n    subprocess.run(['true'])\n"
    )
    with pytest.raises(AuditFailedError):
        manager.start(hostile, name="hostile")
    assert manager.list() == []


def test_docker_container_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = DockerBotRunner(image="gentrade:test")
    spec = runner.spec(
        name="ladder", bot_dir=tmp_path, strategy="QuickLadder", host_port=18123, memory_mb=1024
    )
    mounts = {m.target: m for m in spec.mounts}
    assert mounts["/gentrade/strategies"].read_only and mounts["/gentrade/config.json"].read_only
    assert not mounts["/gentrade/user_data"].read_only
    assert mounts["/gentrade/strategies"].source == tmp_path.resolve() / "strategies"
    assert [(p.host_ip, p.host_port, p.container_port) for p in spec.ports] == [
        ("127.0.0.1", 18123, CONTAINER_API_PORT)
    ]
    assert not spec.privileged and spec.cap_drop == ["ALL"] and spec.read_only_root
    argv = spec.run_argv()
    assert argv[:2] == ["docker", "run"] and "--privileged" not in argv
    assert "--memory=1024m" in argv and "--cap-drop=ALL" in argv and "--read-only" in argv
    assert "127.0.0.1:18123:8080" in argv
    assert argv[argv.index("gentrade:test") + 1 :][:2] == ["trade", "--config"]
    assert "FREQTRADE__EXCHANGE__SECRET" not in argv  # a dry-run bot holds no keys
    live = runner.spec(name="ladder", bot_dir=tmp_path, strategy="QuickLadder", host_port=18123, live=True)
    assert "FREQTRADE__EXCHANGE__SECRET" in live.run_argv()  # passed through by name, never by value
    assert f"type=bind,source={tmp_path.resolve()}/strategies,target=/gentrade/strategies,readonly" in argv

    inside = container_config(local_bot_config("http://127.0.0.1:9") | {"api_server": {"listen_port": 5}})
    assert inside["api_server"]["listen_port"] == CONTAINER_API_PORT
    assert inside["db_url"] == "sqlite:////gentrade/user_data/tradesv3.sqlite"

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    with pytest.raises(DockerUnavailableError):
        runner.run(spec)
    with pytest.raises(DockerUnavailableError):
        runner.stop("gentrade-bot-ladder")

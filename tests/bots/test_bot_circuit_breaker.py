"""Circuit breaker on a real dry-run bot: the testnet's outage switch trips it, its return clears it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from botkit import local_bot_config
from freqtrade_client import FtRestClient

from gentrade.engine.bots import BotManager, BotStatus
from gentrade.engine.bots.breaker import BreakerPolicy, BreakerState, step
from gentrade.exchange.server import TestnetHandle


def outage(url: str, down: bool) -> None:
    httpx.post(f"{url}/gentrade/v1/outage", json={"down": down}, timeout=10).raise_for_status()


@pytest.mark.slow  # a real freqtrade process
def test_breaker_pauses_entries_while_the_exchange_fails_and_resumes_after(
    manager: BotManager, testnet: TestnetHandle, ladder_strategy: Path
) -> None:
    policy = BreakerPolicy(max_failures=3, outage_s=3600)
    manager.start(ladder_strategy, name="breaker", config=local_bot_config(testnet.url))
    running = manager.wait_running("breaker", timeout_s=90)
    creds = manager.credentials("breaker")
    client = FtRestClient(running.api_url, creds.username, creds.password)
    assert not manager.check_exchange("breaker", policy).degraded

    outage(testnet.url, down=True)
    try:
        assert httpx.get(f"{testnet.url}/api/v3/ping", timeout=10).status_code == 503
        first, second = (manager.check_exchange("breaker", policy) for _ in range(2))
        assert (first.failures, second.failures) == (1, 2) and not second.degraded
        tripped = manager.check_exchange("breaker", policy)
        assert tripped.degraded and "503" in (tripped.degraded_reason or "")
        info = manager.status("breaker")
        assert info.status is BotStatus.DEGRADED and info.degraded == tripped.degraded_reason
        assert client.show_config()["state"] == "paused"  # entries off, open trades still managed
    finally:
        outage(testnet.url, down=False)

    cleared = manager.check_exchange("breaker", policy)
    assert not cleared.degraded and cleared.failures == 0
    assert manager.status("breaker").status is BotStatus.RUNNING
    assert client.show_config()["state"] == "running"


def test_outage_switch_rejects_anything_but_a_boolean(testnet: TestnetHandle) -> None:
    reply = httpx.post(f"{testnet.url}/gentrade/v1/outage", json={"down": "yes"}, timeout=10)
    assert reply.status_code == 400 and reply.json()["code"] == -1130
    assert httpx.get(f"{testnet.url}/api/v3/ping", timeout=10).status_code == 200


def test_failing_for_the_outage_time_trips_before_the_failure_count() -> None:
    policy = BreakerPolicy(max_failures=100, outage_s=30)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    state, action = step(BreakerState(), "exchange unreachable (ConnectError)", policy, now=start)
    assert action is None and state.failing_since == start
    state, action = step(
        state, "exchange unreachable (ConnectError)", policy, now=start + timedelta(seconds=29)
    )
    assert action is None and not state.degraded
    state, action = step(
        state, "exchange unreachable (ConnectError)", policy, now=start + timedelta(seconds=31)
    )
    assert action == "pause" and state.degraded and "over 31 s" in (state.degraded_reason or "")
    state, action = step(state, "exchange answered 503", policy, now=start + timedelta(seconds=40))
    assert action is None and state.degraded  # already paused: nothing more to do
    state, action = step(state, None, policy)
    assert action == "resume" and state == BreakerState()

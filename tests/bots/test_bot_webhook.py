"""Notifications on a real dry-run bot, received by a real local HTTP server.

The webhook URL carries a secret in its path and query, as Slack/Discord URLs do: it must reach the
receiver and never the bot's log or config file, also when delivery fails and freqtrade logs the failure.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from botkit import hold_price, local_bot_config, set_price, wait_for

from gentrade.engine.bots import BotManager, BotStatus
from gentrade.exchange.server import TestnetHandle
from gentrade.freqtrade_config import default_local_config

SECRET = "s3cr3t-T0KEN-4c1d"


class Receiver:
    """A local webhook endpoint that keeps every JSON body POSTed to it."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.paths: list[str] = []
        received = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.events.append(json.loads(body))
                received.paths.append(self.path)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook/{SECRET}?key={SECRET}"

    def of(self, event: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("event") == event]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    yield hook
    hook.close()


@pytest.mark.slow  # a real freqtrade process
def test_entries_exits_with_tags_and_emergency_stop_reach_the_webhook(
    manager: BotManager, testnet: TestnetHandle, ladder_strategy: Path, receiver: Receiver
) -> None:
    hold_price(testnet.url)
    manager.start(
        ladder_strategy, name="hooked", config=local_bot_config(testnet.url), webhook_url=receiver.url
    )
    manager.wait_running("hooked", timeout_s=90)
    entry = wait_for(lambda: receiver.of("entry"), 120, "the entry notification")[0]
    assert entry["bot"] == "hooked" and entry["pair"] == "BTC/USDT" and entry["direction"] == "Long"
    assert receiver.paths[0] == f"/hook/{SECRET}?key={SECRET}"

    set_price(testnet.url, float(entry["rate"]) * 1.05)
    tp1 = wait_for(lambda: [e for e in receiver.of("exit") if e["tag"] == "tp1"], 120, "the tp1 exit")[0]
    assert tp1["trade_id"] == entry["trade_id"] and tp1["final"] == "False"

    receiver.close()  # from now on delivery fails: freqtrade logs it, and must not log the URL
    report = manager.emergency_stop("hooked", close_timeout_s=60)
    assert report.complete and [t.trade_id for t in report.closed] == [int(entry["trade_id"])]

    log = manager.logs("hooked", lines=100_000)
    assert "Could not call webhook" in log and "[redacted]" in log
    assert SECRET not in log
    record = manager.registry.load("hooked")
    assert SECRET not in record.config_file.read_text()


@pytest.mark.slow  # a real freqtrade process
def test_supervisor_events_use_the_same_shape(
    manager: BotManager, testnet: TestnetHandle, ladder_strategy: Path, receiver: Receiver
) -> None:
    manager.start(
        ladder_strategy, name="quiet", config=local_bot_config(testnet.url), webhook_url=receiver.url
    )
    manager.wait_running("quiet", timeout_s=90)
    report = manager.emergency_stop("quiet", close_timeout_s=60)
    stop = wait_for(lambda: receiver.of("emergency_stop"), 30, "the emergency-stop notification")[0]
    assert stop["bot"] == "quiet" and stop["complete"] is report.complete
    assert stop["closed"] == [t.model_dump() for t in report.closed]


def test_a_crashed_bot_is_reported_to_its_webhook(
    tmp_path: Path, ladder_strategy: Path, receiver: Receiver
) -> None:
    # A stand-in for freqtrade that dies at once: the supervisor, not freqtrade, is under test here.
    script = tmp_path / "dying_freqtrade.py"
    script.write_text('print("stub freqtrade: cannot load the strategy", flush=True)\nraise SystemExit(3)\n')
    bots = BotManager(tmp_path / "bots", freqtrade_command=[sys.executable, str(script)], sandbox=False)
    bots.start(ladder_strategy, name="dying", config=default_local_config(), webhook_url=receiver.url)
    wait_for(lambda: bots.status("dying").status is BotStatus.CRASHED, 30, "the crash")
    assert bots.notify_crash("dying")
    crash = receiver.of("crash")[0]
    assert crash["bot"] == "dying" and crash["status"] == "crashed"
    assert "cannot load the strategy" in crash["last_log"]
    bots.stop("dying")

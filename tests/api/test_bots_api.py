"""Bots through the API: a real dry-run freqtrade bot on the local replay testnet (start, running, logs,
stop, start again, delete with nothing left behind), live refused by default, and another user's bot a 404
on every route (the bot routes' part of the ownership matrix)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_support import BACKENDS, Api, bots_app
from freqtrade_client import FtRestClient

from gentrade.db.models import AuditLog, Bot, StrategyVersion
from gentrade.engine.bots.processes import session_members

PAIR = "BTC/USDT"
QUICK = {
    "name": "ApiQuickBot",
    "description": "Enters at once (close > 0) so a dry-run bot has something to do in its first loop.",
    "timeframe": "1m",
    "pairs": [PAIR],
    "entry_long": {"left": "close", "op": ">", "right": 0},
    "stop": {"initial": {"percent": 10}},
    "take_profit": [
        {"target": {"percent": 1}, "fraction": 0.5},
        {"target": {"percent": 50}, "fraction": 0.5},
    ],
}


@pytest.fixture(scope="module", params=BACKENDS)
def bots_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, synthetic_data_dir: Path
) -> Iterator[Api]:
    """An app whose bots trade on a replay testnet over the synthetic candles; every bot is stopped after."""
    with bots_app(request.param, tmp_path_factory.mktemp(f"bots-{request.param}"), synthetic_data_dir) as api:
        yield api


def _strategy(api: Api, headers: dict[str, str]) -> int:
    reply = api.client.post("/api/v1/strategies", json={"spec": QUICK}, headers=headers)
    assert reply.status_code == 201, reply.text
    return int(reply.json()["id"])


def _wait_status(api: Api, bot_id: int, headers: dict[str, str], want: str, timeout_s: float = 120) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        body: dict[str, Any] = api.client.get(f"/api/v1/bots/{bot_id}", headers=headers).json()
        if body["status"] == want:
            return body
        assert body["status"] in ("starting", "running"), body
        assert time.monotonic() < deadline, f"bot {bot_id} never became {want}: {body}"
        time.sleep(0.5)


@pytest.mark.slow
def test_dry_run_bot_round_trip(bots_api: Api) -> None:
    api, headers = bots_api, bots_api.user()
    sid = _strategy(api, headers)
    created = api.client.post(
        "/api/v1/bots",
        json={
            "strategy_id": sid,
            "name": "my quick bot",
            "config": {"max_open_trades": 1, "dry_run_wallet": 500},
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    bot = created.json()
    assert bot["status"] in ("starting", "running") and bot["dry_run"] is True
    assert (bot["name"], bot["strategy_id"], bot["version_number"]) == ("my quick bot", sid, 1)
    assert bot["config"] == {"max_open_trades": 1, "dry_run_wallet": 500.0}

    running = _wait_status(api, bot["id"], headers, "running")
    assert running["api_url"].startswith("http://127.0.0.1:") and running["strategy"] == "ApiQuickBot"
    listed = api.client.get("/api/v1/bots", headers=headers).json()
    assert [(b["id"], b["status"]) for b in listed] == [(bot["id"], "running")]
    logs = api.client.get(f"/api/v1/bots/{bot['id']}/logs", params={"lines": 200}, headers=headers).json()
    assert "ApiQuickBot" in logs["text"]
    again = api.client.post(f"/api/v1/bots/{bot['id']}/start", headers=headers)
    assert again.status_code == 409  # already running

    manager = api.client.app.state.bot_managers.of(bot["owner_id"])  # type: ignore[attr-defined]
    process = manager.registry.load(f"bot-{bot['id']}")
    stopped = api.client.post(f"/api/v1/bots/{bot['id']}/stop", headers=headers).json()
    assert stopped["status"] == "stopped" and stopped["stopped_at"] is not None
    assert session_members(process.pid, process.create_time) == []

    restarted = api.client.post(f"/api/v1/bots/{bot['id']}/start", headers=headers)
    assert restarted.status_code == 200, restarted.text
    _wait_status(api, bot["id"], headers, "running")
    process = manager.registry.load(f"bot-{bot['id']}")
    assert api.client.delete(f"/api/v1/bots/{bot['id']}", headers=headers).status_code == 204
    assert session_members(process.pid, process.create_time) == []  # deleting stopped it first
    assert api.client.get(f"/api/v1/bots/{bot['id']}", headers=headers).status_code == 404
    assert not manager.registry.bot_dir(f"bot-{bot['id']}").exists()


def test_live_is_refused_by_default(bots_api: Api) -> None:
    api, headers = bots_api, bots_api.user()
    sid = _strategy(api, headers)
    for body, code in [
        ({"live": True, "confirm_real_money": True}, "live_trading_refused"),
        ({"live": True}, "live_trading_refused"),
        ({"confirm_real_money": True}, "invalid_request"),
    ]:
        reply = api.client.post("/api/v1/bots", json={"strategy_id": sid, **body}, headers=headers)
        assert reply.json()["code"] == code, (body, reply.text)
    unsafe = api.client.post(
        "/api/v1/bots", json={"strategy_id": sid, "config": {"exchange": {"name": "x"}}}, headers=headers
    )
    assert unsafe.status_code == 422  # only the safe fields can be overridden
    assert api.client.get("/api/v1/bots", headers=headers).json() == []  # nothing was created


@dataclass
class Foreign:
    owner: dict[str, str]
    other: dict[str, str]
    bot: int
    strategy: int


@pytest.fixture
def foreign(bots_api: Api) -> Foreign:
    """A's bot row as the API stores it, without a process (ownership is decided before any process)."""
    a, b = bots_api.user(), bots_api.user()
    sid = _strategy(bots_api, a)
    owner_id = bots_api.client.get("/api/v1/users/me", headers=a).json()["id"]
    with bots_api.sessions() as session:
        version = session.query(StrategyVersion).filter_by(strategy_id=sid, number=1).one()
        row = Bot(
            owner_id=owner_id,
            name="a's bot",
            strategy_version_id=version.id,
            config={"overrides": {}, "live": False, "credential_id": None},
        )
        session.add(row)
        session.commit()
        return Foreign(a, b, row.id, sid)


def bot_routes(bot: int) -> list[tuple[str, str]]:
    """Every bot route that names a bot: the ownership matrix's bot rows."""
    return [
        ("GET", f"/api/v1/bots/{bot}"),
        ("GET", f"/api/v1/bots/{bot}/logs"),
        ("POST", f"/api/v1/bots/{bot}/start"),
        ("POST", f"/api/v1/bots/{bot}/stop"),
        ("POST", f"/api/v1/bots/{bot}/emergency-stop"),
        ("GET", f"/api/v1/bots/{bot}/trades"),
        ("GET", f"/api/v1/bots/{bot}/profit"),
        ("DELETE", f"/api/v1/bots/{bot}"),
    ]


def test_another_users_bot_is_a_404_everywhere(bots_api: Api, foreign: Foreign) -> None:
    api = bots_api
    for method, url in bot_routes(foreign.bot):
        reply = api.client.request(method, url, headers=foreign.other)
        assert reply.status_code == 404, (method, url, reply.text)
        assert reply.json()["message"] == f"bot {foreign.bot} not found"
    for method, url in bot_routes(2_000_000_000):
        assert api.client.request(method, url, headers=foreign.other).status_code == 404
    run = api.client.post("/api/v1/bots", json={"strategy_id": foreign.strategy}, headers=foreign.other)
    assert run.status_code == 404  # nobody can run someone else's strategy
    assert api.client.get("/api/v1/bots", headers=foreign.other).json() == []
    mine = api.client.get(f"/api/v1/bots/{foreign.bot}", headers=foreign.owner).json()
    assert mine["status"] == "stopped" and mine["name"] == "a's bot"


TWO_PAIRS: dict[str, Any] = {
    **QUICK,
    "name": "ApiTwoPairs",
    "pairs": [PAIR, "ETH/USDT"],
    "take_profit": [{"target": {"percent": 50}, "fraction": 1.0}],
    "risk": {"max_open_trades": 2},
}


class Receiver:
    """A real local webhook endpoint that keeps every JSON body POSTed to it."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        events = self.events

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                events.append(json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0)))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook/secret-token"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def wait_for(check: Callable[[], Any], timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")


def _entries(client: FtRestClient, filled: bool) -> list[dict[str, Any]] | None:
    """The bot's two trades once both have an entry order (filled ones only, with ``filled``)."""
    trades = [
        t
        for t in client.status() or []
        if any(o["ft_order_side"] == "buy" and (o["status"] == "closed" or not filled) for o in t["orders"])
    ]
    return trades if len(trades) == 2 else None


@pytest.mark.slow
def test_emergency_stop_closes_both_positions_and_is_audited(bots_api: Api) -> None:
    api, owner, other = bots_api, bots_api.user(), bots_api.user()
    hook = Receiver()
    stored = api.client.put("/api/v1/users/me/webhook", json={"url": hook.url}, headers=owner)
    assert stored.status_code == 200, stored.text
    sid = api.client.post("/api/v1/strategies", json={"spec": TWO_PAIRS}, headers=owner).json()["id"]
    bot = api.client.post(
        "/api/v1/bots", json={"strategy_id": sid, "config": {"process_throttle_secs": 1}}, headers=owner
    ).json()
    running = _wait_status(api, bot["id"], owner, "running")
    assert running["username"] and running["password"]  # the owner gets the api_server login
    assert api.client.get("/api/v1/bots", headers=owner).json()[0]["password"] is None  # never in lists
    client = FtRestClient(running["api_url"], running["username"], running["password"])

    # Entries rest at the bid; pricing both pairs 1 % under them fills both.
    orders = wait_for(lambda: _entries(client, filled=False), 120, "two entry orders")
    for trade in orders:
        entry = next(o for o in trade["orders"] if o["ft_order_side"] == "buy")
        script = {"symbol": trade["pair"], "prices": [entry["safe_price"] * 0.99] * 60}
        httpx.post(
            f"{api.settings.bot_exchange_url}/gentrade/v1/script", json=script, timeout=10
        ).raise_for_status()
    positions = wait_for(lambda: _entries(client, filled=True), 120, "both entries to fill")

    trades = api.client.get(f"/api/v1/bots/{bot['id']}/trades", headers=owner).json()
    assert trades["trades"] == [] and trades["total_trades"] == 0  # freqtrade's /trades: closed ones only
    profit = api.client.get(f"/api/v1/bots/{bot['id']}/profit", headers=owner).json()
    assert profit["trade_count"] == 2
    seen_by_admin = api.client.get(f"/api/v1/bots/{bot['id']}", headers=api.user("admin")).json()
    assert seen_by_admin["api_url"] == running["api_url"]
    assert seen_by_admin["username"] is None and seen_by_admin["password"] is None  # the owner's only
    assert api.client.post(f"/api/v1/bots/{bot['id']}/emergency-stop", headers=other).status_code == 404
    assert api.client.post("/api/v1/bots/emergency-stop", headers=other).json() == []

    reports = api.client.post("/api/v1/bots/emergency-stop", headers=owner).json()
    assert len(reports) == 1
    report = reports[0]
    assert report["complete"] is True and report["not_closed"] == [] and report["error"] is None
    assert sorted(t["trade_id"] for t in report["closed"]) == sorted(t["trade_id"] for t in positions)
    assert report["bot"]["status"] == "stopped"
    assert api.client.get(f"/api/v1/bots/{bot['id']}/trades", headers=owner).status_code == 409

    # The owner's webhook heard the entries and the emergency stop.
    hook.close()
    assert sorted(e["pair"] for e in hook.events if e["event"] == "entry") == sorted(TWO_PAIRS["pairs"])
    stop = next(e for e in hook.events if e["event"] == "emergency_stop")
    assert stop["complete"] is True and len(stop["closed"]) == 2

    with api.sessions() as session:
        entry = session.query(AuditLog).filter_by(action="emergency_stop", object_id=str(bot["id"])).one()
        assert entry.actor_id == bot["owner_id"]
        assert (
            entry.detail is not None and len(entry.detail["closed"]) == 2 and entry.detail["not_closed"] == []
        )

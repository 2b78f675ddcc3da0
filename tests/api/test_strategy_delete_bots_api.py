"""Deleting a strategy a bot runs: a 409 naming the bots (running or stopped), the strategy untouched and
the connection healthy; with ``with_bots=true`` the bots are stopped and deleted with it. On SQLite and
PostgreSQL. (The bots' version key is RESTRICT: the delete used to be a 500 that reset the connection.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import BACKENDS, Api, bots_app

from gentrade.engine.bots.processes import session_members

SPEC = {
    "name": "HeldByBots",
    "timeframe": "1m",
    "pairs": ["BTC/USDT"],
    "entry_long": {"left": "close", "op": ">", "right": 0},
    "stop": {"initial": {"percent": 10}},
    "take_profit": [{"target": {"percent": 50}, "fraction": 1.0}],
}


@pytest.fixture(scope="module", params=BACKENDS)
def bots_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, synthetic_data_dir: Path
) -> Iterator[Api]:
    with bots_app(
        request.param, tmp_path_factory.mktemp(f"strategy-delete-{request.param}"), synthetic_data_dir
    ) as api:
        yield api


def test_a_strategy_run_by_bots_is_a_409_or_goes_with_them(bots_api: Api) -> None:
    api, headers = bots_api, bots_api.user()
    created = api.client.post("/api/v1/strategies", json={"spec": SPEC}, headers=headers)
    sid = created.json()["id"]
    bots = []
    for name in ("runs it", "ran it"):
        reply = api.client.post("/api/v1/bots", json={"strategy_id": sid, "name": name}, headers=headers)
        assert reply.status_code == 201, reply.text
        bots.append(reply.json())
    running, stopped = bots
    stop = api.client.post(f"/api/v1/bots/{stopped['id']}/stop", headers=headers)
    assert stop.json()["status"] == "stopped"

    refused = api.client.delete(f"/api/v1/strategies/{sid}", headers=headers)
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["code"] == "conflict"
    assert [(b["id"], b["name"]) for b in body["details"]["bots"]] == [
        (running["id"], "runs it"),
        (stopped["id"], "ran it"),
    ]
    assert "with_bots=true" in body["message"]
    # Nothing changed, and the next requests on the same connection are answered.
    assert api.client.get(f"/api/v1/strategies/{sid}", headers=headers).status_code == 200
    assert len(api.client.get("/api/v1/bots", headers=headers).json()) == 2

    manager = api.client.app.state.bot_managers.of(running["owner_id"])  # type: ignore[attr-defined]
    process = manager.registry.load(f"bot-{running['id']}")
    deleted = api.client.delete(f"/api/v1/strategies/{sid}", params={"with_bots": "true"}, headers=headers)
    assert deleted.status_code == 204, deleted.text
    assert session_members(process.pid, process.create_time) == []  # the running bot was stopped first
    assert api.client.get(f"/api/v1/strategies/{sid}", headers=headers).status_code == 404
    assert api.client.get("/api/v1/bots", headers=headers).json() == []
    assert not manager.registry.bot_dir(f"bot-{running['id']}").exists()


def test_a_strategy_without_bots_deletes_as_before(bots_api: Api) -> None:
    api, headers = bots_api, bots_api.user()
    sid = api.client.post("/api/v1/strategies", json={"spec": SPEC}, headers=headers).json()["id"]
    assert api.client.delete(f"/api/v1/strategies/{sid}", headers=headers).status_code == 204
    assert api.client.get(f"/api/v1/strategies/{sid}", headers=headers).status_code == 404

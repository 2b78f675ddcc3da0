"""POST /strategies/{id}/optimize on the real candles: progress over SSE, then a new version."""

from __future__ import annotations

import json

import pytest
from api_support import Api
from test_strategies_api import spec

SEARCH = {"entry_long.all[1].right": [15, 35], "stop.initial.atr": [1, 3]}


@pytest.mark.slow
def test_optimize_streams_progress_and_saves_the_best_parameters_as_a_new_version(api: Api) -> None:
    headers = api.user()
    data = spec("OptimizeMe", pairs=["ETH/BTC"], search=SEARCH)
    sid = api.client.post("/api/v1/strategies", json={"spec": data}, headers=headers).json()["id"]
    body = {"timerange": "20180110-20180130", "epochs": 3, "folds": 1, "jobs": 1, "loss": "sortino"}
    queued = api.client.post(f"/api/v1/strategies/{sid}/optimize", json=body, headers=headers)
    assert queued.status_code == 202, queued.text
    oid = queued.json()["id"]
    assert queued.json()["status"] == "queued"

    events = []
    with api.client.stream("GET", f"/api/v1/optimizations/{oid}/events", headers=headers) as stream:
        kind = None
        for line in stream.iter_lines():
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: "):
                events.append((kind, json.loads(line.removeprefix("data: "))))
    kinds = [kind for kind, _ in events]
    assert kinds[-1] == "done" and "progress" in kinds
    final = events[-1][1]
    assert final["status"] == "succeeded", final
    progress = [data for kind, data in events if kind == "progress"]
    assert progress[-1]["epochs_done"] == progress[-1]["epochs_total"] == 3

    got = api.client.get(f"/api/v1/optimizations/{oid}", headers=headers).json()
    [fold] = got["report"]["folds"]
    assert fold["in_sample"]["timerange"] == "20180110-20180124"
    assert fold["held_back"]["timerange"] == "20180124-20180130"
    assert got["report"]["loss_class"] == "SortinoHyperOptLoss"

    version = api.client.get(f"/api/v1/strategies/{sid}/versions/2", headers=headers).json()
    assert version["created_by_model_id"] == "gentrade-optimizer/SortinoHyperOptLoss"
    assert version["optimization"]["optimization_id"] == oid and version["optimization"]["from_version"] == 1
    assert version["spec"]["stop"]["initial"]["atr"] == pytest.approx(got["report"]["params"]["stop_initial"])
    first = api.client.get(f"/api/v1/strategies/{sid}/versions/1", headers=headers).json()
    assert first["spec"]["stop"]["initial"] == data["stop"]["initial"] and first["optimization"] is None


def test_a_version_without_search_ranges_is_refused_before_anything_is_stored(api: Api) -> None:
    headers = api.user()
    sid = api.client.post("/api/v1/strategies", json={"spec": spec()}, headers=headers).json()["id"]
    reply = api.client.post(
        f"/api/v1/strategies/{sid}/optimize", json={"timerange": "20180110-20180130"}, headers=headers
    )
    assert reply.status_code == 422 and reply.json()["code"] == "optimize_failed"
    assert "no search ranges" in reply.json()["message"]
    missing = api.client.get("/api/v1/optimizations/999999", headers=headers)
    assert missing.status_code == 404

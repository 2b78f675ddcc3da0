"""GET /backtests/compare: metrics side by side, which is better on each, the spec diff of their versions."""

from __future__ import annotations

import pytest
from api_support import Api
from test_strategies_api import spec

PAIRS = ["ETH/BTC", "LTC/BTC"]
TIMERANGE = "20180115-20180120"


@pytest.mark.slow
def test_two_versions_compared_side_by_side_with_the_better_one_named_and_their_spec_diff(api: Api) -> None:
    headers = api.user()
    first = spec("CompareMe", pairs=PAIRS)
    sid = api.client.post("/api/v1/strategies", json={"spec": first}, headers=headers).json()["id"]
    second = {**first, "stop": {**first["stop"], "initial": {"atr": 1.0}}, "atr_period": 10}
    updated = api.client.put(f"/api/v1/strategies/{sid}", json={"spec": second}, headers=headers)
    assert updated.status_code == 200, updated.text
    ids = []
    for version in (1, 2):
        queued = api.client.post(
            "/api/v1/backtests",
            json={"strategy_id": sid, "version": version, "timerange": TIMERANGE},
            headers=headers,
        )
        assert queued.status_code == 202, queued.text
        ids.append(queued.json()["id"])
    for backtest_id in ids:
        api.executor.wait(backtest_id, timeout=300)

    comma = api.client.get(f"/api/v1/backtests/compare?ids={ids[0]},{ids[1]}", headers=headers)
    repeated = api.client.get(
        "/api/v1/backtests/compare", params=[("ids", ids[0]), ("ids", ids[1])], headers=headers
    )
    assert comma.status_code == repeated.status_code == 200, comma.text
    body = comma.json()
    assert body == repeated.json()
    assert [row["id"] for row in body["items"]] == ids
    rows = {row["id"]: row for row in body["items"]}
    assert all(row["status"] == "succeeded" for row in rows.values())

    verdicts = {m["metric"]: m for m in body["metrics"]}
    assert set(verdicts) >= {"total_profit_pct", "max_drawdown_pct", "sharpe", "win_rate", "profit_factor"}
    for name, verdict in verdicts.items():
        values = {int(k): v for k, v in verdict["values"].items()}
        assert values == {i: rows[i][name] for i in ids}
        known = {i: v for i, v in values.items() if v is not None}
        pick = max if verdict["better"] == "higher" else min
        assert verdict["best"] == [i for i, v in known.items() if v == pick(known.values())]
    assert verdicts["max_drawdown_pct"]["better"] == "lower"

    diff = {d["path"]: {int(k): v for k, v in d["values"].items()} for d in body["spec_diff"]}
    assert diff == {
        "stop.initial.atr": {ids[0]: first["stop"]["initial"]["atr"], ids[1]: 1.0},
        "atr_period": {ids[0]: first["atr_period"], ids[1]: 10},
    }


def test_compare_refuses_too_many_ids_even_when_repeated(api: Api) -> None:
    reply = api.client.get(
        "/api/v1/backtests/compare", params=[("ids", str(i)) for i in range(1, 23)], headers=api.user()
    )
    assert reply.status_code == 400, reply.text
    assert reply.json()["code"] == "invalid_request" and reply.json()["message"].startswith("ids ")

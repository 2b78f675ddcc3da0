"""GET /models/performance: each producer's strategies, backtests and signals, from the caller's own data."""

from __future__ import annotations

import pytest
from api_support import Api
from test_signals_api import _signal
from test_strategies_api import spec

PAIRS = ["ETH/BTC", "LTC/BTC"]


@pytest.mark.slow
def test_each_producer_is_credited_with_what_it_made_and_how_it_did(api: Api) -> None:
    headers = api.user()
    made = {}
    for name, created_by in (
        ("ByModel", {"kind": "agent", "model_id": "acme/gpt-x@prompt-3"}),
        ("ByHand", None),
    ):
        body = {"spec": spec(name, pairs=PAIRS), **({"created_by": created_by} if created_by else {})}
        reply = api.client.post("/api/v1/strategies", json=body, headers=headers)
        assert reply.status_code == 201, reply.text
        made[name] = reply.json()["id"]
    queued = api.client.post(
        "/api/v1/backtests",
        json={"strategy_id": made["ByModel"], "timerange": "20180115-20180120"},
        headers=headers,
    ).json()["id"]
    api.executor.wait(queued, timeout=300)
    backtest = api.client.get(f"/api/v1/backtests/{queued}", headers=headers).json()
    assert backtest["status"] == "succeeded"
    for _ in range(2):
        signal = api.client.post(
            "/api/v1/signals/import",
            json={"signal": _signal(model_id="acme/gpt-x@prompt-3")},
            headers=headers,
        ).json()
        evaluated = api.client.post(f"/api/v1/signals/{signal['id']}/evaluate", headers=headers)
        assert evaluated.status_code == 200, evaluated.text

    records = {r["producer"]: r for r in api.client.get("/api/v1/models/performance", headers=headers).json()}
    assert set(records) == {"acme/gpt-x@prompt-3", "person"}
    model, person = records["acme/gpt-x@prompt-3"], records["person"]
    assert (model["strategies"], model["versions"], model["backtests"]) == (1, 1, 1)
    assert model["mean_profit_pct"] == pytest.approx(backtest["total_profit_pct"])
    assert model["mean_sharpe"] == (None if backtest["sharpe"] is None else pytest.approx(backtest["sharpe"]))
    assert (person["strategies"], person["versions"], person["backtests"], person["signals"]) == (1, 1, 0, 0)
    assert model["signals"] == 2
    stats = api.client.get("/api/v1/signals/stats", headers=headers).json()
    assert model["signals_decided"] == stats["decided"]
    assert model["signal_win_rate"] == stats["win_rate"]
    assert model["calibration"] == stats["calibration"]

    other = api.client.get("/api/v1/models/performance", headers=api.user()).json()
    assert other == []
    # An admin sees everyone's objects elsewhere, but this report is the caller's own track record: none of
    # its parts (here the evaluated signals' statistics) may count another user's.
    admin = api.client.get("/api/v1/models/performance", headers=api.user("admin")).json()
    assert admin == []

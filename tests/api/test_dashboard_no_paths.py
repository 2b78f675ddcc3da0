"""A failed backtest's page shows the failure without the server's paths, as the API's JSON does."""

from __future__ import annotations

from api_support import Api
from test_strategies_api import spec

from gentrade.db.models import User
from gentrade.db.repositories import backtests, strategies

LEAKY = "the backtest process died without a result (log /srv/gentrade/user_data/work/user-7/runs/worker.log)"


def test_failed_backtest_page_hides_server_paths(api: Api) -> None:
    headers = api.user()
    sid = api.client.post("/api/v1/strategies", json={"spec": spec("PathLeak")}, headers=headers).json()["id"]
    me = api.client.get("/api/v1/users/me", headers=headers).json()
    with api.sessions() as session:
        owner = session.get_one(User, me["id"])
        strategy = strategies.get(session, sid, owner)
        version = strategies.version(session, strategy)
        row = backtests.create(session, owner, strategy, version, {"fee": 0.001})
        row.status = "running"
        session.commit()
        assert backtests.fail(session, row.id, "backtest_failed", LEAKY)
        backtest_id = row.id

    token = headers["Authorization"].removeprefix("Bearer ")
    page = api.client.get(f"/backtests/{backtest_id}", cookies={"gentrade_session": token})
    as_json = api.client.get(f"/api/v1/backtests/{backtest_id}", headers=headers).json()

    assert page.status_code == 200
    assert "worker.log" in page.text and "/srv/gentrade" not in page.text
    assert as_json["error_message"].endswith("(log worker.log)")

"""Ownership matrix: user B gets 404 on every route that names user A's objects; an admin gets through."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from api_support import Api
from test_strategies_api import spec

from gentrade.db.models import Backtest, Strategy, StrategyVersion, User
from gentrade.db.repositories import backtests as backtests_repo


@dataclass
class World:
    a: dict[str, str]
    b: dict[str, str]
    admin: dict[str, str]
    strategy: int
    backtest: int
    credential: int
    token: int


def _queued_backtest(api: Api, strategy_id: int) -> int:
    """A queued row that no executor will pick up, so cancel and delete can be tried on it."""
    with api.sessions() as session:
        strategy = session.get(Strategy, strategy_id)
        assert strategy is not None
        owner = session.get(User, strategy.owner_id)
        version = session.query(StrategyVersion).filter_by(strategy_id=strategy_id, number=1).one()
        row = backtests_repo.create(session, owner, strategy, version, {"timerange": "20180115-20180116"})
        session.commit()
        return row.id


@pytest.fixture
def world(api: Api) -> World:
    a, b, admin = api.user(), api.user(), api.user("admin")
    strategy = api.client.post("/api/v1/strategies", json={"spec": spec()}, headers=a).json()["id"]
    credential = api.client.post(
        "/api/v1/credentials",
        json={"exchange": "binance", "label": "main", "api_key": "k" * 20, "api_secret": "s" * 20},
        headers=a,
    ).json()["id"]
    token = api.client.post("/api/v1/users/me/tokens", json={"name": "a"}, headers=a).json()["id"]
    return World(a, b, admin, strategy, _queued_backtest(api, strategy), credential, token)


def _routes(w: World) -> list[tuple[str, str, dict | None]]:
    s, bt = w.strategy, w.backtest
    return [
        ("GET", f"/api/v1/strategies/{s}", None),
        ("PUT", f"/api/v1/strategies/{s}", {"spec": spec()}),
        ("GET", f"/api/v1/strategies/{s}/versions", None),
        ("GET", f"/api/v1/strategies/{s}/versions/1", None),
        ("GET", f"/api/v1/strategies/{s}/source", None),
        ("GET", f"/api/v1/backtests/{bt}", None),
        ("GET", f"/api/v1/backtests/compare?ids={bt}", None),
        ("POST", f"/api/v1/backtests/{bt}/cancel", None),
    ]


def _deletes(w: World) -> list[str]:
    return [
        f"/api/v1/backtests/{w.backtest}",
        f"/api/v1/credentials/{w.credential}",
        f"/api/v1/strategies/{w.strategy}",
    ]


def test_other_user_gets_404_everywhere(api: Api, world: World) -> None:
    for method, url, body in _routes(world):
        reply = api.client.request(method, url, json=body, headers=world.b)
        assert reply.status_code == 404, (method, url, reply.text)
        assert reply.json()["code"] == "not_found"
    run = api.client.post(
        "/api/v1/backtests",
        json={"strategy_id": world.strategy, "timerange": "20180115-20180116"},
        headers=world.b,
    )
    assert run.status_code == 404
    zip_reply = api.client.get(f"/api/v1/backtests/{world.backtest}/result.zip", headers=world.b)
    assert zip_reply.status_code == 404
    assert api.client.delete(f"/api/v1/users/me/tokens/{world.token}", headers=world.b).status_code == 404
    for url in _deletes(world):
        assert api.client.delete(url, headers=world.b).status_code == 404, url
    lists = ["/api/v1/strategies", "/api/v1/backtests", "/api/v1/credentials"]
    for url in lists:
        body = api.client.get(url, headers=world.b).json()
        items = body["items"] if isinstance(body, dict) else body
        assert items == [], url
    # ... and A's objects are all still there, unchanged.
    assert (
        api.client.get(f"/api/v1/strategies/{world.strategy}", headers=world.a).json()["current_version"] == 1
    )
    assert api.client.get(f"/api/v1/backtests/{world.backtest}", headers=world.a).json()["status"] == "queued"
    assert len(api.client.get("/api/v1/credentials", headers=world.a).json()) == 1


def test_missing_ids_answer_exactly_like_foreign_ones(api: Api, world: World) -> None:
    missing = World(world.a, world.b, world.admin, 2_000_000_000, 2_000_000_000, 2_000_000_000, 2_000_000_000)
    for (method, url, body), (_, foreign_url, _) in zip(_routes(missing), _routes(world), strict=True):
        absent = api.client.request(method, url, json=body, headers=world.b)
        foreign = api.client.request(method, foreign_url, json=body, headers=world.b)
        assert absent.status_code == foreign.status_code == 404
        assert absent.json()["message"].replace("2000000000", "N") == foreign.json()["message"].replace(
            str(world.strategy), "N"
        ).replace(str(world.backtest), "N")


def test_admin_can_read_change_run_and_delete(api: Api, world: World) -> None:
    for method, url, body in _routes(world):
        reply = api.client.request(method, url, json=body, headers=world.admin)
        assert reply.status_code == 200, (method, url, reply.text)
    mine = {"name": api.client.get(f"/api/v1/strategies/{world.strategy}", headers=world.a).json()["name"]}
    listed = api.client.get("/api/v1/strategies", params=mine, headers=world.admin).json()["items"]
    assert world.strategy in {row["id"] for row in listed}
    run = api.client.post(
        "/api/v1/backtests",
        json={"strategy_id": world.strategy, "timerange": "20180115-20180116", "pairs": ["ETH/BTC"]},
        headers=world.admin,
    )
    assert run.status_code == 202
    api.executor.wait(run.json()["id"], timeout=300)
    for url in _deletes(world):
        assert api.client.delete(url, headers=world.admin).status_code == 204, url
    with api.sessions() as session:
        assert session.get(Backtest, world.backtest) is None

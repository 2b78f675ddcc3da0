"""Every strategy version stored through the API gets a look-ahead verdict from the check sweep (the beat's
``gentrade.checks.sweep`` body), kept on the version and shown by the API: ``clean`` for a bundled example on
real candles, ``failed`` with the reason when there is nothing to check it on; versions already judged are
not checked again."""

from __future__ import annotations

import shutil
from pathlib import Path

from api_support import Api

from gentrade.examples import load_example
from gentrade.services.checks import check_unchecked_versions

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "binance"


def test_stored_versions_get_their_verdict(api: Api, tmp_path: Path) -> None:
    headers = api.user()
    spec = load_example("trend_following").model_dump(mode="json")
    created = api.client.post("/api/v1/strategies", json={"spec": spec}, headers=headers)
    assert created.status_code == 201, created.text
    strategy_id = created.json()["id"]
    assert created.json()["version"]["check_verdict"] is None

    datadir = tmp_path / "data"
    datadir.mkdir()
    for name in ("ETH_BTC-5m.feather", "LTC_BTC-5m.feather"):
        shutil.copyfile(REAL / name, datadir / name)
    first = created.json()["version"]["number"]
    assert len(check_unchecked_versions(api.sessions, datadir, tmp_path / "checks")) == 1
    version = api.client.get(f"/api/v1/strategies/{strategy_id}", headers=headers).json()["version"]
    assert version["number"] == first and version["check_verdict"] == "clean", version["check_report"]
    report = version["check_report"]
    assert report["settings"]["pairs"] == ["ETH/BTC", "LTC/BTC"]  # the spec's USDT pairs have no candles here
    assert report["lookahead"]["total_signals"] == 20 and report["lookahead"]["biased_trades"] == []

    # A new version is judged on its own; the first keeps its verdict and is not checked again.
    spec["description"] = "second version"
    updated = api.client.put(f"/api/v1/strategies/{strategy_id}", json={"spec": spec}, headers=headers)
    assert updated.status_code == 200, updated.text
    empty = tmp_path / "empty"
    empty.mkdir()
    other = api.client.post(
        "/api/v1/strategies", json={"spec": {**spec, "name": "OtherFollower"}}, headers=headers
    )
    assert other.status_code == 201, other.text
    # The beat's task takes one version a tick, the oldest first: the new version, then the other strategy.
    first_tick = check_unchecked_versions(api.sessions, empty, tmp_path / "checks", limit=1)
    second_tick = check_unchecked_versions(api.sessions, empty, tmp_path / "checks", limit=1)
    assert len(first_tick) == len(second_tick) == 1 and first_tick[0] < second_tick[0]
    assert check_unchecked_versions(api.sessions, empty, tmp_path / "checks", limit=1) == []
    third = api.client.get(f"/api/v1/strategies/{other.json()['id']}", headers=headers).json()["version"]
    assert third["check_verdict"] == "failed"
    second = api.client.get(f"/api/v1/strategies/{strategy_id}", headers=headers).json()["version"]
    assert second["check_verdict"] == "failed"
    assert second["check_report"]["error"]["code"] == "data_missing"
    assert str(empty) not in second["check_report"]["error"]["message"]  # no server path in a message
    old = api.client.get(f"/api/v1/strategies/{strategy_id}/versions/{first}", headers=headers).json()
    assert old["check_verdict"] == "clean"

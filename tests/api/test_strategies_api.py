"""Strategies through the API: create (render + audit), validation paths, versions, list pages, download."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from api_support import Api

from gentrade.examples import load_example


def spec(name: str | None = None, **changes: Any) -> dict[str, Any]:
    data = load_example("trend_following").model_dump(mode="json")
    data["name"] = name or f"Trend{uuid.uuid4().hex[:8].upper()}"
    data.update(changes)
    return data


def test_create_read_and_download(api: Api) -> None:
    headers = api.user()
    created = api.client.post(
        "/api/v1/strategies",
        json={"spec": spec("Alpha"), "created_by": {"kind": "agent", "model_id": "m-1"}},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["name"] == "Alpha" and body["current_version"] == 1
    assert body["version"]["audit"]["ok"] is True and body["version"]["created_by_kind"] == "agent"
    assert body["version"]["created_by_model_id"] == "m-1"
    source = api.client.get(f"/api/v1/strategies/{body['id']}/source", headers=headers)
    assert source.status_code == 200
    assert source.headers["content-disposition"] == 'attachment; filename="Alpha.py"'
    assert "class Alpha(IStrategy)" in source.text
    rendered = api.client.post("/api/v1/strategies/render", json={"spec": spec("Alpha")}, headers=headers)
    assert rendered.json() == {"filename": "Alpha.py", "source": source.text}


def test_bad_spec_lists_every_field_path(api: Api) -> None:
    headers = api.user()
    bad = spec(timeframe="7m", pairs=["eth-btc"])
    bad["take_profit"] = [{"target": {"r": 1}, "fraction": 0.5}, {"target": {"r": 2}, "fraction": -0.1}]
    reply = api.client.post("/api/v1/strategies", json={"spec": bad}, headers=headers)
    assert reply.status_code == 422
    paths = {p["path"] for p in reply.json()["details"]}
    assert {"spec.timeframe", "spec.pairs[0]", "spec.take_profit[1].fraction"} <= paths, paths


def test_put_adds_versions_and_old_ones_stay_readable(api: Api) -> None:
    headers = api.user()
    sid = api.client.post("/api/v1/strategies", json={"spec": spec("Versioned")}, headers=headers).json()[
        "id"
    ]
    changed = spec("Versioned", timeframe="15m")
    updated = api.client.put(f"/api/v1/strategies/{sid}", json={"spec": changed}, headers=headers)
    assert updated.status_code == 200 and updated.json()["current_version"] == 2
    versions = api.client.get(f"/api/v1/strategies/{sid}/versions", headers=headers).json()
    assert [v["number"] for v in versions] == [2, 1]
    v1 = api.client.get(f"/api/v1/strategies/{sid}/versions/1", headers=headers).json()
    assert v1["spec"]["timeframe"] == "5m"
    old_source = api.client.get(f"/api/v1/strategies/{sid}/source?version=1", headers=headers).text
    assert 'timeframe = "15m"' not in old_source
    assert api.client.get(f"/api/v1/strategies/{sid}/versions/3", headers=headers).status_code == 404


def test_name_conflict_is_409(api: Api) -> None:
    headers = api.user()
    assert (
        api.client.post("/api/v1/strategies", json={"spec": spec("Twin")}, headers=headers).status_code == 201
    )
    again = api.client.post("/api/v1/strategies", json={"spec": spec("Twin")}, headers=headers)
    assert again.status_code == 409 and again.json()["code"] == "conflict"


def test_list_pages_with_cursor_filter_and_sort(api: Api) -> None:
    headers = api.user()
    names = [f"Page{i:02d}X" for i in range(7)]
    for name in names:
        assert (
            api.client.post("/api/v1/strategies", json={"spec": spec(name)}, headers=headers).status_code
            == 201
        )
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, "sort": "name", **({"cursor": cursor} if cursor else {})}
        page = api.client.get("/api/v1/strategies", params=params, headers=headers).json()
        seen += [row["name"] for row in page["items"]]
        assert all("spec" not in row and "source" not in row for row in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == names
    newest = api.client.get("/api/v1/strategies", params={"limit": 2}, headers=headers).json()
    assert [r["name"] for r in newest["items"]] == names[::-1][:2]
    filtered = api.client.get("/api/v1/strategies", params={"name": "page03"}, headers=headers).json()
    assert [r["name"] for r in filtered["items"]] == ["Page03X"]
    forged = api.client.get("/api/v1/strategies", params={"cursor": "!!!"}, headers=headers)
    assert forged.status_code == 400 and forged.json()["code"] == "invalid_request"


def test_delete(api: Api) -> None:
    headers = api.user()
    sid = api.client.post("/api/v1/strategies", json={"spec": spec()}, headers=headers).json()["id"]
    assert api.client.delete(f"/api/v1/strategies/{sid}", headers=headers).status_code == 204
    assert api.client.get(f"/api/v1/strategies/{sid}", headers=headers).status_code == 404


def test_audit_upload_and_size_limits(api: Api) -> None:
    headers = api.user()
    hostile = "import os\nos.system('id')\n"
    report = api.client.post("/api/v1/strategies/audit", json={"source": hostile}, headers=headers).json()
    assert report["ok"] is False and report["violations"]
    huge = api.client.post("/api/v1/strategies/audit", json={"source": "#" * 200_001}, headers=headers)
    assert huge.status_code == 413 and huge.json()["code"] == "payload_too_large"
    body_limit = api.settings.max_body_bytes
    too_big = api.client.post(
        "/api/v1/strategies/audit",
        content=b"x" * (body_limit + 1),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert too_big.status_code == 413


def test_nul_characters_are_rejected_not_crashing(api: Api) -> None:
    headers = api.user()
    reply = api.client.post("/api/v1/strategies", json={"spec": spec(description="a\x00b")}, headers=headers)
    assert reply.status_code == 422
    assert api.client.get("/api/v1/strategies", params={"name": "a\x00"}, headers=headers).status_code == 422


HOSTILE = Path(__file__).resolve().parents[1] / "safety" / "hostile"


def test_audit_route_names_every_violation_with_its_line(api: Api) -> None:
    """The route runs the same audit as the engine: each hostile corpus file comes back rejected on exactly
    its ``# VIOLATION`` lines (see tests/safety/hostile/README.md)."""
    headers = api.user()
    mismatched: dict[str, list[int]] = {}
    for path in sorted(HOSTILE.glob("*.py")):
        text = path.read_text()
        marked = {n for n, line in enumerate(text.splitlines(), 1) if line.rstrip().endswith("# VIOLATION")}
        reply = api.client.post(
            "/api/v1/strategies/audit", json={"source": text, "filename": path.name}, headers=headers
        )
        assert reply.status_code == 200, reply.text
        report = reply.json()
        found = {v["line"] for v in report["violations"]}
        if report["ok"] or found != marked or not all(v["message"] for v in report["violations"]):
            mismatched[path.stem] = sorted(found ^ marked)
    assert len(list(HOSTILE.glob("*.py"))) >= 100 and mismatched == {}

"""Signals through the API: generate (offline analyst on the real candles), snapshots, the 1-per-minute
limit, evaluate, stats, CSV export, filters and pages, field-named 422s, signal → strategy, and another
user's signals invisible everywhere."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from api_support import Api

from gentrade.api.ratelimit import RateLimiter

AS_OF = "2018-01-25T00:00:00Z"
DECIDED = {"completed_success", "completed_failure", "expired"}


def _unlimited(api: Api) -> None:
    """These tests generate more than one signal per user; the limit itself is tested on its own."""
    api.client.app.state.signal_limiter = RateLimiter(  # type: ignore[attr-defined]
        "signal generation",
        6000,
        1000,
        api.client.app.state.services.engine,  # type: ignore[attr-defined]
    )


def _restore_default_limit(api: Api) -> None:
    settings = api.settings
    api.client.app.state.signal_limiter = RateLimiter(  # type: ignore[attr-defined]
        "signal generation",
        settings.rate_signals_per_minute,
        settings.rate_signals_burst,
        api.client.app.state.services.engine,  # type: ignore[attr-defined]
    )


def _signal(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "symbol": "ETH/BTC",
        "direction": "long",
        "timeframe": "1h",
        "entry": 0.09,
        "stop_loss": 0.088,
        "take_profits": [{"price": 0.092, "allocation": 0.5}, {"price": 0.094, "allocation": 0.5}],
        "confidence": 60,
        "model_id": "outside-analyst",
        "generated_at": "2018-01-20T00:00:00Z",
    }
    data.update(changes)
    return data


def test_generate_stores_snapshots_and_is_limited_to_one_a_minute(api: Api) -> None:
    _restore_default_limit(api)
    headers = api.user()
    reply = api.client.post(
        "/api/v1/signals", json={"pair": "ETH/BTC", "timeframe": "1h", "as_of": AS_OF}, headers=headers
    )
    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert body["status"] == "active" and body["symbol"] == "ETH/BTC" and body["timeframe"] == "1h"
    assert body["generated_at"].startswith("2018-01-25T00:00:00")  # the close of the last candle read
    assert body["model_id"] == "gentrade-offline-analyst-1" and body["outcome"] is None
    indicators, market = body["snapshots"]["indicators"], body["snapshots"]["market"]
    for key in (
        "rsi",
        "macd",
        "macd_signal",
        "macd_hist",
        "ema20",
        "ema50",
        "ema200",
        "bb_upper",
        "bb_middle",
        "bb_lower",
        "atr",
        "volume_24h",
    ):
        assert isinstance(indicators[key], float), key
    assert market["price"] == body["entry"] and isinstance(market["change_24h_pct"], float)
    assert market["fear_greed_index"] is None and market["news_sentiment"] is None
    assert sum(t["allocation"] for t in body["take_profits"]) == pytest.approx(1.0)

    again = api.client.post("/api/v1/signals", json={"pair": "ETH/BTC"}, headers=headers)
    assert again.status_code == 429 and again.json()["code"] == "rate_limited"
    assert int(again.headers["Retry-After"]) >= 1
    other = api.client.post("/api/v1/signals", json={"pair": "NOPE/BTC"}, headers=api.user())
    assert other.status_code == 422 and other.json()["code"] == "data_missing"  # per user, not global


def test_evaluate_stats_and_export(api: Api) -> None:
    _unlimited(api)
    headers = api.user()
    sid = api.client.post(
        "/api/v1/signals", json={"pair": "ETH/BTC", "timeframe": "1h", "as_of": AS_OF}, headers=headers
    ).json()["id"]
    evaluated = api.client.post(f"/api/v1/signals/{sid}/evaluate", headers=headers)
    assert evaluated.status_code == 200, evaluated.text
    body = evaluated.json()
    assert body["status"] in DECIDED
    assert body["outcome"]["outcome"]["status"] == body["status"]
    assert body["outcome"]["outcome"]["candle_timeframe"] == "5m"  # the finest stored candles
    assert body["outcome"]["net_pnl_pct"] == pytest.approx(body["outcome"]["outcome"]["net_pnl_pct"])
    assert api.client.get(f"/api/v1/signals/{sid}", headers=headers).json()["outcome"] == body["outcome"]

    stats = api.client.get("/api/v1/signals/stats", headers=headers).json()
    assert stats["total"] == 1 and stats["decided"] == 1 and stats["by_symbol"]["ETH/BTC"]["count"] == 1

    exported = api.client.get("/api/v1/signals/export", headers=headers)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 1 and rows[0]["symbol"] == "ETH/BTC" and rows[0]["status"] == body["status"]


def test_filters_and_pages(api: Api) -> None:
    headers = api.user()
    made = [
        _signal(),
        _signal(generated_at="2018-01-21T00:00:00Z"),
        _signal(
            symbol="LTC/BTC", entry=0.017, stop_loss=0.016, take_profits=[{"price": 0.018, "allocation": 1.0}]
        ),
        _signal(timeframe="4h", generated_at="2018-01-22T00:00:00Z"),
    ]
    ids = []
    for data in made:
        reply = api.client.post("/api/v1/signals/import", json={"signal": data}, headers=headers)
        assert reply.status_code == 201, reply.text
        ids.append(reply.json()["id"])

    def listed(**params: Any) -> list[int]:
        reply = api.client.get("/api/v1/signals", params=params, headers=headers)
        assert reply.status_code == 200, reply.text
        return [row["id"] for row in reply.json()["items"]]

    assert listed() == ids[::-1]
    assert listed(symbol="LTC/BTC") == [ids[2]]
    assert listed(timeframe="4h") == [ids[3]]
    assert listed(status="active") == ids[::-1] and listed(status="expired") == []
    assert listed(since="2018-01-21T00:00:00Z", until="2018-01-22T00:00:00Z") == [ids[1]]
    first = api.client.get("/api/v1/signals", params={"limit": 3}, headers=headers).json()
    rest = api.client.get(
        "/api/v1/signals", params={"limit": 3, "cursor": first["next_cursor"]}, headers=headers
    ).json()
    assert [r["id"] for r in first["items"] + rest["items"]] == ids[::-1] and rest["next_cursor"] is None


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"stop_loss": 0.091}, "signal.stop_loss"),
        ({"take_profits": [{"price": 0.089, "allocation": 1.0}]}, "signal.take_profits[0].price"),
        (
            {"take_profits": [{"price": 0.092, "allocation": 0.5}, {"price": 0.094, "allocation": 0.4}]},
            "signal.take_profits",
        ),
        ({"confidence": 150}, "signal.confidence"),
        ({"direction": "short"}, "signal.stop_loss"),
    ],
)
def test_bad_geometry_is_a_422_naming_the_field(api: Api, changes: dict[str, Any], path: str) -> None:
    reply = api.client.post("/api/v1/signals/import", json={"signal": _signal(**changes)}, headers=api.user())
    assert reply.status_code == 422
    assert path in {p["path"] for p in reply.json()["details"]}, reply.json()


def test_signal_becomes_a_strategy_and_again_a_new_version(api: Api) -> None:
    headers = api.user()
    sid = api.client.post("/api/v1/signals/import", json={"signal": _signal()}, headers=headers).json()["id"]
    first = api.client.post(f"/api/v1/signals/{sid}/strategy", headers=headers)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["created"] is True and body["strategy"]["name"] == f"SignalEthBtc1hLong{sid}"
    spec = body["strategy"]["version"]["spec"]
    targets = [level["target"]["percent"] for level in spec["take_profit"]]
    assert targets == pytest.approx([2.2222222, 4.4444444])
    assert spec["stop"]["initial"]["percent"] == pytest.approx(2.2222222)
    assert spec["entry_long"]["op"] == "crosses_above" and spec["entry_long"]["right"] == {"value": 0.09}
    version = body["strategy"]["version"]
    assert version["created_by_kind"] == "agent" and version["created_by_model_id"] == "outside-analyst"
    second = api.client.post(f"/api/v1/signals/{sid}/strategy", headers=headers).json()
    assert second["created"] is False and second["strategy"]["current_version"] == 2
    assert second["strategy"]["id"] == body["strategy"]["id"]


def test_another_users_signals_are_invisible(api: Api) -> None:
    a, b = api.user(), api.user()
    sid = api.client.post("/api/v1/signals/import", json={"signal": _signal()}, headers=a).json()["id"]
    assert api.client.post(f"/api/v1/signals/{sid}/evaluate", headers=a).status_code == 200
    for method, url in [
        ("GET", f"/api/v1/signals/{sid}"),
        ("POST", f"/api/v1/signals/{sid}/evaluate"),
        ("POST", f"/api/v1/signals/{sid}/strategy"),
        ("GET", "/api/v1/signals/2000000000"),
    ]:
        reply = api.client.request(method, url, headers=b)
        assert reply.status_code == 404, (method, url, reply.text)
        assert reply.json()["code"] == "not_found"
    assert api.client.get("/api/v1/signals", headers=b).json()["items"] == []
    assert api.client.get("/api/v1/signals/stats", headers=b).json()["total"] == 0
    exported = api.client.get("/api/v1/signals/export", headers=b).text
    assert list(csv.DictReader(io.StringIO(exported))) == []
    assert api.client.get(f"/api/v1/signals/{sid}", headers=a).json()["status"] in DECIDED

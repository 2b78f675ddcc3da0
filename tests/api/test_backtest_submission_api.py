"""Bad backtest requests are refused at submission (422 naming every bad field, no row, no rate-limit token
spent), a signal whose model fails upstream (502) costs no token, and no error a client reads carries a
server path. (Before: impossible timeranges and ranges or pairs with no candles were a 202 that failed in
the worker, two of them as ``internal_error``, each costing a token, with absolute paths in the messages.)"""

from __future__ import annotations

import re
from typing import Any

import pytest
from api_support import DATA_DIR, Api
from sqlalchemy import select
from test_chat_api import _llm_stub
from test_strategies_api import spec

from agents.llm import LLMSettings, ProviderConfig
from gentrade.db.models import RateBucket

BAD_TIMERANGES = ["20180131-20180101", "-", "00000000-00000000", "99999999-", "20180115-20180115"]
ABSOLUTE_PATH = re.compile(r"(?<![\w.:/~-])/(?!api/)[^\s/'\"]+/")


def _buckets(api: Api, headers: dict[str, str]) -> list[tuple[str, float]]:
    user_id = api.client.get("/api/v1/users/me", headers=headers).json()["id"]
    with api.sessions() as session:
        rows = session.execute(
            select(RateBucket.name, RateBucket.tokens).where(RateBucket.user_id == user_id)
        )
        return [(name, tokens) for name, tokens in rows]


def _strategy(api: Api, headers: dict[str, str], pairs: list[str]) -> int:
    reply = api.client.post("/api/v1/strategies", json={"spec": spec(pairs=pairs)}, headers=headers)
    assert reply.status_code == 201, reply.text
    return int(reply.json()["id"])


def _paths(body: dict[str, Any]) -> list[str]:
    return [problem["path"] for problem in body.get("details", [])]


@pytest.mark.parametrize("timerange", BAD_TIMERANGES)
def test_an_impossible_timerange_is_a_422_naming_it(api: Api, timerange: str) -> None:
    headers = api.user()
    sid = _strategy(api, headers, ["ETH/BTC"])
    reply = api.client.post(
        "/api/v1/backtests", json={"strategy_id": sid, "timerange": timerange}, headers=headers
    )
    assert reply.status_code == 422, reply.text
    assert reply.json()["code"] == "validation_error" and _paths(reply.json()) == ["timerange"]
    assert api.client.get("/api/v1/backtests", headers=headers).json()["total"] == 0
    assert _buckets(api, headers) == []  # no token taken


def test_pairs_and_ranges_without_candles_are_all_named_at_once(api: Api) -> None:
    headers = api.user()
    sid = _strategy(api, headers, ["ETH/BTC"])
    body = {"strategy_id": sid, "timerange": "20180115-20180120", "pairs": ["ETH/BTC", "DOGE/BTC", "XRP/BTC"]}
    reply = api.client.post("/api/v1/backtests", json=body, headers=headers)
    assert reply.status_code == 422, reply.text
    assert reply.json()["code"] == "data_missing" and _paths(reply.json()) == ["pairs[1]", "pairs[2]"]

    late = api.client.post(
        "/api/v1/backtests", json={"strategy_id": sid, "timerange": "20250101-20250201"}, headers=headers
    )
    assert late.status_code == 422 and _paths(late.json()) == ["timerange"], late.text
    spec_pairs = api.client.post(
        "/api/v1/backtests",
        json={"strategy_id": _strategy(api, headers, ["DOGE/BTC"]), "timerange": "20180115-20180120"},
        headers=headers,
    )
    assert spec_pairs.status_code == 422 and _paths(spec_pairs.json()) == ["spec.pairs[0]"], spec_pairs.text
    assert api.client.get("/api/v1/backtests", headers=headers).json()["total"] == 0
    assert _buckets(api, headers) == []


def test_a_good_request_still_takes_its_token(api: Api) -> None:
    headers = api.user()
    sid = _strategy(api, headers, ["ETH/BTC"])
    body = {"strategy_id": sid, "timerange": "20180115-20180116"}
    queued = api.client.post("/api/v1/backtests", json=body, headers=headers)
    assert queued.status_code == 202, queued.text
    assert [name for name, _ in _buckets(api, headers)] == ["backtest"]
    api.wait(queued.json()["id"])


def test_a_signal_that_fails_upstream_spends_no_token(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The signal limit is one per minute: a 502 that spent it would make the retry a 429."""
    stub_module = _llm_stub()
    with stub_module.serve(stub_module.StubLLM()) as stub:
        stub.script("main", stub_module.error(500), stub_module.error(500))
        provider = ProviderConfig(name="main", base_url=stub.base_url("main"), model="m", max_retries=0)
        monkeypatch.setattr(api.settings, "llm", LLMSettings(providers=[provider]))
        headers = api.user()
        body = {"pair": "ETH/BTC", "timeframe": "1h"}
        first = api.client.post("/api/v1/signals", json=body, headers=headers)
        again = api.client.post("/api/v1/signals", json=body, headers=headers)
    assert (first.status_code, first.json()["code"]) == (502, "llm_failed"), first.text
    assert (again.status_code, again.json()["code"]) == (502, "llm_failed"), again.text
    assert len(stub.requests["main"]) == 2
    assert _buckets(api, headers) == [("signal generation", float(api.settings.rate_signals_burst))]


def test_no_error_response_carries_a_server_path(api: Api) -> None:
    """Every error this module's requests can provoke, scanned for absolute paths and the server's dirs."""
    headers = api.user()
    sid = _strategy(api, headers, ["ETH/BTC"])
    requests: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", "/api/v1/backtests", {"strategy_id": sid, "timerange": tr}) for tr in BAD_TIMERANGES
    ]
    requests += [
        (
            "POST",
            "/api/v1/backtests",
            {"strategy_id": sid, "timerange": "20180115-20180120", "pairs": ["X/BTC"]},
        ),
        ("POST", "/api/v1/backtests", {"strategy_id": sid, "timerange": "20250101-20250201"}),
        ("POST", "/api/v1/backtests", {"strategy_id": 2_000_000, "timerange": "20180115-20180120"}),
        ("POST", "/api/v1/signals", {"pair": "DOGE/BTC", "timeframe": "1h"}),
        ("POST", "/api/v1/signals", {"pair": "ETH/BTC", "timeframe": "1h", "as_of": "2000-01-01T00:00:00Z"}),
        ("GET", "/api/v1/backtests/2000000/result.zip", None),
        ("POST", "/api/v1/strategies", {"spec": {"name": "x"}}),
    ]
    secrets = {str(DATA_DIR), str(DATA_DIR.resolve()), str(api.settings.user_dir.resolve())}
    for method, url, body in requests:
        reply = api.client.request(method, url, json=body, headers=headers)
        assert reply.status_code >= 400, (url, body, reply.text)
        text = reply.text
        assert not ABSOLUTE_PATH.search(text) and not any(s in text for s in secrets), (url, body, text)

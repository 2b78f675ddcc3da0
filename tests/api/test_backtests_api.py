"""Backtests through the API run the real engine and agree with calling run_backtest directly."""

from __future__ import annotations

import io
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from api_support import DATA_DIR, Api
from test_strategies_api import spec

from gentrade.api.ratelimit import RateLimiter
from gentrade.codegen import render
from gentrade.engine import run_backtest
from gentrade.errors import RateLimitedError
from gentrade.spec import parse_spec
from gentrade.tasks.execution import finite

PAIRS = ["ETH/BTC", "LTC/BTC"]
TIMERANGE = "20180115-20180120"


@pytest.mark.slow
def test_api_backtest_matches_direct_run(api: Api, tmp_path: Path) -> None:
    headers = api.user()
    data = spec("ApiVsCli", pairs=PAIRS)
    sid = api.client.post("/api/v1/strategies", json={"spec": data}, headers=headers).json()["id"]
    queued = api.client.post(
        "/api/v1/backtests", json={"strategy_id": sid, "timerange": TIMERANGE}, headers=headers
    )
    assert queued.status_code == 202 and queued.json()["status"] == "queued"
    bid = queued.json()["id"]
    api.executor.wait(bid, timeout=300)
    got = api.client.get(f"/api/v1/backtests/{bid}", headers=headers).json()
    assert got["status"] == "succeeded", got

    strategy_file = tmp_path / "ApiVsCli.py"
    strategy_file.write_text(render(parse_spec(data)))
    direct = run_backtest(strategy_file, DATA_DIR, TIMERANGE, PAIRS, results_dir=tmp_path / "runs")
    assert got["result"] == finite(direct.model_dump(mode="json"))
    # Issue 12.6: the API result names the costs it charged, the detail timeframe and the tick-grid moves.
    assert (got["result"]["exchange_fee"], got["result"]["slippage"]) == (0.001, 0.0005)
    assert got["result"]["timeframe_detail"] is None  # no 1m candles for these pairs in the shared data
    assert got["result"]["grid_moved_prices"] > 0 and got["result"]["warnings"] == []
    assert got["total_profit_pct"] == pytest.approx(direct.profit_total_pct)
    assert got["trades"] == direct.trades
    assert got["parameters"]["pairs"] == PAIRS

    archive = api.client.get(f"/api/v1/backtests/{bid}/result.zip", headers=headers)
    assert archive.status_code == 200
    assert any(name.endswith(".json") for name in zipfile.ZipFile(io.BytesIO(archive.content)).namelist())
    finished = api.client.post(f"/api/v1/backtests/{bid}/cancel", headers=headers)
    assert finished.status_code == 409

    second = api.client.post(
        "/api/v1/backtests", json={"strategy_id": sid, "timerange": "20180115-20180117"}, headers=headers
    ).json()["id"]
    api.executor.wait(second, timeout=300)
    compared = api.client.get(f"/api/v1/backtests/compare?ids={second},{bid}", headers=headers).json()[
        "items"
    ]
    assert [row["id"] for row in compared] == [second, bid]
    listed = api.client.get(
        "/api/v1/backtests",
        params={"strategy_id": sid, "sort": "-trades", "status": "succeeded"},
        headers=headers,
    ).json()
    assert listed["total"] == 2
    trades = [row["trades"] for row in listed["items"]]
    assert trades == sorted(trades, reverse=True)
    assert all("result" not in row for row in listed["items"])
    none = api.client.get("/api/v1/backtests", params={"min_profit_pct": 10_000}, headers=headers).json()
    assert none["total"] == 0


def test_a_range_with_no_candles_is_refused_before_anything_is_stored(api: Api) -> None:
    """It used to be accepted and fail in the worker; test_backtest_submission_api.py has the rest."""
    headers = api.user()
    sid = api.client.post(
        "/api/v1/strategies", json={"spec": spec(pairs=["ETH/BTC"])}, headers=headers
    ).json()["id"]
    refused = api.client.post(
        "/api/v1/backtests", json={"strategy_id": sid, "timerange": "20300101-20300102"}, headers=headers
    )
    assert refused.status_code == 422 and refused.json()["code"] == "data_missing", refused.text
    assert api.client.get("/api/v1/backtests", headers=headers).json()["total"] == 0


def test_cancel_queued_backtest_is_never_run(api: Api) -> None:
    headers = api.user()
    sid = api.client.post(
        "/api/v1/strategies", json={"spec": spec(pairs=["ETH/BTC"])}, headers=headers
    ).json()["id"]
    pool = api.executor._pool
    blockers = [pool.submit(time.sleep, 2) for _ in range(api.settings.backtest_workers)]
    bid = api.client.post(
        "/api/v1/backtests", json={"strategy_id": sid, "timerange": TIMERANGE}, headers=headers
    ).json()["id"]
    cancelled = api.client.post(f"/api/v1/backtests/{bid}/cancel", headers=headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    for blocker in blockers:
        blocker.result()
    got = api.client.get(f"/api/v1/backtests/{bid}", headers=headers).json()
    assert got["status"] == "cancelled" and got["started_at"] is None


def test_backtest_creation_is_rate_limited(api: Api) -> None:
    headers = api.user()
    sid = api.client.post(
        "/api/v1/strategies", json={"spec": spec(pairs=["ETH/BTC"])}, headers=headers
    ).json()["id"]
    services = api.client.app.state.services
    original = services.backtest_limiter
    services.backtest_limiter = RateLimiter("backtest", per_minute=1, capacity=1, engine=services.engine)
    try:
        body = {"strategy_id": sid, "timerange": "20180115-20180116"}
        first = api.client.post("/api/v1/backtests", json=body, headers=headers)
        second = api.client.post("/api/v1/backtests", json=body, headers=headers)
    finally:
        services.backtest_limiter = original
    assert first.status_code == 202
    assert second.status_code == 429 and second.json()["code"] == "rate_limited"
    assert int(second.headers["retry-after"]) >= 1
    api.executor.wait(first.json()["id"], timeout=120)


def test_token_bucket_refills(api: Api) -> None:
    now = [0.0]
    engine = api.client.app.state.services.engine  # type: ignore[attr-defined]
    limiter = RateLimiter("refill-test", per_minute=60, capacity=2, engine=engine, clock=lambda: now[0])
    limiter.take(1)
    limiter.take(1)
    with pytest.raises(RateLimitedError, match="try again in 1 s"):
        limiter.take(1)
    limiter.take(2)
    now[0] = 1.0
    limiter.take(1)
    with pytest.raises(RateLimitedError):
        limiter.take(1)


def _try_take(limiter: RateLimiter, user_id: int) -> bool:
    try:
        limiter.take(user_id)
    except RateLimitedError:
        return False
    return True


def test_every_api_process_draws_from_one_bucket(api: Api) -> None:
    """Two limiters on one database, as in two processes of ``serve --workers 2``: the second cannot hand
    out the tokens the first already spent, and a bucket created concurrently is not created twice."""
    now = [100.0]
    engine = api.client.app.state.services.engine  # type: ignore[attr-defined]
    first, second = (
        RateLimiter("shared-test", per_minute=1, capacity=3, engine=engine, clock=lambda: now[0])
        for _ in range(2)
    )
    first.take(7)
    second.take(7)
    first.take(7)
    with pytest.raises(RateLimitedError, match="try again in 60 s"):
        second.take(7)
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(_try_take, [first, second] * 4, [8] * 8))
    assert outcomes.count(True) == 3 and outcomes.count(False) == 5
    # First takes racing on 40 new buckets: a bucket another process created, or a take it committed,
    # between this process's statements must not read as an empty bucket.
    users = [100 + k // 3 for k in range(120)]  # each takes its whole capacity of 3
    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(_try_take, [first, second] * 60, users))
    assert all(outcomes)


@pytest.mark.parametrize("ids", ["²", "1,²", "٣", "1,-2", "0", "1,,x", "2147483648", ",".join(["1"] * 21)])
def test_compare_with_ids_that_are_not_ids_is_a_400_naming_the_parameter(api: Api, ids: str) -> None:
    reply = api.client.get("/api/v1/backtests/compare", params={"ids": ids}, headers=api.user())
    assert reply.status_code == 400, reply.text
    assert reply.json()["code"] == "invalid_request" and reply.json()["message"].startswith("ids ")

"""Many backtests through the API at once, two worker processes: every one succeeds exactly once.

The count is ``GENTRADE_TEST_CONCURRENT_BACKTESTS`` (default 100, the issue's number: with children forked
from a warm zygote a backtest of the tiny data costs ~0.5 s, so both brokers take about a minute each).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from taskkit import api_client, broker_url, create_strategy, login, queue_backtest, stack

from gentrade.db.testing import fresh_database

COUNT = int(os.environ.get("GENTRADE_TEST_CONCURRENT_BACKTESTS", "100"))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "backend"),
    [("redis", "postgresql"), ("embedded", "sqlite")],
    ids=["redis-pg", "embedded-sqlite"],
)
def test_concurrent_backtests_all_succeed_once(
    kind: str, backend: str, tmp_path: Path, tiny_data_dir: Path
) -> None:
    with (
        fresh_database(backend, tmp_path) as db,
        stack(tmp_path, db, broker_url(kind, tmp_path), tiny_data_dir) as s,
    ):
        s.start_worker("one")
        s.start_worker("two")
        with api_client(s) as client:
            headers = login(client)
            strategy = create_strategy(client, headers)
            with ThreadPoolExecutor(max_workers=16) as pool:
                ids = list(pool.map(lambda _i: queue_backtest(client, headers, strategy), range(COUNT)))
            assert len(set(ids)) == COUNT
            rows = s.wait_final(ids, timeout=60 + 15 * COUNT)
            listed = client.get("/api/v1/backtests", params={"limit": 200}, headers=headers).json()
        assert {row.status for row in rows.values()} == {"succeeded"}, {
            i: (r.status, r.error_message) for i, r in rows.items() if r.status != "succeeded"
        }
        assert listed["total"] == COUNT
        logs = s.worker_log("one") + s.worker_log("two")
        finished = [line for line in logs.splitlines() if '"message": "backtest finished"' in line]
        assert len(finished) == COUNT
        assert all('"stored": true' in line for line in finished)
        assert logs.count("Task gentrade.backtests.run") >= COUNT

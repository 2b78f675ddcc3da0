"""At-least-once delivery, exactly-once results: a worker killed mid-backtest loses nothing."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from taskkit import (
    api_client,
    broker_url,
    create_strategy,
    kill_tree,
    login,
    queue_backtest,
    runs_backtest,
    stack,
)

from gentrade.db.testing import fresh_database


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["redis", "embedded"])
def test_worker_killed_mid_backtest_is_redelivered_once(
    kind: str, tmp_path: Path, tiny_data_dir: Path
) -> None:
    with (
        fresh_database("sqlite", tmp_path) as db,
        stack(tmp_path, db, broker_url(kind, tmp_path), tiny_data_dir) as s,
    ):
        with api_client(s) as client:
            headers = login(client)
            bid = queue_backtest(client, headers, create_strategy(client, headers))
        doomed = s.start_worker("doomed")
        deadline = time.monotonic() + 60
        while not runs_backtest(doomed.pid):
            assert time.monotonic() < deadline, s.worker_log("doomed")
            time.sleep(0.05)
        assert s.rows([bid])[bid].status == "running"
        first_start = s.rows([bid])[bid].started_at
        kill_tree(doomed.pid, signal.SIGKILL)
        doomed.wait()

        s.start_worker("rescuer")
        row = s.wait_final([bid], timeout=s.settings.task_visibility_timeout_s + 90)[bid]
        assert row.status == "succeeded", (row.error_code, row.error_message, s.worker_log("rescuer"))
        assert row.started_at > first_start  # re-claimed by the redelivery, not finished by the dead worker
        assert row.result is not None and row.trades == row.result["trades"]
        rescuer_log = s.worker_log("rescuer")
        assert rescuer_log.count('"message": "backtest finished"') == 1
        assert '"take_over": true' in rescuer_log

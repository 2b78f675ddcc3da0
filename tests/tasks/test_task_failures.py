"""What a task does when the strategy is at fault (fail once, freqtrade's message) and when the broker is
down (503, no row, and work flows again once it is back), and that the request id reaches freqtrade's log."""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest
from taskkit import (
    api_client,
    broker_url,
    create_strategy,
    free_port,
    login,
    private_redis,
    queue_backtest,
    stack,
)

from gentrade.db.models import Backtest, StrategyVersion
from gentrade.db.testing import fresh_database


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["redis", "embedded"])
def test_strategy_error_fails_once_without_retry(kind: str, tmp_path: Path, tiny_data_dir: Path) -> None:
    with (
        fresh_database("sqlite", tmp_path) as db,
        stack(tmp_path, db, broker_url(kind, tmp_path), tiny_data_dir) as s,
    ):
        s.start_worker("w")
        with api_client(s) as client:
            headers = login(client)
            strategy = create_strategy(client, headers)
            _make_indicators_raise(s.sessions, strategy)
            queued = client.post(
                "/api/v1/backtests",
                json={"strategy_id": strategy, "timerange": "20240102-20240103"},
                headers={**headers, "X-Request-ID": "req-strategy-boom"},
            )
            assert queued.status_code == 202, queued.text
            bid = queued.json()["id"]
            row = s.wait_final([bid], timeout=120)[bid]
        assert row.status == "failed"
        assert row.error_code == "strategy_error", row.error_message
        assert "indicator exploded on purpose" in (row.error_message or "")
        log = s.worker_log("w")
        assert log.count('"message": "backtest delivered"') == 1  # no retry
        assert "retrying" not in log
        delivered = next(line for line in log.splitlines() if '"backtest delivered"' in line)
        assert '"request_id": "req-strategy-boom"' in delivered
        freqtrade_logs = list((s.settings.user_dir / "work").rglob("worker.log"))
        assert len(freqtrade_logs) == 1
        assert "request_id=req-strategy-boom" in freqtrade_logs[0].read_text()


def _make_indicators_raise(sessions: object, strategy_id: int) -> None:
    """Make the stored source's own populate_indicators raise first thing: audited source that fails at run
    time, the strategy's fault (rebinding the method from outside the class is refused by the audit)."""
    with sessions() as session:  # type: ignore[operator]
        version = session.query(StrategyVersion).filter(StrategyVersion.strategy_id == strategy_id).one()
        lines = version.source.splitlines(keepends=True)
        method = next(
            node
            for node in ast.walk(ast.parse(version.source))
            if isinstance(node, ast.FunctionDef) and node.name == "populate_indicators"
        )
        first = method.body[0]
        raising = " " * first.col_offset + "raise ValueError('indicator exploded on purpose')\n"
        lines.insert(first.lineno - 1, raising)
        version.source = "".join(lines)
        session.commit()


def test_broker_down_answers_503_without_a_row_and_recovers(tmp_path: Path, tiny_data_dir: Path) -> None:
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    with (
        fresh_database("sqlite", tmp_path) as db,
        stack(tmp_path, db, url, tiny_data_dir) as s,
        api_client(s) as client,
    ):
        headers = login(client)
        strategy = create_strategy(client, headers)
        started = time.monotonic()
        refused = client.post(
            "/api/v1/backtests",
            json={"strategy_id": strategy, "timerange": "20240102-20240103"},
            headers=headers,
        )
        assert refused.status_code == 503, refused.text
        assert refused.json()["code"] == "broker_unavailable"
        assert time.monotonic() - started < 15
        with s.sessions() as session:
            assert session.query(Backtest).count() == 0

        with private_redis(port, tmp_path):
            bid = queue_backtest(client, headers, strategy)
            s.start_worker("late")
            row = s.wait_final([bid], timeout=120)[bid]
            assert row.status == "succeeded", row.error_message
            s.stop_workers()

        again = client.post(
            "/api/v1/backtests",
            json={"strategy_id": strategy, "timerange": "20240102-20240103"},
            headers=headers,
        )
        assert again.status_code == 503
        with s.sessions() as session:
            assert [b.id for b in session.query(Backtest)] == [bid]

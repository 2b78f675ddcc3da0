"""A backtest row whose message was never published (the API died in between) is run by the beat's
sweep once the queue is empty, exactly once; a row still waiting behind queued messages is left alone."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from taskkit import api_client, broker_url, create_strategy, login, queue_backtest, stack

from gentrade.db.base import utcnow
from gentrade.db.models import Backtest, Strategy, User
from gentrade.db.repositories import backtests as repo
from gentrade.db.repositories import strategies as strategies_repo
from gentrade.db.testing import fresh_database
from gentrade.tasks.app import make_celery
from gentrade.tasks.stranded import requeue_stranded


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["redis", "embedded"])
def test_stranded_backtest_runs_once_the_queue_is_empty(
    kind: str, tmp_path: Path, tiny_data_dir: Path
) -> None:
    broker = broker_url(kind, tmp_path)
    with fresh_database("sqlite", tmp_path) as db, stack(tmp_path, db, broker, tiny_data_dir) as s:
        tasks = make_celery(s.settings)
        with api_client(s) as client:
            headers = login(client)
            strategy_id = create_strategy(client, headers)
            waiting = queue_backtest(client, headers, strategy_id)  # published; no worker runs yet
        with s.sessions() as session:
            strategy = session.get(Strategy, strategy_id)
            assert strategy is not None
            owner = session.get(User, strategy.owner_id)
            version = strategies_repo.version(session, strategy)
            assert owner is not None and version is not None
            parameters = session.get(Backtest, waiting).parameters  # type: ignore[union-attr]
            lost = repo.create(session, owner, strategy, version, parameters)  # stored, never published
            lost.created_at = utcnow() - timedelta(hours=1)
            session.commit()
            lost_id = lost.id

        assert requeue_stranded(tasks, s.sessions, s.settings) == []  # the queue still holds a message
        s.start_worker("sweeper")
        s.wait_final([waiting], timeout=120)
        assert requeue_stranded(tasks, s.sessions, s.settings) == [lost_id]
        rows = s.wait_final([waiting, lost_id], timeout=120)
        assert {r.status for r in rows.values()} == {"succeeded"}
        assert requeue_stranded(tasks, s.sessions, s.settings) == []  # nothing queued is left
        finished = [line for line in s.worker_log("sweeper").splitlines() if '"backtest finished"' in line]
        assert len(finished) == 2
        tasks.close()

"""The executor's claim with a lease, on both backends: a queued row is claimed once; a running one only by
a delivery the queue says took over, or once its lease ran out; a cancelled or deleted row never. The
cancel watch reads the status whoever owns the row, and None once it is gone."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from gentrade.db.base import utcnow
from gentrade.db.migrate import upgrade
from gentrade.db.models import Backtest
from gentrade.db.repositories import backtests as repo
from gentrade.db.repositories import strategies as strategies_repo
from gentrade.db.repositories.users import create_user

HOUR = timedelta(hours=1)


def _queued(session: Session, email: str) -> int:
    owner = create_user(session, email, "not-a-real-hash")
    content = strategies_repo.NewVersion(spec={}, source="", audit={})
    strategy, version = strategies_repo.create(session, owner, "claims", content)
    backtest = repo.create(session, owner, strategy, version, {})
    session.commit()
    return backtest.id


def test_claim_with_lease(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    with Session(empty_engine) as session:
        backtest_id = _queued(session, "claims@example.com")
        assert repo.status_of(session, backtest_id) == "queued"
        assert repo.claim_with_lease(session, backtest_id, take_over=False, lease=HOUR)
        assert repo.status_of(session, backtest_id) == "running"
        assert not repo.claim_with_lease(
            session, backtest_id, take_over=False, lease=HOUR
        )  # held, lease fresh
        assert repo.claim_with_lease(session, backtest_id, take_over=True, lease=HOUR)  # a redelivery
        session.execute(update(Backtest).values(started_at=utcnow() - 2 * HOUR))
        session.commit()
        assert repo.claim_with_lease(session, backtest_id, take_over=False, lease=HOUR)  # the lease ran out
        assert not repo.claim_with_lease(session, backtest_id, take_over=False, lease=HOUR)  # and restarted


def test_cancelled_or_deleted_rows_are_never_claimed(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    with Session(empty_engine) as session:
        backtest_id = _queued(session, "cancel@example.com")
        backtest = session.get(Backtest, backtest_id)
        assert backtest is not None
        repo.cancel(session, backtest)
        session.commit()
        assert repo.status_of(session, backtest_id) == "cancelled"
        assert not repo.claim_with_lease(session, backtest_id, take_over=True, lease=timedelta(0))
        repo.remove(session, backtest)
        session.commit()
        assert repo.status_of(session, backtest_id) is None
        assert not repo.claim_with_lease(session, backtest_id, take_over=True, lease=timedelta(0))

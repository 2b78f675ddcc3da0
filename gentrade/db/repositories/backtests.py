"""Backtest rows: queued by the API, claimed and finished by an executor, read back by anyone who owns them.

Status changes are conditional UPDATEs (``WHERE status = ...``) so a redelivered task, a cancel racing a
finish, or a deleted row all resolve in the database rather than in whoever happens to write last.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, false, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from gentrade.db.base import utcnow
from gentrade.db.models import BACKTEST_METRICS, Backtest, Strategy, StrategyVersion, User
from gentrade.db.repositories.scope import get_owned, scoped
from gentrade.errors import ConflictError, NotFoundError

SORT_KEYS = ("created_at", "id", *BACKTEST_METRICS)
ACTIVE = ("queued", "running")


@dataclass(frozen=True)
class BacktestFilter:
    strategy_id: int | None = None
    status: str | None = None
    min_profit_pct: float | None = None
    max_drawdown_pct: float | None = None
    min_trades: int | None = None


def create(
    session: Session, owner: User, strategy: Strategy, version: StrategyVersion, parameters: dict[str, Any]
) -> Backtest:
    backtest = Backtest(
        owner_id=owner.id,
        strategy_id=strategy.id,
        strategy_version_id=version.id,
        version_number=version.number,
        parameters=parameters,
        status="queued",
        idempotency_key=uuid.uuid4().hex,
    )
    session.add(backtest)
    session.flush()
    return backtest


def add_finished(
    session: Session,
    owner: User,
    version: StrategyVersion,
    parameters: dict[str, Any],
    key: str,
    metrics: dict[str, Any],
    result: dict[str, Any],
    result_zip: str,
) -> Backtest:
    """A succeeded row for a run made outside the executor (the quickstart's), in the caller's transaction;
    ``key`` is its idempotency key, so the same run is recognised by ``by_key`` when offered again."""
    now = utcnow()
    backtest = Backtest(
        owner_id=owner.id,
        strategy_id=version.strategy_id,
        strategy_version_id=version.id,
        version_number=version.number,
        parameters=parameters,
        status="succeeded",
        idempotency_key=key,
        result=result,
        result_zip=result_zip,
        started_at=now,
        finished_at=now,
        **{name: metrics.get(name) for name in BACKTEST_METRICS},
    )
    session.add(backtest)
    try:
        session.flush()
    except IntegrityError:  # the same run stored by a concurrent request since the caller looked
        session.rollback()
        raise ConflictError("this run was stored by another request meanwhile; try again") from None
    return backtest


def by_key(session: Session, owner: User, key: str) -> Backtest | None:
    return session.scalar(
        select(Backtest).where(Backtest.owner_id == owner.id, Backtest.idempotency_key == key)
    )


def stranded(session: Session, queued_before: datetime, limit: int = 1000) -> list[int]:
    """Rows still queued that were created before ``queued_before``, oldest first."""
    stmt = (
        select(Backtest.id)
        .where(Backtest.status == "queued", Backtest.created_at < queued_before)
        .order_by(Backtest.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def get(session: Session, backtest_id: int, actor: User) -> Backtest:
    return get_owned(session, Backtest, backtest_id, actor)


def _conditions(filters: BacktestFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.strategy_id is not None:
        conditions.append(Backtest.strategy_id == filters.strategy_id)
    if filters.status is not None:
        conditions.append(Backtest.status == filters.status)
    if filters.min_profit_pct is not None:
        conditions.append(Backtest.total_profit_pct >= filters.min_profit_pct)
    if filters.max_drawdown_pct is not None:
        conditions.append(Backtest.max_drawdown_pct <= filters.max_drawdown_pct)
    if filters.min_trades is not None:
        conditions.append(Backtest.trades >= filters.min_trades)
    return conditions


def page(
    session: Session,
    actor: User,
    filters: BacktestFilter,
    *,
    sort: str = "-created_at",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Backtest], int]:
    """A page of backtests without their result JSON, and the total matching count.

    Sorting by a metric puts backtests without that metric (not finished) last in either direction.
    """
    key = sort.lstrip("-")
    column = getattr(Backtest, key)
    order = column.desc() if sort.startswith("-") else column.asc()
    conditions = _conditions(filters)
    stmt = scoped(select(Backtest), Backtest, actor).where(*conditions)
    rows = session.scalars(
        stmt.options(defer(Backtest.result))
        .order_by(order.nulls_last(), Backtest.id.desc())
        .limit(limit)
        .offset(offset)
    )
    total = session.scalar(scoped(select(func.count(Backtest.id)), Backtest, actor).where(*conditions)) or 0
    return list(rows), total


def many(session: Session, ids: list[int], actor: User) -> list[Backtest]:
    """The backtests in the order asked; any missing or foreign id makes the whole request a 404."""
    found = {
        b.id: b
        for b in session.scalars(scoped(select(Backtest), Backtest, actor).where(Backtest.id.in_(ids)))
    }
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFoundError(f"backtest(s) {', '.join(map(str, missing))} not found")
    return [found[i] for i in ids]


def statuses(session: Session, ids: list[int], actor: User) -> dict[int, str]:
    """The status of each of ``ids`` the actor can see (a deleted or foreign one is left out): one small
    query, cheap enough to poll while waiting for a backtest to finish."""
    stmt = scoped(select(Backtest.id, Backtest.status), Backtest, actor).where(Backtest.id.in_(ids))
    return {row.id: row.status for row in session.execute(stmt)}


def succeeded_metrics(session: Session, owner: User) -> Sequence[tuple[int, float | None, float | None]]:
    """(version id, total profit %, Sharpe) of each of the owner's own succeeded backtests (admin or not)."""
    stmt = select(Backtest.strategy_version_id, Backtest.total_profit_pct, Backtest.sharpe).where(
        Backtest.owner_id == owner.id, Backtest.status == "succeeded"
    )
    return session.execute(stmt).tuples().all()


def cancel(session: Session, backtest: Backtest) -> None:
    if backtest.status not in ACTIVE:
        raise ConflictError(f"backtest {backtest.id} is already {backtest.status}")
    session.execute(
        update(Backtest)
        .where(Backtest.id == backtest.id, Backtest.status.in_(ACTIVE))
        .values(status="cancelled", finished_at=utcnow())
    )
    session.refresh(backtest)


def remove(session: Session, backtest: Backtest) -> None:
    session.execute(delete(Backtest).where(Backtest.id == backtest.id))


def claim(session: Session, backtest_id: int) -> bool:
    """Move a queued backtest to running; False when it is gone, cancelled or already claimed."""
    result = session.execute(
        update(Backtest)
        .where(Backtest.id == backtest_id, Backtest.status == "queued")
        .values(status="running", started_at=utcnow())
    )
    session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined]


def claim_with_lease(session: Session, backtest_id: int, *, take_over: bool, lease: timedelta) -> bool:
    """queued → running; or running → running when the previous holder is gone: ``take_over`` (the queue
    says so) or a run started longer than ``lease`` ago. ``started_at`` is reset: the lease starts again."""
    now = utcnow()
    abandoned = and_(
        Backtest.status == "running", or_(true() if take_over else false(), Backtest.started_at < now - lease)
    )
    result = session.execute(
        update(Backtest)
        .where(Backtest.id == backtest_id, or_(Backtest.status == "queued", abandoned))
        .values(status="running", started_at=now)
    )
    session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined]


def status_of(session: Session, backtest_id: int) -> str | None:
    """The row's status whoever owns it (None once deleted): for the executor's cancel watch, not a user."""
    return session.scalar(select(Backtest.status).where(Backtest.id == backtest_id))


def job(session: Session, backtest_id: int) -> tuple[Backtest, StrategyVersion] | None:
    row = session.execute(
        select(Backtest, StrategyVersion)
        .join(StrategyVersion, StrategyVersion.id == Backtest.strategy_version_id)
        .where(Backtest.id == backtest_id)
    ).first()
    return None if row is None else (row[0], row[1])


def succeed(
    session: Session, backtest_id: int, metrics: dict[str, Any], result: dict[str, Any], result_zip: str
) -> bool:
    """Store a finished run unless the backtest was cancelled or deleted meanwhile."""
    values = {key: metrics.get(key) for key in BACKTEST_METRICS}
    outcome = session.execute(
        update(Backtest)
        .where(Backtest.id == backtest_id, Backtest.status == "running")
        .values(status="succeeded", result=result, result_zip=result_zip, finished_at=utcnow(), **values)
    )
    session.commit()
    return outcome.rowcount == 1  # type: ignore[attr-defined]


def fail(session: Session, backtest_id: int, code: str, message: str) -> bool:
    outcome = session.execute(
        update(Backtest)
        .where(Backtest.id == backtest_id, Backtest.status == "running")
        .values(status="failed", error_code=code, error_message=message[:4000], finished_at=utcnow())
    )
    session.commit()
    return outcome.rowcount == 1  # type: ignore[attr-defined]

"""Optimisations: the queued row, its claim by the runner, its progress and its end.

A row is owned like a strategy (someone else's is a 404 like a missing one); the runner's reads are not a
user's and see any row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from gentrade.db.base import utcnow
from gentrade.db.models import Optimization, Strategy, StrategyVersion, User
from gentrade.db.repositories.scope import get_owned
from gentrade.errors import OptimizeFailedError


def create(
    session: Session, owner: User, strategy: Strategy, version: StrategyVersion, request: dict[str, Any]
) -> Optimization:
    """A queued row for ``version``, flushed so the caller can record and publish its id."""
    row = Optimization(
        owner_id=owner.id,
        strategy_id=strategy.id,
        source_version_id=version.id,
        status="queued",
        request=request,
    )
    session.add(row)
    session.flush()
    return row


def get(session: Session, optimization_id: int, actor: User) -> Optimization:
    """The actor's row, or NotFoundError: missing and foreign look the same."""
    return get_owned(session, Optimization, optimization_id, actor)


def start(session: Session, optimization_id: int) -> tuple[Optimization, StrategyVersion]:
    """queued → running (stamped, in the caller's transaction), with the version it optimises; an
    OptimizeFailedError when the row is not queued (gone, or claimed already) or its version is gone."""
    row = session.get(Optimization, optimization_id)
    if row is None or row.status != "queued":
        raise OptimizeFailedError(f"optimization {optimization_id} is not queued")
    row.status, row.started_at = "running", utcnow()
    source = session.get(StrategyVersion, row.source_version_id)
    if source is None:
        raise OptimizeFailedError(f"optimization {optimization_id} lost its strategy version")
    return row, source


def set_progress(session: Session, optimization_id: int, progress: dict[str, Any]) -> None:
    """Record the latest progress, in the caller's transaction; nothing when the row was deleted meanwhile."""
    row = session.get(Optimization, optimization_id)
    if row is not None:
        row.progress = progress


def running(session: Session, optimization_id: int) -> Optimization:
    """The row a runner is finishing, or OptimizeFailedError when it was deleted while it ran."""
    row = session.get(Optimization, optimization_id)
    if row is None:
        raise OptimizeFailedError(f"optimization {optimization_id} was deleted while it ran")
    return row


def strategy_of(session: Session, row: Optimization) -> Strategy:
    """The strategy the result version is added to, or OptimizeFailedError when it is gone."""
    strategy = session.get(Strategy, row.strategy_id)
    if strategy is None:
        raise OptimizeFailedError(f"optimization {row.id} lost its strategy")
    return strategy

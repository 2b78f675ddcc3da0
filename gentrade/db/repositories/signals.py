"""Trade signals and their outcomes: every statement the signal service, the signals router and the CLI
run against the two tables.

A signal is owned; someone else's is a 404 exactly like a missing one. The sweep's reads see every user's
rows, since the beat evaluates all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from gentrade.db.models import SignalOutcome as OutcomeRow
from gentrade.db.models import TradeSignal as SignalRow
from gentrade.db.models import User
from gentrade.db.repositories.scope import S, scoped
from gentrade.errors import NotFoundError

ACTIVE = "active"
WAITING = (ACTIVE, "pending")
"""Statuses a later sweep must look at again: not yet evaluated, or evaluated before the data reached the
expiry (still open, or its entry not reached yet)."""


def add(session: Session, row: SignalRow) -> SignalRow:
    """Insert and flush, so the caller can record the new id in the same transaction."""
    session.add(row)
    session.flush()
    return row


def get(session: Session, signal_id: int, actor: User) -> SignalRow:
    """The row, or the same 404 whether it is missing or someone else's."""
    row = session.get(SignalRow, signal_id)
    if row is None or (row.owner_id != actor.id and not actor.is_admin):
        raise NotFoundError(f"signal {signal_id} not found")
    return row


def outcome_of(session: Session, row: SignalRow) -> OutcomeRow | None:
    """The signal's outcome row, none until it is first evaluated."""
    return session.scalar(select(OutcomeRow).where(OutcomeRow.signal_id == row.id))


def put_outcome(session: Session, stored: OutcomeRow) -> None:
    """Add a new outcome row (an existing one is already in the session; adding it again is harmless)."""
    session.add(stored)


@dataclass(frozen=True)
class SignalFilter:
    """The listing, statistics and export filters; ``None`` leaves a field unfiltered."""

    symbol: str | None = None
    status: str | None = None
    timeframe: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def apply(self, stmt: S) -> S:
        if self.symbol is not None:
            stmt = stmt.where(SignalRow.symbol == self.symbol)
        if self.status is not None:
            stmt = stmt.where(SignalRow.status == self.status)
        if self.timeframe is not None:
            stmt = stmt.where(SignalRow.timeframe == self.timeframe)
        if self.since is not None:
            stmt = stmt.where(SignalRow.generated_at >= self.since)
        if self.until is not None:
            stmt = stmt.where(SignalRow.generated_at < self.until)
        return stmt


def page(
    session: Session, actor: User, where: SignalFilter, *, limit: int, before_id: int | None = None
) -> tuple[list[SignalRow], int | None]:
    """Newest first by id (ids grow with insertion); the cursor is the last id shown."""
    stmt = where.apply(scoped(select(SignalRow), SignalRow, actor))
    if before_id is not None:
        stmt = stmt.where(SignalRow.id < before_id)
    rows = list(session.scalars(stmt.order_by(SignalRow.id.desc()).limit(limit + 1)))
    return rows[:limit], rows[limit - 1].id if len(rows) > limit else None


def evaluated(
    session: Session, actor: User, where: SignalFilter | None = None, *, own_only: bool = False
) -> list[tuple[SignalRow, OutcomeRow]]:
    """Every (signal, outcome row) pair of the actor's evaluated signals, oldest first (an admin's include
    everyone's unless ``own_only``: a report of the actor's own track record must not mix in others')."""
    stmt = select(SignalRow, OutcomeRow).join(OutcomeRow)
    stmt = stmt.where(SignalRow.owner_id == actor.id) if own_only else scoped(stmt, SignalRow, actor)
    stmt = (where or SignalFilter()).apply(stmt).order_by(SignalRow.generated_at, SignalRow.id)
    return [(row, out) for row, out in session.execute(stmt)]


def counts_by_model(session: Session, owner: User) -> Sequence[tuple[str | None, int]]:
    """How many signals the owner has (their own, admin or not) per ``model_id``."""
    stmt = select(SignalRow.model_id, func.count()).where(SignalRow.owner_id == owner.id)
    return session.execute(stmt.group_by(SignalRow.model_id)).tuples().all()


def _due(moment: datetime) -> tuple[ColumnElement[bool], ...]:
    return (SignalRow.status.in_(WAITING), SignalRow.expires_at <= moment)


def due_kinds(session: Session, moment: datetime) -> Sequence[tuple[str, str]]:
    """The distinct (symbol, timeframe) of every user's signals waiting and expired by ``moment``."""
    stmt = select(SignalRow.symbol, SignalRow.timeframe).where(*_due(moment)).distinct()
    return session.execute(stmt).tuples().all()


def due_with_outcomes(
    session: Session, moment: datetime, symbol: str, timeframes: Sequence[str]
) -> list[tuple[SignalRow, OutcomeRow | None]]:
    """The due signals of ``symbol`` at one of ``timeframes`` by id, each with its outcome row if any.

    The due condition is read again here, so a signal deleted or evaluated since ``due_kinds`` is left out.
    """
    stmt = (
        select(SignalRow, OutcomeRow)
        .outerjoin(OutcomeRow)
        .where(*_due(moment), SignalRow.symbol == symbol, SignalRow.timeframe.in_(timeframes))
        .order_by(SignalRow.id)
    )
    return [(row, stored) for row, stored in session.execute(stmt)]

"""Strategies and their immutable versions (every PUT adds a version; old ones stay readable)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Row, delete, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gentrade.db.base import utcnow
from gentrade.db.models import Strategy, StrategyVersion, User
from gentrade.db.repositories.scope import get_owned, scoped
from gentrade.errors import ConflictError, InvalidRequestError, NotFoundError

StrategySort = Literal["-created_at", "created_at", "name", "-name"]


@dataclass(frozen=True)
class NewVersion:
    spec: dict[str, Any]
    source: str
    audit: dict[str, Any]
    created_by_kind: str = "person"
    created_by_model_id: str | None = None


def _add_version(session: Session, strategy: Strategy, number: int, content: NewVersion) -> StrategyVersion:
    version = StrategyVersion(
        strategy_id=strategy.id,
        number=number,
        spec=content.spec,
        source=content.source,
        audit=content.audit,
        created_by_kind=content.created_by_kind,
        created_by_model_id=content.created_by_model_id,
    )
    session.add(version)
    return version


def _flush_or_conflict(session: Session, name: str) -> None:
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ConflictError(f"you already have a strategy named {name}") from None


def create(session: Session, owner: User, name: str, content: NewVersion) -> tuple[Strategy, StrategyVersion]:
    strategy = Strategy(owner_id=owner.id, name=name, current_version=1)
    session.add(strategy)
    _flush_or_conflict(session, name)
    version = _add_version(session, strategy, 1, content)
    session.flush()
    return strategy, version


def add_version(session: Session, strategy: Strategy, name: str, content: NewVersion) -> StrategyVersion:
    strategy.current_version += 1
    strategy.name = name
    strategy.updated_at = utcnow()
    version = _add_version(session, strategy, strategy.current_version, content)
    _flush_or_conflict(session, name)
    return version


def get(session: Session, strategy_id: int, actor: User) -> Strategy:
    return get_owned(session, Strategy, strategy_id, actor)


def version(session: Session, strategy: Strategy, number: int | None = None) -> StrategyVersion:
    wanted = strategy.current_version if number is None else number
    row = session.scalar(
        select(StrategyVersion).where(
            StrategyVersion.strategy_id == strategy.id, StrategyVersion.number == wanted
        )
    )
    if row is None:
        raise NotFoundError(f"strategy {strategy.id} has no version {wanted}")
    return row


def versions(session: Session, strategy: Strategy) -> list[Row[Any]]:
    """Version metadata, newest first; specs and sources are left out (ask for one version to get them)."""
    stmt = (
        select(
            StrategyVersion.number,
            StrategyVersion.created_by_kind,
            StrategyVersion.created_by_model_id,
            StrategyVersion.created_at,
        )
        .where(StrategyVersion.strategy_id == strategy.id)
        .order_by(StrategyVersion.number.desc())
    )
    return list(session.execute(stmt))


def remove(session: Session, strategy: Strategy) -> None:
    session.execute(delete(Strategy).where(Strategy.id == strategy.id))


def encode_cursor(value: Any, row_id: int) -> str:
    raw = json.dumps([value.isoformat() if isinstance(value, datetime) else value, row_id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: StrategySort) -> tuple[Any, int]:
    try:
        value, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if sort.lstrip("-") == "created_at":
            value = datetime.fromisoformat(value)
        if not isinstance(row_id, int) or not isinstance(value, str | datetime):
            raise ValueError(cursor)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidRequestError(
            "cursor is not one this list handed out (it depends on the sort too)"
        ) from None
    return value, row_id


def page(
    session: Session,
    actor: User,
    *,
    name: str | None = None,
    sort: StrategySort = "-created_at",
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[Row[Any]], str | None]:
    """One page of list rows (no spec or source blobs) by keyset pagination, plus the next page's cursor.

    Keyset rather than offset keeps deep pages as cheap as the first: the (owner_id, created_at, id) index
    is walked from the cursor instead of counted from the start.
    """
    column = Strategy.created_at if sort.lstrip("-") == "created_at" else Strategy.name
    descending = sort.startswith("-")
    stmt = scoped(
        select(
            Strategy.id,
            Strategy.owner_id,
            Strategy.name,
            Strategy.current_version,
            Strategy.created_at,
            Strategy.updated_at,
        ),
        Strategy,
        actor,
    )
    if name:
        stmt = stmt.where(Strategy.name.icontains(name, autoescape=True))
    if cursor:
        value, row_id = _decode_cursor(cursor, sort)
        key, after = tuple_(column, Strategy.id), tuple_(value, row_id)
        stmt = stmt.where(key < after if descending else key > after)
    order = (column.desc(), Strategy.id.desc()) if descending else (column.asc(), Strategy.id.asc())
    rows = list(session.execute(stmt.order_by(*order).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor(getattr(last, column.key), last.id)

"""Strategies and their immutable versions (every PUT adds a version; old ones stay readable)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Literal

from sqlalchemy import Connection, Integer, Row, Select, bindparam, delete, select, true, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from gentrade.db.base import utcnow
from gentrade.db.models import Strategy, StrategyVersion, User
from gentrade.db.repositories.scope import get_owned
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


def by_name(session: Session, owner: User, name: str) -> Strategy | None:
    """The owner's own strategy of that name (names are unique per owner), None when there is none."""
    return session.scalar(select(Strategy).where(Strategy.owner_id == owner.id, Strategy.name == name))


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


def version_by_id(session: Session, version_id: int) -> StrategyVersion | None:
    """Any user's version by id: for a worker, or for a row the caller already proved the actor owns."""
    return session.get(StrategyVersion, version_id)


def version_with_source(session: Session, strategy: Strategy, source: str) -> StrategyVersion | None:
    """The newest version of ``strategy`` whose source is exactly ``source``, so an import can reuse it."""
    stmt = (
        select(StrategyVersion)
        .where(StrategyVersion.strategy_id == strategy.id, StrategyVersion.source == source)
        .order_by(StrategyVersion.number.desc())
        .limit(1)
    )
    return session.scalar(stmt)


def unchecked_version_ids(session: Session, limit: int | None) -> Sequence[int]:
    """Every user's versions without a check verdict yet, oldest first, at most ``limit``."""
    stmt = (
        select(StrategyVersion.id)
        .where(StrategyVersion.check_verdict.is_(None))
        .order_by(StrategyVersion.id)
        .limit(limit)
    )
    return session.scalars(stmt).all()


ProducerRow = tuple[int, int, str, str | None, dict[str, Any] | None]
"""A version's id, its strategy's id, created_by_kind, created_by_model_id and optimization record."""


def producer_rows(session: Session, owner: User) -> Sequence[ProducerRow]:
    """Every version of the owner's own strategies (admin or not), as the model report credits them."""
    stmt = (
        select(
            StrategyVersion.id,
            StrategyVersion.strategy_id,
            StrategyVersion.created_by_kind,
            StrategyVersion.created_by_model_id,
            StrategyVersion.optimization,
        )
        .join(Strategy, Strategy.id == StrategyVersion.strategy_id)
        .where(Strategy.owner_id == owner.id)
    )
    return session.execute(stmt).tuples().all()


def remove(session: Session, strategy: Strategy) -> None:
    session.execute(delete(Strategy).where(Strategy.id == strategy.id))


def encode_cursor(value: Any, row_id: int) -> str:
    raw = json.dumps([value.isoformat() if isinstance(value, datetime) else value, row_id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


_MAX_ROW_ID = 2**31 - 1
"""Ids are PostgreSQL ``integer`` columns; a larger one in a cursor was never handed out."""


def _decode_cursor(cursor: str, sort: StrategySort) -> tuple[Any, int]:
    """The (sort key, id) position ``encode_cursor`` wrote, or ``InvalidRequestError``.

    Cursors come back from clients, so everything a forged one could carry into a bound parameter and
    make the database (or a column type) fail on is refused here as a 400 instead of a 500: a naive or
    out-of-range time, a NUL or lone surrogate in a name, an id that is a bool or too large for the column.
    """
    try:
        value, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if type(row_id) is not int or not 0 < row_id <= _MAX_ROW_ID or not isinstance(value, str):
            raise ValueError(cursor)
        if sort.lstrip("-") == "created_at":
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:
                raise ValueError(cursor)
            value = value.astimezone(UTC)  # as the column type binds it; OverflowError at year 1 or 9999
        elif "\x00" in value:
            raise ValueError(cursor)
        else:
            value.encode()  # UnicodeEncodeError (a ValueError) for a lone surrogate
    except (ValueError, TypeError, OverflowError, binascii.Error):
        raise InvalidRequestError(
            "cursor is not one this list handed out (it depends on the sort too)"
        ) from None
    return value, row_id


LIST_FIELDS = ("id", "owner_id", "name", "current_version", "created_at", "updated_at")
"""The columns of a list row, in this order: every column but the spec and source (versions hold those)."""

_LIKE_ESCAPE = "/"


def _sort_key(sort: StrategySort) -> tuple[str, bool]:
    """The sorted column's name and whether the sort is descending; ``id`` breaks ties the same way."""
    return ("created_at" if sort.lstrip("-") == "created_at" else "name"), sort.startswith("-")


def _order(key: ColumnElement[Any], row_id: ColumnElement[Any], descending: bool) -> list[ColumnElement[Any]]:
    return [key.desc(), row_id.desc()] if descending else [key.asc(), row_id.asc()]


@cache
def _page_statement(sort: StrategySort, named: bool, paged: bool, everyone: bool) -> Select[Any]:
    """The page query for one shape of request, built once: values arrive as bound parameters.

    Building a select (and its cache key) costs more CPU than PostgreSQL spends running it, and there are
    only 32 shapes: 4 sorts, with or without a name filter, a cursor, and an owner. Parameters: ``limit``
    (one more than the page, to learn whether a next page exists), ``user_id``, ``name`` (a LIKE pattern
    escaped with ``_LIKE_ESCAPE``), ``after_key`` and ``after_id`` (the cursor's position).

    Keyset rather than offset keeps deep pages as cheap as the first: the (owner_id, created_at, id) index
    is walked from the cursor instead of counted from the start. ``everyone`` is an admin's view: every
    owner's rows and nothing else. Otherwise the user's role is joined to their rows, so one statement
    both finds the user and lists: no row at all means no such user, and one row of NULL list columns an
    empty page. The outer ORDER BY restates the page's order, which a join does not promise to keep.
    """
    key_name, descending = _sort_key(sort)
    table = Strategy.__table__.c
    column = table[key_name]
    rows = select(*(table[field] for field in LIST_FIELDS))
    if not everyone:
        rows = rows.where(table.owner_id == bindparam("user_id"))
    if named:
        rows = rows.where(table.name.icontains(bindparam("name"), escape=_LIKE_ESCAPE))
    if paged:
        key = tuple_(column, table.id)
        position = tuple_(bindparam("after_key", type_=column.type), bindparam("after_id", type_=Integer))
        rows = rows.where(key < position if descending else key > position)
    rows = rows.order_by(*_order(column, table.id, descending)).limit(bindparam("limit", type_=Integer))
    if everyone:
        return rows
    page_rows = rows.subquery()
    return (
        select(*page_rows.c, User.role)
        .select_from(User)
        .outerjoin(page_rows, true())
        .where(User.id == bindparam("user_id"))
        .order_by(*_order(page_rows.c[key_name], page_rows.c.id, descending))
    )


def _like_pattern(name: str) -> str:
    """``name`` with LIKE's wildcards escaped, as ``icontains(..., autoescape=True)`` would bind it."""
    escaped = name.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2)
    return escaped.replace("%", _LIKE_ESCAPE + "%").replace("_", _LIKE_ESCAPE + "_")


def _user_exists(connection: Connection, user_id: int) -> bool:
    return connection.scalar(select(User.id).where(User.id == user_id)) is not None


def page(
    connection: Connection,
    user_id: int,
    *,
    name: str | None = None,
    sort: StrategySort = "-created_at",
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[tuple[Any, ...]], str | None] | None:
    """One page of the user's list rows (``LIST_FIELDS``) and the next page's cursor; None when there is
    no such user.

    The user check and the page are one statement (one round trip, one snapshot) for the common case; an
    admin, who sees everyone's rows, costs a second statement. An unknown user is reported before a
    malformed cursor, as when the user was looked up first.
    """
    try:
        after = _decode_cursor(cursor, sort) if cursor else None
    except InvalidRequestError:
        if not _user_exists(connection, user_id):
            return None
        raise
    params: dict[str, Any] = {"user_id": user_id, "limit": limit + 1}
    if name:
        params["name"] = _like_pattern(name)
    if after is not None:
        params["after_key"], params["after_id"] = after
    shape = (sort, bool(name), after is not None)
    rows = connection.execute(_page_statement(*shape, everyone=False), params).all()
    if not rows:
        return None
    if rows[0].role == "admin":
        found = [tuple(row) for row in connection.execute(_page_statement(*shape, everyone=True), params)]
    else:
        found = [tuple(row)[:-1] for row in rows if row.id is not None]
    if len(found) <= limit:
        return found, None
    last = found[limit - 1]
    return found[:limit], encode_cursor(last[LIST_FIELDS.index(_sort_key(sort)[0])], last[0])

"""Ownership scoping shared by every repository."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

from gentrade.db.models import AuditLog, User
from gentrade.errors import NotFoundError


class Owned(Protocol):
    id: Any
    owner_id: Any


T = TypeVar("T", bound=Owned)
#: A select of any columns (SQLAlchemy 2.1 types a select by the tuple of what it returns).
AnySelect = Select[*tuple[Any, ...]]
S = TypeVar("S", bound=AnySelect)

_NOUNS = {
    "strategies": "strategy",
    "backtests": "backtest",
    "exchange_credentials": "credential",
    "api_tokens": "token",
    "bots": "bot",
}


def scoped(stmt: S, model: type[Owned], actor: User) -> S:
    """Restrict ``stmt`` to the actor's rows; an admin sees everyone's."""
    return stmt if actor.is_admin else stmt.where(model.owner_id == actor.id)


def get_owned(session: Session, model: type[T], object_id: int, actor: User) -> T:
    """The row, or NotFoundError both when it does not exist and when it is someone else's."""
    row = session.get(model, object_id)
    if row is None or (row.owner_id != actor.id and not actor.is_admin):
        noun = _NOUNS.get(getattr(model, "__tablename__", ""), "object")
        raise NotFoundError(f"{noun} {object_id} not found")
    return row


def record(
    session: Session,
    actor: User | None,
    action: str,
    object_type: str,
    object_id: Any,
    request_id: str | None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append to the audit log in the caller's transaction: the entry exists exactly when the change does.

    ``detail`` says what happened when the action alone does not (e.g. which trades an emergency stop closed).
    """
    session.add(
        AuditLog(
            actor_id=actor.id if actor is not None else None,
            action=action,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            request_id=request_id,
            detail=detail,
        )
    )

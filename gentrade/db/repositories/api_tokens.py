"""Personal API tokens: always the owner's own (an admin included), stored as a hash with a display prefix."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from gentrade.db.base import utcnow
from gentrade.db.models import ApiToken, User
from gentrade.errors import NotFoundError

_LAST_USED_RESOLUTION = timedelta(minutes=1)
"""Touch ``last_used_at`` at most once a minute: a script hammering the API should not write on every call."""


def add(session: Session, owner: User, name: str, token_hash: str, prefix: str) -> ApiToken:
    token = ApiToken(owner_id=owner.id, name=name, token_hash=token_hash, prefix=prefix)
    session.add(token)
    session.flush()
    return token


def listing(session: Session, owner: User) -> list[ApiToken]:
    stmt = select(ApiToken).where(ApiToken.owner_id == owner.id).order_by(ApiToken.id)
    return list(session.scalars(stmt))


def remove(session: Session, owner: User, token_id: int) -> None:
    """Delete the owner's token in the caller's transaction; someone else's is missing like a missing one."""
    deleted = session.execute(delete(ApiToken).where(ApiToken.id == token_id, ApiToken.owner_id == owner.id))
    if deleted.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFoundError(f"token {token_id} not found")


def user_for_token(session: Session, token_hash: str, now: datetime | None = None) -> User | None:
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))
    if token is None:
        return None
    now = now or utcnow()
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
        session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
        session.commit()
    return token.owner

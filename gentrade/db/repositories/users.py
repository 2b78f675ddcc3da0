"""Users and their personal API tokens."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gentrade.db.base import utcnow
from gentrade.db.models import ApiToken, User
from gentrade.errors import ConflictError

_LAST_USED_RESOLUTION = timedelta(minutes=1)
"""Touch ``last_used_at`` at most once a minute: a script hammering the API should not write on every call."""


def create_user(session: Session, email: str, password_hash: str, role: str = "user") -> User:
    user = User(email=email.strip().lower(), password_hash=password_hash, role=role)
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ConflictError("this email is already registered") from None
    return user


def by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def add_token(session: Session, owner: User, name: str, token_hash: str, prefix: str) -> ApiToken:
    token = ApiToken(owner_id=owner.id, name=name, token_hash=token_hash, prefix=prefix)
    session.add(token)
    session.flush()
    return token


def list_tokens(session: Session, owner: User) -> list[ApiToken]:
    stmt = select(ApiToken).where(ApiToken.owner_id == owner.id).order_by(ApiToken.id)
    return list(session.scalars(stmt))


def user_for_token(session: Session, token_hash: str, now: datetime | None = None) -> User | None:
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))
    if token is None:
        return None
    now = now or utcnow()
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
        session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
        session.commit()
    return token.owner

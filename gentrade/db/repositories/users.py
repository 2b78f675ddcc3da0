"""Users (their personal API tokens are ``api_tokens``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gentrade.db.models import User
from gentrade.errors import ConflictError


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

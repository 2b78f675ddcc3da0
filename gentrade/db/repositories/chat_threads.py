"""Chat threads: who owns a thread key, decided here before the checkpointer is ever asked.

A key is unique across users, so it names one owner; someone else's key is a 404 exactly like a missing one.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gentrade.db.models import ChatThread, User
from gentrade.db.repositories.scope import scoped
from gentrade.errors import NotFoundError


def get(session: Session, thread_key: str, actor: User) -> ChatThread:
    """The actor's thread row, or NotFoundError: missing and foreign look the same."""
    row = session.scalar(select(ChatThread).where(ChatThread.thread_key == thread_key))
    if row is None or (row.owner_id != actor.id and not actor.is_admin):
        raise NotFoundError(f"thread {thread_key} not found")
    return row


def get_or_create(session: Session, thread_key: str, actor: User, title: str) -> ChatThread:
    """The actor's thread, created on its first message; a key taken by someone else stays a 404."""
    try:
        return get(session, thread_key, actor)
    except NotFoundError:
        if session.scalar(select(ChatThread.id).where(ChatThread.thread_key == thread_key)) is not None:
            raise
    row = ChatThread(owner_id=actor.id, thread_key=thread_key, title=title)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # someone created the same key between the check and the insert
        session.rollback()
        return get(session, thread_key, actor)
    return row


def listing(session: Session, actor: User, limit: int) -> list[ChatThread]:
    """The actor's threads (everyone's for an admin), most recently used first."""
    stmt = scoped(select(ChatThread), ChatThread, actor)
    return list(
        session.scalars(stmt.order_by(ChatThread.updated_at.desc(), ChatThread.id.desc()).limit(limit))
    )

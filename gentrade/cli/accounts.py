"""The CLI acting for one stored user: commands that read or write a user's rows name them by email."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from gentrade.db import ensure_schema
from gentrade.db.engine import make_engine, make_session_factory
from gentrade.db.models import User
from gentrade.db.repositories import users as users_repo
from gentrade.errors import NotFoundError
from gentrade.settings import get_settings


@contextmanager
def user_session(email: str) -> Iterator[tuple[Session, User]]:
    """A session on the configured database and the user ``email`` names (a clear error if none does);
    the engine is disposed on the way out, since a CLI command is the whole life of its process."""
    engine = make_engine(get_settings().resolved_database_url)
    try:
        ensure_schema(engine)
        with make_session_factory(engine)() as session:
            user = users_repo.by_email(session, email)
            if user is None:
                raise NotFoundError(f"no user {email!r} (register through the API first)")
            yield session, user
    finally:
        engine.dispose()

"""Request dependencies: the app's services, a DB session per request, the authenticated user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from gentrade.api.executor import BacktestExecutor
from gentrade.api.logging import request_id_var
from gentrade.api.ratelimit import RateLimiter
from gentrade.api.security import TOKEN_PREFIX, hash_api_token, user_id_from_access_token
from gentrade.db.keys import CredentialCipher
from gentrade.db.models import User
from gentrade.db.repositories import users as users_repo
from gentrade.errors import AuthError
from gentrade.settings import Settings


@dataclass
class Services:
    """Everything a request may need that outlives it; built once by ``create_app``."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    executor: BacktestExecutor
    cipher: CredentialCipher
    jwt_secret: str
    backtest_limiter: RateLimiter


async def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


ServicesDep = Annotated[Services, Depends(services)]


async def db_session(svc: ServicesDep) -> AsyncIterator[Session]:
    """A session per request, yielded to sync code that runs in the threadpool.

    Async on purpose: making a ``Session`` does no I/O (it takes a connection on its first query), so it is
    built on the event loop instead of costing a threadpool round trip. Closing one that still holds a
    connection does I/O (the pool's reset-on-return rollback), so that happens in the threadpool; a session
    that never touched the database, or that the endpoint already committed or closed, closes inline.
    """
    session = svc.sessions()
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


DbSession = Annotated[Session, Depends(db_session)]

_bearer = HTTPBearer(auto_error=False, description="A JWT from /auth/login or a personal token (gtp_…).")


BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def authenticate(session: Session, svc: Services, credentials: HTTPAuthorizationCredentials | None) -> User:
    """The user behind the bearer credentials (blocking: call it from sync code), else ``AuthError``."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthError("missing bearer token")
    token = credentials.credentials
    if token.startswith(TOKEN_PREFIX):
        user = users_repo.user_for_token(session, hash_api_token(token))
    else:
        user = session.get(User, user_id_from_access_token(token, svc.jwt_secret))
    if user is None:
        raise AuthError("invalid or expired token")
    return user


def current_user(svc: ServicesDep, session: DbSession, credentials: BearerCredentials) -> User:
    """Sync, so the token check and the user lookup share one threadpool hop."""
    return authenticate(session, svc, credentials)


CurrentUser = Annotated[User, Depends(current_user)]


async def request_id() -> str | None:
    return request_id_var.get()


RequestId = Annotated[str | None, Depends(request_id)]

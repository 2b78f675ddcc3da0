"""Request dependencies: the app's services, a DB session per request, the authenticated user."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session, sessionmaker

from gentrade.api.executor import BacktestExecutor
from gentrade.api.ratelimit import RateLimiter
from gentrade.api.security import TOKEN_PREFIX, hash_api_token, user_id_from_access_token
from gentrade.db.keys import CredentialCipher
from gentrade.db.models import User
from gentrade.db.repositories import api_tokens
from gentrade.errors import AuthError
from gentrade.logs import request_id_var
from gentrade.settings import Settings


@dataclass
class Services:
    """Everything a request may need that outlives it; built once by ``create_app``."""

    settings: Settings
    engine: Engine
    autocommit: Engine
    """``engine``'s pool in autocommit mode, for reads that are one statement: no BEGIN or ROLLBACK round
    trips around it, and one statement reads one snapshot anyway."""
    sessions: sessionmaker[Session]
    executor: BacktestExecutor
    cipher: CredentialCipher
    jwt_secret: str
    backtest_limiter: RateLimiter
    async_engine: AsyncEngine | None = None
    """PostgreSQL only: the same database through psycopg's asyncio connections, for hot reads that then
    run on the event loop instead of a threadpool hop. None on SQLite, whose reads stay in the threadpool."""
    async_autocommit: AsyncEngine | None = None
    """``async_engine``'s pool in autocommit mode, as ``autocommit`` is ``engine``'s."""


async def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


ServicesDep = Annotated[Services, Depends(services)]

_CLOSERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="db-session-close")
"""Threads that only give connections back. Closing in the request threadpool deadlocked under load: every
one of its threads waited for a pooled connection, and the connections could only come back through a close
that waited for one of those threads (each request failed after the pool's 30 s timeout)."""


async def db_session(svc: ServicesDep) -> AsyncIterator[Session]:
    """A session per request, yielded to sync code that runs in the threadpool.

    Async on purpose: making a ``Session`` does no I/O (it takes a connection on its first query), so it is
    built on the event loop instead of costing a threadpool round trip. Closing one that still holds a
    connection does I/O (the pool's reset-on-return rollback), so that happens on a thread of ``_CLOSERS``,
    never behind requests waiting for a connection; a session that never touched the database, or that the
    endpoint already committed or closed, closes inline.
    """
    session = svc.sessions()
    try:
        yield session
    finally:
        if session.in_transaction():
            await asyncio.get_running_loop().run_in_executor(_CLOSERS, session.close)
        else:
            session.close()


DbSession = Annotated[Session, Depends(db_session)]

_bearer = HTTPBearer(auto_error=False, description="A JWT from /auth/login or a personal token (gtp_…).")


BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


@dataclass(frozen=True)
class BearerToken:
    """A bearer token checked as far as it can be without the database: a JWT's signature and claims
    (``user_id``), or a personal token's sha256 (``personal_token_hash``); exactly one is set."""

    user_id: int | None = None
    personal_token_hash: str | None = None


def check_bearer(svc: Services, credentials: HTTPAuthorizationCredentials | None) -> BearerToken:
    """CPU only (no I/O): missing, non-bearer, forged and expired tokens fail here with ``AuthError``."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthError("missing bearer token")
    token = credentials.credentials
    if token.startswith(TOKEN_PREFIX):
        return BearerToken(personal_token_hash=hash_api_token(token))
    return BearerToken(user_id=user_id_from_access_token(token, svc.jwt_secret))


def user_for_bearer(session: Session, token: BearerToken) -> User:
    """The database half (blocking: call it from sync code): the token's user, else ``AuthError``."""
    if token.personal_token_hash is not None:
        user = api_tokens.user_for_token(session, token.personal_token_hash)
    else:
        user = session.get(User, token.user_id)
    if user is None:
        raise AuthError("invalid or expired token")
    return user


def authenticate(session: Session, svc: Services, credentials: HTTPAuthorizationCredentials | None) -> User:
    """The user behind the bearer credentials (blocking: call it from sync code), else ``AuthError``."""
    return user_for_bearer(session, check_bearer(svc, credentials))


async def bearer_token(svc: ServicesDep, credentials: BearerCredentials) -> BearerToken:
    """For hot routes that do their auth lookup and their own queries in one threadpool hop: the token is
    checked here on the event loop (so bad tokens are still a 401 before any parameter is looked at), and
    the route calls ``user_for_bearer`` in its sync work."""
    return check_bearer(svc, credentials)


BearerTokenDep = Annotated[BearerToken, Depends(bearer_token)]


def current_user(svc: ServicesDep, session: DbSession, credentials: BearerCredentials) -> User:
    """Sync, so the token check and the user lookup share one threadpool hop.

    The lookup's transaction ends here, so its connection goes back to the pool before the route runs: a
    route that then takes a rate-limit token (its own short transaction) or streams for minutes would
    otherwise hold two connections, or one for the whole stream, and 20 concurrent chat turns deadlocked
    the pool (every request waiting for a second connection that only another waiting request could give
    back). Sessions do not expire on commit, so the user stays readable.
    """
    user = authenticate(session, svc, credentials)
    session.commit()
    return user


CurrentUser = Annotated[User, Depends(current_user)]


async def request_id() -> str | None:
    return request_id_var.get()


RequestId = Annotated[str | None, Depends(request_id)]

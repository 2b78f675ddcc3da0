"""Request dependencies: the app's services, a DB session per request, the authenticated user."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

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


def db_session(svc: ServicesDep) -> Iterator[Session]:
    with svc.sessions() as session:
        yield session


DbSession = Annotated[Session, Depends(db_session)]

_bearer = HTTPBearer(auto_error=False, description="A JWT from /auth/login or a personal token (gtp_…).")


def current_user(
    svc: ServicesDep,
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
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


CurrentUser = Annotated[User, Depends(current_user)]


async def request_id() -> str | None:
    return request_id_var.get()


RequestId = Annotated[str | None, Depends(request_id)]

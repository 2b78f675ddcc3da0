"""Registration and login (JWT access tokens)."""

from __future__ import annotations

from fastapi import APIRouter, status

from gentrade.api.deps import DbSession, RequestId, ServicesDep
from gentrade.api.routing import SessionReleasingRoute
from gentrade.api.schemas.auth import AccessToken, Credentials, UserOut
from gentrade.api.schemas.common import problems
from gentrade.api.security import create_access_token, hash_password, verify_password
from gentrade.db.repositories import users
from gentrade.db.repositories.scope import record
from gentrade.errors import AuthError

router = APIRouter(route_class=SessionReleasingRoute, prefix="/auth", tags=["auth"])


@router.post(
    "/register", status_code=status.HTTP_201_CREATED, response_model=UserOut, responses=problems(409, 422)
)
def register(body: Credentials, session: DbSession, request_id: RequestId) -> UserOut:
    user = users.create_user(session, body.email, hash_password(body.password))
    record(session, user, "register", "user", user.id, request_id)
    session.commit()
    return UserOut.model_validate(user)


@router.post("/login", response_model=AccessToken, responses=problems(401, 422))
def login(body: Credentials, session: DbSession, svc: ServicesDep) -> AccessToken:
    user = users.by_email(session, body.email)
    if not verify_password(body.password, user.password_hash if user else None) or user is None:
        raise AuthError("wrong email or password")
    minutes = svc.settings.access_token_minutes
    return AccessToken(
        access_token=create_access_token(user.id, svc.jwt_secret, minutes), expires_in=minutes * 60
    )

"""The caller's own account and personal API tokens (always the caller's, admin or not)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from gentrade.api.deps import CurrentUser, DbSession, RequestId, ServicesDep
from gentrade.api.routing import SessionReleasingRoute
from gentrade.api.schemas.auth import TokenCreate, TokenCreated, TokenOut, UserOut
from gentrade.api.schemas.common import ObjectId, problems
from gentrade.api.schemas.webhooks import WebhookIn, WebhookOut
from gentrade.api.security import new_api_token
from gentrade.db.repositories import api_tokens
from gentrade.db.repositories.scope import record
from gentrade.engine.bots.notify import public_part
from gentrade.tasks.bot_control import owner_webhook

router = APIRouter(
    route_class=SessionReleasingRoute, prefix="/users/me", tags=["users"], responses=problems(401)
)


@router.get("", response_model=UserOut)
def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)


@router.post("/tokens", status_code=status.HTTP_201_CREATED, response_model=TokenCreated)
def create_token(
    body: TokenCreate, user: CurrentUser, session: DbSession, request_id: RequestId
) -> TokenCreated:
    token, token_hash, prefix = new_api_token()
    row = api_tokens.add(session, user, body.name, token_hash, prefix)
    record(session, user, "create", "api_token", row.id, request_id)
    session.commit()
    return TokenCreated(**TokenOut.model_validate(row).model_dump(), token=token)


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(user: CurrentUser, session: DbSession) -> list[TokenOut]:
    return [TokenOut.model_validate(t) for t in api_tokens.listing(session, user)]


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(404))
def delete_token(
    token_id: ObjectId, user: CurrentUser, session: DbSession, request_id: RequestId
) -> Response:
    api_tokens.remove(session, user, token_id)
    record(session, user, "delete", "api_token", token_id, request_id)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/webhook", response_model=WebhookOut)
def get_webhook(user: CurrentUser, svc: ServicesDep) -> WebhookOut:
    """Whether notifications are on, and where they go (host only)."""
    url = owner_webhook(user, svc.cipher)
    return WebhookOut(configured=url is not None, target=public_part(url) if url else None)


@router.put("/webhook", response_model=WebhookOut)
def set_webhook(
    body: WebhookIn, user: CurrentUser, session: DbSession, svc: ServicesDep, request_id: RequestId
) -> WebhookOut:
    """Send every bot's notifications here; bots started from now on use it."""
    user.webhook_url_encrypted = svc.cipher.encrypt(body.url)
    record(session, user, "set_webhook", "user", user.id, request_id)
    session.commit()
    return WebhookOut(configured=True, target=public_part(body.url))


@router.delete("/webhook", status_code=status.HTTP_204_NO_CONTENT)
def delete_webhook(user: CurrentUser, session: DbSession, request_id: RequestId) -> Response:
    user.webhook_url_encrypted = None
    record(session, user, "delete_webhook", "user", user.id, request_id)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)

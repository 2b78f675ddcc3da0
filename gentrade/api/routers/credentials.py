"""Exchange credentials: write-only secrets. Responses carry a masked key hint, never key or secret."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from gentrade.api.deps import CurrentUser, DbSession, RequestId, ServicesDep
from gentrade.api.routing import SessionReleasingRoute
from gentrade.api.schemas.common import ObjectId, problems
from gentrade.api.schemas.credentials import CredentialIn, CredentialOut
from gentrade.db.repositories import credentials
from gentrade.db.repositories.scope import record

router = APIRouter(
    route_class=SessionReleasingRoute, prefix="/credentials", tags=["credentials"], responses=problems(401)
)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CredentialOut, responses=problems(422))
def create_credential(
    body: CredentialIn, user: CurrentUser, session: DbSession, svc: ServicesDep, request_id: RequestId
) -> CredentialOut:
    row = credentials.create(
        session,
        user,
        svc.cipher,
        exchange=body.exchange,
        label=body.label,
        api_key=body.api_key,
        api_secret=body.api_secret,
    )
    record(session, user, "create", "credential", row.id, request_id)
    session.commit()
    return CredentialOut.model_validate(row)


@router.get("", response_model=list[CredentialOut])
def list_credentials(user: CurrentUser, session: DbSession) -> list[CredentialOut]:
    return [CredentialOut.model_validate(row) for row in credentials.listing(session, user)]


@router.delete("/{credential_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(404))
def delete_credential(
    credential_id: ObjectId, user: CurrentUser, session: DbSession, request_id: RequestId
) -> Response:
    credentials.remove(session, credentials.get(session, credential_id, user))
    record(session, user, "delete", "credential", credential_id, request_id)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)

"""Strategies: create from a spec (render + audit + store), list, read, new versions, download, delete."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response, status
from pydantic_core import to_json
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.concurrency import run_in_threadpool

from gentrade.api.bot_removal import remove_bot
from gentrade.api.deps import (
    BearerToken,
    BearerTokenDep,
    CurrentUser,
    DbSession,
    RequestId,
    Services,
    ServicesDep,
    user_for_bearer,
)
from gentrade.api.routing import SessionReleasingRoute
from gentrade.api.schemas.common import MAX_ID, ObjectId, problems
from gentrade.api.schemas.strategies import (
    AuditOut,
    Rendered,
    SourceIn,
    SpecIn,
    StrategyIn,
    StrategyOut,
    StrategyPage,
    StrategyRow,
    VersionOut,
    VersionSummary,
)
from gentrade.codegen import render, strategy_filename
from gentrade.db.models import Bot, Strategy, StrategyVersion
from gentrade.db.repositories import bots as bots_repo
from gentrade.db.repositories import strategies as repo
from gentrade.db.repositories.scope import record
from gentrade.errors import AuthError, ConflictError, PayloadTooLargeError
from gentrade.safety import audit
from gentrade.safety.policy import MAX_SOURCE_BYTES
from gentrade.services.strategy_saving import audited_content
from gentrade.spec import StrategySpec

router = APIRouter(
    route_class=SessionReleasingRoute, prefix="/strategies", tags=["strategies"], responses=problems(401)
)


def _content(spec: StrategySpec, body: StrategyIn) -> repo.NewVersion:
    """Rendered and audited like every stored version (``services.strategy_saving``), by whom the body
    says."""
    created_by = body.created_by
    return audited_content(
        spec,
        created_by_kind=created_by.kind if created_by else "person",
        model_id=created_by.model_id if created_by else None,
    )


def _out(strategy: Strategy, version: StrategyVersion) -> StrategyOut:
    return StrategyOut(
        **StrategyRow.model_validate(strategy).model_dump(), version=VersionOut.model_validate(version)
    )


@router.post("/render", response_model=Rendered, responses=problems(422))
def render_spec(body: SpecIn, _user: CurrentUser) -> Rendered:
    """Render a spec to strategy source without storing anything."""
    return Rendered(filename=strategy_filename(body.spec), source=render(body.spec))


@router.post("/audit", response_model=AuditOut, responses=problems(413, 422))
def audit_source(body: SourceIn, _user: CurrentUser) -> dict[str, Any]:
    """Statically audit any strategy source (never imported or run)."""
    if len(body.source.encode()) > MAX_SOURCE_BYTES:
        raise PayloadTooLargeError(f"strategy source exceeds {MAX_SOURCE_BYTES} bytes")
    return audit(body.source, filename=body.filename).to_dict()


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=StrategyOut, responses=problems(409, 422)
)
def create_strategy(
    body: StrategyIn, user: CurrentUser, session: DbSession, request_id: RequestId
) -> StrategyOut:
    strategy, version = repo.create(session, user, body.spec.name, _content(body.spec, body))
    record(session, user, "create", "strategy", strategy.id, request_id)
    session.commit()
    return _out(strategy, version)


@router.get("", response_model=StrategyPage, responses=problems(400))
async def list_strategies(
    svc: ServicesDep,
    token: BearerTokenDep,
    name: Annotated[
        str | None, Query(max_length=64, description="Case-insensitive substring of the name.")
    ] = None,
    sort: repo.StrategySort = "-created_at",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    # The hot read path: on PostgreSQL a JWT's page is read on the event loop (see _list_page_async),
    # otherwise in one threadpool hop (see _list_page). No docstring: it would become the operation's
    # OpenAPI description, which this route has never had.
    if svc.async_autocommit is not None and token.user_id is not None:
        return await _list_page_async(svc.async_autocommit, token.user_id, name, sort, limit, cursor)
    return await run_in_threadpool(_list_page, svc, token, name, sort, limit, cursor)


async def _list_page_async(
    engine: AsyncEngine,
    user_id: int,
    name: str | None,
    sort: repo.StrategySort,
    limit: int,
    cursor: str | None,
) -> Response:
    """``_list_page`` for a JWT on the asyncio engine: the request never leaves the event loop, which
    saves the threadpool round trip and the GIL handoffs between the loop and worker threads (about a
    third of the route's CPU under concurrent load). ``run_sync`` runs the same ``repo.page`` on a
    greenlet whose I/O awaits psycopg's async connection, so there is one query implementation.
    """
    async with engine.connect() as connection:
        found = await connection.run_sync(
            repo.page, user_id, name=name, sort=sort, limit=limit, cursor=cursor
        )
    return _page_response(found)


def _list_page(
    svc: Services,
    token: BearerToken,
    name: str | None,
    sort: repo.StrategySort,
    limit: int,
    cursor: str | None,
) -> Response:
    """User check, page query and serialization together, so a connection is held for one hop only and
    returned before this one ends. A JWT's user is checked by the page query itself (one autocommit
    statement: no BEGIN or ROLLBACK round trips); a personal token is resolved first, as its lookup may
    record the token's use.
    """
    user_id = token.user_id
    if user_id is None:
        with svc.sessions() as session:
            user_id = user_for_bearer(session, token).id
    with svc.autocommit.connect() as connection:
        found = repo.page(connection, user_id, name=name, sort=sort, limit=limit, cursor=cursor)
    return _page_response(found)


def _page_response(found: tuple[Sequence[tuple[Any, ...]], str | None] | None) -> Response:
    """``repo.page``'s answer as the response: None (no such user) is a 401. The finished ``Response``
    skips FastAPI's validation and serialization of the return value; ``response_model`` still documents
    the shape, and ``_page_json`` gives its bytes.
    """
    if found is None:
        raise AuthError("invalid or expired token")
    return Response(_page_json(*found), media_type="application/json")


def _page_json(rows: Sequence[tuple[Any, ...]], next_cursor: str | None) -> bytes:
    """The JSON ``StrategyPage`` would serialize the rows to, without building and validating 50 models.

    The repository's ``LIST_FIELDS`` are ``StrategyRow``'s fields in its order, and pydantic-core's
    ``to_json`` formats the values (ints, strings, aware datetimes) with the serializer the model uses.
    """
    items = [dict(zip(repo.LIST_FIELDS, row, strict=True)) for row in rows]
    return to_json({"items": items, "next_cursor": next_cursor})


@router.get("/{strategy_id}", response_model=StrategyOut, responses=problems(404))
def get_strategy(strategy_id: ObjectId, user: CurrentUser, session: DbSession) -> StrategyOut:
    strategy = repo.get(session, strategy_id, user)
    return _out(strategy, repo.version(session, strategy))


@router.put("/{strategy_id}", response_model=StrategyOut, responses=problems(404, 409, 422))
def update_strategy(
    strategy_id: ObjectId, body: StrategyIn, user: CurrentUser, session: DbSession, request_id: RequestId
) -> StrategyOut:
    """Store the spec as a new version; earlier versions stay readable."""
    strategy = repo.get(session, strategy_id, user)
    version = repo.add_version(session, strategy, body.spec.name, _content(body.spec, body))
    record(session, user, "update", "strategy", strategy.id, request_id)
    session.commit()
    return _out(strategy, version)


@router.delete("/{strategy_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(404, 409))
def delete_strategy(
    strategy_id: ObjectId,
    request: Request,
    user: CurrentUser,
    session: DbSession,
    request_id: RequestId,
    with_bots: Annotated[
        bool,
        Query(description="Also stop and delete the bots that run this strategy (else a 409 names them)."),
    ] = False,
) -> Response:
    """Delete the strategy, its versions and their backtests; a strategy a bot runs is a 409 listing the
    bots, unless ``with_bots`` asks to stop and delete them too."""
    strategy = repo.get(session, strategy_id, user)
    bots = bots_repo.holders(session, strategy)
    if bots and not with_bots:
        raise _held(strategy_id, bots)
    for bot in bots:
        remove_bot(session, request.app.state.bot_managers, bot)
        record(session, user, "delete", "bot", bot.id, request_id)
    repo.remove(session, strategy)
    record(session, user, "delete", "strategy", strategy_id, request_id)
    try:
        session.commit()
    except IntegrityError:  # a bot took a version between the check and the delete: nothing was deleted
        session.rollback()
        raise _held(strategy_id, bots_repo.holders(session, repo.get(session, strategy_id, user))) from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _held(strategy_id: int, bots: Sequence[Bot]) -> ConflictError:
    listed = [{"id": bot.id, "name": bot.name, "status": bot.status} for bot in bots]
    names = ", ".join(f"{bot.name} (id {bot.id}, {bot.status})" for bot in bots)
    return ConflictError(
        f"strategy {strategy_id} is run by bots: {names}; delete them first or pass with_bots=true",
        details={"bots": listed},
    )


@router.get("/{strategy_id}/versions", response_model=list[VersionSummary], responses=problems(404))
def list_versions(strategy_id: ObjectId, user: CurrentUser, session: DbSession) -> list[VersionSummary]:
    strategy = repo.get(session, strategy_id, user)
    return [VersionSummary.model_validate(row) for row in repo.versions(session, strategy)]


@router.get("/{strategy_id}/versions/{number}", response_model=VersionOut, responses=problems(404))
def get_version(
    strategy_id: ObjectId,
    number: Annotated[int, Path(ge=1, le=MAX_ID)],
    user: CurrentUser,
    session: DbSession,
) -> VersionOut:
    return VersionOut.model_validate(repo.version(session, repo.get(session, strategy_id, user), number))


@router.get(
    "/{strategy_id}/source",
    response_class=Response,
    responses={200: {"content": {"text/x-python": {}}}, **problems(404)},
)
def download_source(
    strategy_id: ObjectId,
    user: CurrentUser,
    session: DbSession,
    version: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    """The strategy file for freqtrade's strategies/ folder (current version unless ``version`` is given)."""
    row = repo.version(session, repo.get(session, strategy_id, user), version)
    filename = f"{row.spec['name']}.py"
    return Response(
        row.source,
        media_type="text/x-python",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )

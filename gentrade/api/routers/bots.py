"""Bots: run a stored strategy version as a freqtrade bot, dry-run on the configured exchange (the local
testnet by default), and follow it: status, logs, stop, start again, delete.

Each user's bots live in a ``BotManager`` state dir of their own (``gentrade.tasks.bot_control``, shared
with the periodic health check). A row's status is what the manager sees in the process table when asked,
written back to the row so lists show the last known state.

Real orders are refused unless the server allows live bots (``GENTRADE_ALLOW_LIVE_BOTS``) *and* the request
says ``live`` and ``confirm_real_money`` and names one of the caller's exchange credentials.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request, Response, status
from sqlalchemy.orm import Session

from gentrade.api.bot_removal import remove_bot
from gentrade.api.deps import CurrentUser, DbSession, RequestId, Services, ServicesDep
from gentrade.api.routing import SessionReleasingRoute
from gentrade.api.schemas.bots import (
    BotIn,
    BotLogs,
    BotOut,
    EmergencyStopOut,
    OpenTradeOut,
    TradeRefOut,
)
from gentrade.api.schemas.common import ObjectId, problems
from gentrade.db.models import Bot, User
from gentrade.db.repositories import bots as repo
from gentrade.db.repositories import credentials as credentials_repo
from gentrade.db.repositories import strategies as strategies_repo
from gentrade.db.repositories.scope import record
from gentrade.engine.bots import BotInfo, BotStatus
from gentrade.engine.bots.client import BotClient
from gentrade.errors import ConflictError, InvalidRequestError, LiveTradingRefusedError
from gentrade.tasks.bot_control import Managers, owner_webhook, process_name


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Bots are meant to outlive an API restart: nothing is stopped on the way out.
    app.state.bot_managers = Managers(app.state.services.settings)
    yield


router = APIRouter(
    route_class=SessionReleasingRoute,
    prefix="/bots",
    tags=["bots"],
    responses=problems(401),
    lifespan=_lifespan,
)


def _managers(request: Request) -> Managers:
    return request.app.state.bot_managers  # type: ignore[no-any-return]


def _keys(body: BotIn, user: User, session: Session, svc: Services) -> tuple[str, str] | None:
    if not body.live:
        if body.confirm_real_money or body.credential_id is not None:
            raise InvalidRequestError("confirm_real_money and credential_id only make sense with live")
        return None
    if not svc.settings.allow_live_bots:
        raise LiveTradingRefusedError("this server runs dry-run bots only (GENTRADE_ALLOW_LIVE_BOTS is off)")
    if not body.confirm_real_money:
        raise LiveTradingRefusedError("a live bot trades real money: send confirm_real_money=true to confirm")
    if body.credential_id is None:
        raise InvalidRequestError("a live bot needs credential_id: the exchange keys it trades with")
    credential = credentials_repo.get(session, body.credential_id, user)
    cipher = svc.cipher
    return cipher.decrypt(credential.api_key_encrypted), cipher.decrypt(credential.api_secret_encrypted)


def _out(session: Session, bot: Bot, info: BotInfo | None) -> BotOut:
    bot_status = info.status if info is not None else BotStatus.STOPPED
    if bot.status != bot_status:
        repo.set_status(bot, bot_status)
        session.commit()
    version = repo.version_of(session, bot)
    return BotOut(
        id=bot.id,
        owner_id=bot.owner_id,
        name=bot.name,
        strategy_id=version.strategy_id,
        version_number=version.number,
        strategy=info.strategy if info is not None else None,
        status=bot_status,
        dry_run=not bot.config.get("live", False),
        port=bot.port,
        api_url=info.api_url if info is not None else None,
        config=bot.config["overrides"],
        started_at=info.started_at if info is not None else None,
        stopped_at=info.stopped_at if info is not None else None,
        created_at=bot.created_at,
        updated_at=bot.updated_at,
        last_log=info.last_log if info is not None else None,
        warmup=info.warmup if info is not None else None,
        degraded=info.degraded if info is not None else None,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=BotOut,
    responses=problems(400, 403, 404, 409, 422),
)
def create_bot(
    body: BotIn,
    request: Request,
    user: CurrentUser,
    session: DbSession,
    svc: ServicesDep,
    request_id: RequestId,
) -> BotOut:
    """Create the bot and start it (status ``starting`` until its api_server answers)."""
    strategy = strategies_repo.get(session, body.strategy_id, user)
    version = strategies_repo.version(session, strategy, body.version)
    keys = _keys(body, user, session, svc)
    config = {"overrides": body.config.overrides(), "live": body.live, "credential_id": body.credential_id}
    bot = repo.create(
        session, strategy.owner_id, body.name or strategy.name, version, config, BotStatus.STARTING
    )
    webhook = owner_webhook(session.get(User, bot.owner_id), svc.cipher)
    info = _managers(request).launch(bot, version, keys, webhook)
    record(session, user, "create", "bot", bot.id, request_id)
    session.commit()
    return _out(session, bot, info)


@router.get("", response_model=list[BotOut])
def list_bots(
    request: Request,
    user: CurrentUser,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> list[BotOut]:
    rows = repo.listing(session, user, limit)
    managers = _managers(request)
    return [_out(session, bot, managers.info(bot)) for bot in rows]


@router.post("/emergency-stop", response_model=list[EmergencyStopOut])
def emergency_stop_all(
    request: Request, user: CurrentUser, session: DbSession, request_id: RequestId
) -> list[EmergencyStopOut]:
    """Emergency-stop every running bot of the caller (an admin too: their own bots only)."""
    managers = _managers(request)
    rows = repo.own(session, user)
    live = [
        (bot, info) for bot in rows if (info := managers.info(bot)) is not None and info.stopped_at is None
    ]
    return [_emergency_stop(session, bot, managers, user, request_id) for bot, _info in live]


@router.post("/{bot_id}/emergency-stop", response_model=EmergencyStopOut, responses=problems(404))
def emergency_stop(
    bot_id: ObjectId, request: Request, user: CurrentUser, session: DbSession, request_id: RequestId
) -> EmergencyStopOut:
    """Close every open position at market through the bot's REST API (forceexit all), then stop the bot.

    Returns when the positions are closed, or after the wait ran out naming those that did not close.
    """
    bot = repo.get(session, bot_id, user)
    return _emergency_stop(session, bot, _managers(request), user, request_id)


def _emergency_stop(
    session: Session, bot: Bot, managers: Managers, user: User, request_id: str | None
) -> EmergencyStopOut:
    if managers.info(bot) is None:  # never started: nothing to close, nothing to stop
        report = None
        info = None
    else:
        report = managers.of(bot.owner_id).emergency_stop(process_name(bot))
        info = report.bot
    detail = (
        report.detail() if report is not None else {"bot": process_name(bot), "closed": [], "not_closed": []}
    )
    record(session, user, "emergency_stop", "bot", bot.id, request_id, detail=detail)
    session.commit()
    return EmergencyStopOut(
        bot=_out(session, bot, info),
        complete=report.complete if report is not None else True,
        closed=[TradeRefOut(**t.model_dump()) for t in (report.closed if report else [])],
        not_closed=[OpenTradeOut(**t.model_dump()) for t in (report.not_closed if report else [])],
        error=report.error if report is not None else None,
    )


@router.get("/{bot_id}", response_model=BotOut, responses=problems(404))
def get_bot(bot_id: ObjectId, request: Request, user: CurrentUser, session: DbSession) -> BotOut:
    """The bot; to its owner also the api_server login (FreqUI or freqtrade-client log in with it)."""
    bot = repo.get(session, bot_id, user)
    managers = _managers(request)
    info = managers.info(bot)
    out = _out(session, bot, info)
    if info is not None and bot.owner_id == user.id:
        creds = managers.of(bot.owner_id).credentials(process_name(bot))
        out = out.model_copy(update={"username": creds.username, "password": creds.password})
    return out


@router.get("/{bot_id}/trades", responses=problems(404, 409))
def bot_trades(
    bot_id: ObjectId,
    request: Request,
    user: CurrentUser,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=500)] = 500,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """freqtrade's own ``/trades`` of the running bot (closed and open trades, newest last)."""
    answer = _proxy(request, repo.get(session, bot_id, user), "trades", {"limit": limit, "offset": offset})
    return dict(answer)


@router.get("/{bot_id}/open-trades", responses=problems(404, 409))
def bot_open_trades(
    bot_id: ObjectId, request: Request, user: CurrentUser, session: DbSession
) -> list[dict[str, Any]]:
    """freqtrade's own ``/status`` of the running bot: its open trades with their current profit."""
    return list(_proxy(request, repo.get(session, bot_id, user), "status", None))


@router.get("/{bot_id}/profit", responses=problems(404, 409))
def bot_profit(bot_id: ObjectId, request: Request, user: CurrentUser, session: DbSession) -> dict[str, Any]:
    """freqtrade's own ``/profit`` summary of the running bot."""
    return dict(_proxy(request, repo.get(session, bot_id, user), "profit", None))


def _proxy(request: Request, bot: Bot, route: str, params: dict[str, Any] | None) -> Any:
    managers = _managers(request)
    info = managers.info(bot)
    if info is None or info.status not in (BotStatus.RUNNING, BotStatus.DEGRADED):
        state = info.status.value if info is not None else "never started"
        raise ConflictError(f"bot {bot.id} is not running ({state}): its trades live in its own api_server")
    manager, name = managers.of(bot.owner_id), process_name(bot)
    answer = BotClient(info.api_url, manager.credentials(name)).get(route, params)
    if isinstance(answer, str):
        raise ConflictError(f"bot {bot.id}: {answer}")
    return answer


@router.get("/{bot_id}/logs", response_model=BotLogs, responses=problems(404))
def bot_logs(
    bot_id: ObjectId,
    request: Request,
    user: CurrentUser,
    session: DbSession,
    lines: Annotated[int, Query(ge=1, le=5000)] = 100,
) -> BotLogs:
    """The last lines of the bot's freqtrade log."""
    bot = repo.get(session, bot_id, user)
    managers = _managers(request)
    text = managers.of(bot.owner_id).logs(process_name(bot), lines) if managers.info(bot) else ""
    return BotLogs(lines=lines, text=text)


@router.post("/{bot_id}/start", response_model=BotOut, responses=problems(403, 404, 409))
def start_bot(
    bot_id: ObjectId,
    request: Request,
    user: CurrentUser,
    session: DbSession,
    svc: ServicesDep,
    request_id: RequestId,
) -> BotOut:
    """Start a stopped (or crashed) bot again with the version and settings it was created with."""
    bot = repo.get(session, bot_id, user)
    version = repo.version_of(session, bot)
    body = BotIn(
        strategy_id=version.strategy_id,
        live=bot.config.get("live", False),
        confirm_real_money=bot.config.get("live", False),
        credential_id=bot.config.get("credential_id"),
    )
    keys = _keys(body, session.get(User, bot.owner_id) or user, session, svc)
    webhook = owner_webhook(session.get(User, bot.owner_id), svc.cipher)
    info = _managers(request).launch(bot, version, keys, webhook)
    record(session, user, "start", "bot", bot.id, request_id)
    session.commit()
    return _out(session, bot, info)


@router.post("/{bot_id}/stop", response_model=BotOut, responses=problems(404))
def stop_bot(
    bot_id: ObjectId, request: Request, user: CurrentUser, session: DbSession, request_id: RequestId
) -> BotOut:
    """Stop the bot (SIGTERM, then SIGKILL after the grace period); stopping a stopped bot is a no-op."""
    bot = repo.get(session, bot_id, user)
    managers = _managers(request)
    info = managers.of(bot.owner_id).stop(process_name(bot)) if managers.info(bot) else None
    record(session, user, "stop", "bot", bot.id, request_id)
    session.commit()
    return _out(session, bot, info)


@router.delete("/{bot_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(404))
def delete_bot(
    bot_id: ObjectId, request: Request, user: CurrentUser, session: DbSession, request_id: RequestId
) -> Response:
    """Stop the bot, then forget it: its row, its registry entry and its files (trade database included)."""
    remove_bot(session, _managers(request), repo.get(session, bot_id, user))
    record(session, user, "delete", "bot", bot_id, request_id)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)

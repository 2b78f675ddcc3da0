"""Signals, bots, chat and settings: pages whose content is live, so their script reads and changes it
through the JSON API (the same routes any client uses); the server renders the frame and what only it
knows (rate limits, LLM provider status, the caller's strategies), and streams a bot's log tail."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from agents.llm import LLMSettings
from gentrade.api.deps import DbSession, ServicesDep
from gentrade.api.routing import SessionReleasingRoute
from gentrade.api.schemas.common import ObjectId
from gentrade.db.models import Bot
from gentrade.db.repositories import strategies as strategies_repo
from gentrade.db.repositories.scope import get_owned
from gentrade.errors import NotFoundError
from gentrade.tasks.bot_control import Managers, process_name
from gentrade.web.render import not_found, page
from gentrade.web.session import ViewerDep

router = APIRouter(route_class=SessionReleasingRoute, include_in_schema=False)
LOG_LINES = 200
LOG_POLL_S = 1.0


def _strategies(svc: ServicesDep, user_id: int) -> list[dict[str, object]]:
    with svc.autocommit.connect() as connection:
        found = strategies_repo.page(connection, user_id, limit=200)
    return [dict(zip(strategies_repo.LIST_FIELDS, row, strict=True)) for row in (found[0] if found else [])]


@router.get("/signals", response_class=HTMLResponse)
def signals(request: Request, viewer: ViewerDep, svc: ServicesDep) -> HTMLResponse:
    settings = svc.settings
    return page(
        request,
        "signals.html",
        viewer,
        nav="signals",
        rate_per_minute=settings.rate_signals_per_minute,
        rate_burst=settings.rate_signals_burst,
    )


@router.get("/bots", response_class=HTMLResponse)
def bots(request: Request, viewer: ViewerDep, svc: ServicesDep) -> HTMLResponse:
    return page(
        request,
        "bots.html",
        viewer,
        nav="bots",
        strategies=_strategies(svc, viewer.user.id),
        exchange_url=svc.settings.bot_exchange_url,
    )


@router.get("/bots/{bot_id}/log-stream")
def bot_log_stream(request: Request, bot_id: ObjectId, viewer: ViewerDep, session: DbSession) -> Response:
    """The bot's log tail as server-sent events: the last lines now, then every new line as it lands."""
    try:
        bot = get_owned(session, Bot, bot_id, viewer.user)
    except NotFoundError as exc:
        return not_found(request, viewer, str(exc))
    managers: Managers = request.app.state.bot_managers
    manager, name = managers.of(bot.owner_id), process_name(bot)

    def tail() -> str:
        return manager.logs(name, LOG_LINES) if managers.info(bot) else ""

    async def events() -> AsyncIterator[str]:
        sent: list[str] = []
        while not await request.is_disconnected():
            lines = (await run_in_threadpool(tail)).splitlines()
            for line in _new_lines(sent, lines):
                yield f"data: {line}\n\n"
            sent = lines
            await asyncio.sleep(LOG_POLL_S)

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


def _new_lines(before: list[str], now: list[str]) -> list[str]:
    """The lines of ``now`` after the longest overlap between the end of ``before`` and its start: a log
    tail is a window that slides, so what was already sent is the window's overlap with the last one."""
    for start in range(len(now)):
        overlap = now[: len(now) - start]
        if overlap and before[-len(overlap) :] == overlap:
            return now[len(now) - start :]
    return now


@router.get("/chat", response_class=HTMLResponse)
def chat(request: Request, viewer: ViewerDep, svc: ServicesDep) -> HTMLResponse:
    return page(request, "chat.html", viewer, nav="chat", llm=_llm_status(svc.settings.llm))


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, viewer: ViewerDep, svc: ServicesDep) -> HTMLResponse:
    return page(request, "settings.html", viewer, nav="settings", llm=_llm_status(svc.settings.llm))


def _llm_status(llm: LLMSettings) -> list[dict[str, str]]:
    """The configured providers by name, model and endpoint (never a key); empty means the offline agents."""
    return [{"name": p.name, "model": p.model, "base_url": p.base_url} for p in llm.providers]

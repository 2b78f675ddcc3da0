"""Chat: draft a strategy in conversation, with progress as server-sent events.

Ownership is decided by the ``chat_threads`` table, always *before* the checkpointer is touched: a thread id
names one row, the row names its owner, and someone else's id is a 404 exactly like a missing one. Only then
is the checkpointer asked, under ``user:{owner_id}:{thread_id}``, so even a bug in that check could not make
one user's id read another user's conversation.

Streams are one SSE event per chat event: ``event:`` is the event's type (``message``, ``draft``,
``approval_needed``, ``backtest_started``, ``backtest_done``, ``error``) and ``data:`` its JSON. Events
arrive as each graph node finishes. With an LLM configured, an answer or explanation is also streamed as it
is written: ``event: token`` frames with ``data: {"text": ...}``, then a ``message`` event with the whole
text (the only part a reconnecting client gets back). The offline path sends no token frames: a ``message``
event carries the full text.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from agents.drafting import ChatSession, NothingToApproveError
from agents.drafting.events import DraftEvent, ErrorEvent, TokenEvent
from agents.llm import LLMClient
from gentrade.api.chat_store import ChatStore, open_chat_store
from gentrade.api.deps import CurrentUser, DbSession, RequestId, Services, ServicesDep
from gentrade.api.ratelimit import RateLimiter
from gentrade.api.redact import redact, redact_paths
from gentrade.api.routing import SessionReleasingRoute
from gentrade.api.schemas.chat import ApprovalIn, ChatMessageIn, ThreadId, ThreadOut, ThreadRow
from gentrade.api.schemas.common import problems
from gentrade.api.strategy_saving import SavedStrategy, save_agent_spec
from gentrade.api.stream_slots import Slot, StreamSlots
from gentrade.db.base import utcnow
from gentrade.db.models import ChatThread, User
from gentrade.db.repositories import chat_threads
from gentrade.db.repositories.scope import record
from gentrade.errors import ConflictError, GenTradeError
from gentrade.services.chat_backtests import ChatBacktests
from gentrade.services.llm_calls import DbRecorder
from gentrade.settings import Settings

logger = logging.getLogger("gentrade.api")
SSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {}}, "description": "Server-sent chat events."}
}
TITLE_CHARS = 80


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.services.settings
    store = open_chat_store(settings.resolved_database_url)
    app.state.chat_store = store
    app.state.chat_limiter = RateLimiter(
        "chat", settings.rate_chat_per_minute, settings.rate_chat_burst, app.state.services.engine
    )
    app.state.chat_streams = StreamSlots(settings.chat_streams_per_user, settings.chat_streams_total)
    try:
        yield
    finally:
        store.close()


router = APIRouter(
    route_class=SessionReleasingRoute,
    prefix="/chat",
    tags=["chat"],
    responses=problems(401),
    lifespan=_lifespan,
)


def _store(request: Request) -> ChatStore:
    return request.app.state.chat_store  # type: ignore[no-any-return]


def _limiter(request: Request) -> RateLimiter:
    return request.app.state.chat_limiter  # type: ignore[no-any-return]


def _streams(request: Request) -> StreamSlots:
    return request.app.state.chat_streams  # type: ignore[no-any-return]


Store = Annotated[ChatStore, Depends(_store)]
Limiter = Annotated[RateLimiter, Depends(_limiter)]
Streams = Annotated[StreamSlots, Depends(_streams)]


def _chat(store: ChatStore, svc: Services, user: User, request_id: str | None = None) -> ChatSession:
    """A session per request: an LLM client carries one request's token budget (offline without providers)
    and records each of its calls for `user` (``gentrade.services.llm_calls``); an approved backtest is
    stored and queued like ``POST /backtests`` (``gentrade.services.chat_backtests``)."""
    llm_settings = svc.settings.llm
    recorder = DbRecorder(svc.sessions, user.id, "chat")
    llm = LLMClient.from_settings(llm_settings, recorder=recorder) if llm_settings.providers else None
    return ChatSession(
        store.checkpointer,
        llm,
        datadir=svc.settings.resolved_data_dir,
        backtester=ChatBacktests(
            svc.sessions,
            user,
            svc.executor,
            svc.backtest_limiter,
            svc.settings,
            public_message=redact_paths,
            request_id=request_id,
        ),
    )


def _namespaced(thread: ChatThread) -> str:
    return f"user:{thread.owner_id}:{thread.thread_key}"


def _sse(events: Iterator[Any], slot: Slot) -> Iterator[str]:
    """Chat events as SSE frames; a failure mid-stream becomes a final ``error`` event (the status line is
    long gone by then). The user's stream slot is given back when the stream ends, however it ends."""
    try:
        for event in events:
            yield _frame(event)
    except GenTradeError as exc:
        yield _frame(
            ErrorEvent(code=exc.code, message=redact_paths(exc.message), details=redact(exc.details))
        )
    except Exception:
        logger.exception("chat stream failed")
        yield _frame(ErrorEvent(code="internal_error", message="the chat failed; the thread is kept"))
    finally:
        slot.release()


def _frame(event: Any) -> str:
    data = {"text": event.text} if isinstance(event, TokenEvent) else event.model_dump(mode="json")
    return f"event: {event.type}\ndata: {json.dumps(data)}\n\n"


def _stream(events: Iterator[Any], slot: Slot) -> StreamingResponse:
    """The background task releases the slot of a stream whose client left before its first frame (its
    generator never started, so its ``finally`` never runs)."""
    return StreamingResponse(
        _sse(events, slot),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        background=BackgroundTask(slot.release),
    )


@router.get("", response_model=list[ThreadRow])
def list_threads(
    user: CurrentUser,
    session: DbSession,
    svc: ServicesDep,
    store: Store,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> list[ThreadRow]:
    """The caller's threads, most recently used first, each with its current draft."""
    rows = chat_threads.listing(session, user, limit)
    chat = _chat(store, svc, user)
    out = []
    for row in rows:
        view = chat.state(_namespaced(row))
        out.append(
            ThreadRow(
                thread_id=row.thread_key,
                title=row.title,
                created_at=row.created_at,
                updated_at=row.updated_at,
                draft=view.draft.model_dump(mode="json") if view.draft else None,
                pending_approval=view.pending_approval is not None,
            )
        )
    return out


@router.get("/{thread_id}", response_model=ThreadOut, responses=problems(404))
def get_thread(
    thread_id: ThreadId, user: CurrentUser, session: DbSession, svc: ServicesDep, store: Store
) -> ThreadOut:
    """The thread after a reconnect or a restart: draft, last backtest, pending approval, every event."""
    row = chat_threads.get(session, thread_id, user)
    view = _chat(store, svc, user).state(_namespaced(row))
    return ThreadOut(
        thread_id=row.thread_key,
        title=row.title,
        draft=view.draft.model_dump(mode="json") if view.draft else None,
        last_backtest=view.last_backtest,
        pending_approval=view.pending_approval,
        events=view.events,
        messages=view.messages,
    )


@router.post("/{thread_id}", response_class=StreamingResponse, responses={**SSE, **problems(404, 422, 429)})
def send_message(
    thread_id: ThreadId,
    body: ChatMessageIn,
    user: CurrentUser,
    session: DbSession,
    svc: ServicesDep,
    store: Store,
    limiter: Limiter,
    streams: Streams,
    request_id: RequestId,
) -> StreamingResponse:
    """Send a message (the first one creates the thread) and stream what it produces; a user with
    ``chat_streams_per_user`` streams open gets a 429 (no chat token spent)."""
    slot = streams.take(user.id)
    try:
        limiter.take(user.id)
        row = chat_threads.get_or_create(session, thread_id, user, body.message[:TITLE_CHARS])
        row.updated_at = utcnow()
        record(session, user, "message", "chat_thread", row.id, request_id)
        namespaced = _namespaced(row)
        session.commit()
    except BaseException:
        slot.release()
        raise
    session.close()  # no database connection is held while the stream waits on a model or a backtest
    return _stream(_chat(store, svc, user, request_id).stream(namespaced, body.message), slot)


@router.post(
    "/{thread_id}/approval", response_class=StreamingResponse, responses={**SSE, **problems(404, 409, 429)}
)
def answer_approval(
    thread_id: ThreadId,
    body: ApprovalIn,
    user: CurrentUser,
    session: DbSession,
    svc: ServicesDep,
    store: Store,
    limiter: Limiter,
    streams: Streams,
    request_id: RequestId,
) -> StreamingResponse:
    """Approve or refuse the backtest the thread is waiting on; an approval streams the backtest's events."""
    row = chat_threads.get(session, thread_id, user)
    chat = _chat(store, svc, user, request_id)
    namespaced = _namespaced(row)
    if chat.state(namespaced).pending_approval is None:  # a 409 now, not an error event in a 200 stream
        raise NothingToApproveError(f"thread {thread_id} has no backtest waiting for approval")
    slot = streams.take(user.id)
    try:
        limiter.take(user.id)
        row.updated_at = utcnow()
        record(session, user, "approve" if body.approved else "refuse", "chat_thread", row.id, request_id)
        session.commit()
    except BaseException:
        slot.release()
        raise
    session.close()  # the backtest may run for minutes: no connection is held meanwhile
    return _stream(chat.stream_resume(namespaced, body.approved), slot)


@router.post("/{thread_id}/save", status_code=201, response_model=SavedStrategy, responses=problems(404, 409))
def save_draft(
    thread_id: ThreadId,
    user: CurrentUser,
    session: DbSession,
    svc: ServicesDep,
    store: Store,
    request_id: RequestId,
) -> SavedStrategy:
    """Save the thread's draft as a strategy (a new version when one of that name exists), created by the
    agent with the model that drafted it."""
    row = chat_threads.get(session, thread_id, user)
    view = _chat(store, svc, user).state(_namespaced(row))
    if view.draft is None:
        raise ConflictError(f"thread {thread_id} has no draft to save")
    drafts = [event for event in view.events if isinstance(event, DraftEvent)]
    model_id = drafts[-1].model_id if drafts else None
    saved = save_agent_spec(session, user, view.draft, model_id)
    record(session, user, "create" if saved.created else "update", "strategy", saved.strategy.id, request_id)
    session.commit()
    return saved

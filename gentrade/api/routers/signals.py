"""Trade signals: generate (the analyst on the data dir's candles), import, list, read, evaluate on demand,
statistics, CSV export, and turn one into a strategy. Someone else's signal is a 404 on every route."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response, status
from pydantic import AwareDatetime

from agents.llm import LLMClient
from gentrade.api.deps import CurrentUser, DbSession, RequestId, Services, ServicesDep
from gentrade.api.ratelimit import RateLimiter
from gentrade.api.routing import SessionReleasingRoute
from gentrade.api.schemas.common import MAX_ID, ObjectId, problems
from gentrade.api.schemas.signals import (
    OutcomeOut,
    SignalImport,
    SignalIn,
    SignalOut,
    SignalPage,
    SignalRow,
    SignalStatus,
)
from gentrade.api.strategy_saving import SavedStrategy, save_agent_spec
from gentrade.db.models import TradeSignal as SignalModel
from gentrade.db.models import User
from gentrade.db.repositories import signals as signals_repo
from gentrade.db.repositories.scope import record
from gentrade.errors import GenTradeError
from gentrade.services import signals as service
from gentrade.services.llm_calls import DbRecorder
from gentrade.signals.export import write_csv
from gentrade.signals.stats import SignalStats, signal_stats
from gentrade.signals.to_spec import default_name, to_spec
from gentrade.spec.common import Pair
from gentrade.spec.signal import SignalTimeframe


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.services.settings
    app.state.signal_limiter = RateLimiter(
        "signal generation",
        settings.rate_signals_per_minute,
        settings.rate_signals_burst,
        app.state.services.engine,
    )
    yield


router = APIRouter(
    route_class=SessionReleasingRoute,
    prefix="/signals",
    tags=["signals"],
    responses=problems(401),
    lifespan=_lifespan,
)


def _limiter(request: Request) -> RateLimiter:
    return request.app.state.signal_limiter  # type: ignore[no-any-return]


def _filters(
    symbol: Annotated[Pair | None, Query(description="Pair, e.g. ETH/BTC.")] = None,
    status: SignalStatus | None = None,
    timeframe: SignalTimeframe | None = None,
    since: Annotated[AwareDatetime | None, Query(description="Generated at or after.")] = None,
    until: Annotated[AwareDatetime | None, Query(description="Generated before.")] = None,
) -> signals_repo.SignalFilter:
    return signals_repo.SignalFilter(
        symbol=symbol, status=status, timeframe=timeframe, since=since, until=until
    )


Filters = Annotated[signals_repo.SignalFilter, Depends(_filters)]


def _analyst_llm(svc: Services, user: User) -> LLMClient | None:
    """The LLM analyst when the settings name providers (``settings.llm``, read once with the rest), its
    calls recorded for `user`; offline otherwise."""
    llm_settings = svc.settings.llm
    if not llm_settings.providers:
        return None
    return LLMClient.from_settings(llm_settings, recorder=DbRecorder(svc.sessions, user.id, "signal"))


def _out(session: DbSession, row: SignalModel) -> SignalOut:
    stored = signals_repo.outcome_of(session, row)
    return SignalOut(
        **SignalRow.model_validate(row).model_dump(),
        reasoning=row.reasoning,
        snapshots=row.snapshots,
        outcome=OutcomeOut.model_validate(stored) if stored is not None else None,
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SignalOut, responses=problems(422, 429))
def generate_signal(
    body: SignalIn,
    user: CurrentUser,
    session: DbSession,
    svc: ServicesDep,
    limiter: Annotated[RateLimiter, Depends(_limiter)],
    request_id: RequestId,
) -> SignalOut:
    """Analyse the pair's candles in the data dir and store the signal (``active``) with its snapshots."""
    limiter.take(user.id)
    try:
        row = service.generate_signal(
            session,
            user,
            body.pair,
            body.timeframe,
            datadir=svc.settings.resolved_data_dir,
            as_of=body.as_of,
            llm=_analyst_llm(svc, user),
        )
    except GenTradeError:  # no candles, or the model upstream failed (502): nothing made, nothing spent
        limiter.give_back(user.id)
        raise
    record(session, user, "create", "signal", row.id, request_id)
    session.commit()
    return _out(session, row)


@router.post(
    "/import", status_code=status.HTTP_201_CREATED, response_model=SignalOut, responses=problems(422)
)
def import_signal(
    body: SignalImport, user: CurrentUser, session: DbSession, request_id: RequestId
) -> SignalOut:
    """Store a signal made elsewhere; it is validated like any other (targets beyond the entry, the stop on
    the other side, allocations summing to 100 %, confidence 0–100) and a 422 names the bad fields."""
    row = service.store_signal(session, user, body.signal)
    record(session, user, "import", "signal", row.id, request_id)
    session.commit()
    return _out(session, row)


@router.get("", response_model=SignalPage, responses=problems(400))
def list_signals(
    user: CurrentUser,
    session: DbSession,
    where: Filters,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[int | None, Query(ge=1, le=MAX_ID, description="the previous next_cursor")] = None,
) -> SignalPage:
    rows, next_id = signals_repo.page(session, user, where, limit=limit, before_id=cursor)
    return SignalPage(
        items=[SignalRow.model_validate(row) for row in rows],
        next_cursor=str(next_id) if next_id is not None else None,
    )


@router.get("/stats", response_model=SignalStats)
def stats(user: CurrentUser, session: DbSession, where: Filters) -> SignalStats:
    """Win rate, P/L, level hit rates and breakdowns over the caller's evaluated signals."""
    return signal_stats(service.evaluated(session, user, where))


@router.get("/export", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def export(user: CurrentUser, session: DbSession, where: Filters) -> Response:
    """The caller's evaluated signals with their outcomes, one CSV row each (never-evaluated ones have no
    outcome to show and are left out)."""
    out = io.StringIO()
    write_csv(service.evaluated(session, user, where), out)
    stamp = f"{datetime.now(UTC):%Y%m%d-%H%M%S}"
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="signals-{stamp}.csv"'},
    )


@router.get("/{signal_id}", response_model=SignalOut, responses=problems(404))
def get_signal(signal_id: ObjectId, user: CurrentUser, session: DbSession) -> SignalOut:
    return _out(session, signals_repo.get(session, signal_id, user))


@router.post("/{signal_id}/evaluate", response_model=SignalOut, responses=problems(404, 422))
def evaluate_signal(
    signal_id: ObjectId, user: CurrentUser, session: DbSession, svc: ServicesDep, request_id: RequestId
) -> SignalOut:
    """Evaluate now against the data dir's candles; the outcome is stored and the status follows it (a
    signal whose candles do not yet reach its expiry stays ``active``)."""
    row = signals_repo.get(session, signal_id, user)
    service.evaluate_row(session, row, datadir=svc.settings.resolved_data_dir)
    record(session, user, "evaluate", "signal", row.id, request_id)
    session.commit()
    return _out(session, row)


@router.post(
    "/{signal_id}/strategy",
    status_code=status.HTTP_201_CREATED,
    response_model=SavedStrategy,
    responses=problems(404, 409, 422),
)
def signal_strategy(
    signal_id: ObjectId, user: CurrentUser, session: DbSession, request_id: RequestId
) -> SavedStrategy:
    """Save the strategy that trades this signal (``to_spec``: its ladder, stop and a cross of the entry
    level), ready for ``POST /backtests`` or ``POST /bots``; asking again adds a version."""
    row = signals_repo.get(session, signal_id, user)
    signal = service.signal_of(row)
    spec = to_spec(signal, name=f"{default_name(signal)}{row.id}")
    saved = save_agent_spec(session, user, spec, row.model_id)
    record(session, user, "create" if saved.created else "update", "strategy", saved.strategy.id, request_id)
    session.commit()
    return saved

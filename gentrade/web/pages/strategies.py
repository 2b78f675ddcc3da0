"""Strategies: the list, and one strategy's versions, source, embedded spec, audit and backtests."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from gentrade.api.deps import DbSession, ServicesDep
from gentrade.api.routing import SessionReleasingRoute
from gentrade.api.schemas.common import MAX_ID, ObjectId
from gentrade.data.store import load_candles_frame
from gentrade.db.repositories import backtests as backtests_repo
from gentrade.db.repositories import strategies as repo
from gentrade.errors import ConfigError, DataMissingError, NotFoundError
from gentrade.examples import example_names, load_example
from gentrade.services import quickstart_results
from gentrade.web.render import not_found, page
from gentrade.web.session import ViewerDep

router = APIRouter(route_class=SessionReleasingRoute, include_in_schema=False)


@router.get("/strategies", response_class=HTMLResponse)
def strategy_list(request: Request, viewer: ViewerDep, svc: ServicesDep) -> HTMLResponse:
    with svc.autocommit.connect() as connection:
        found = repo.page(connection, viewer.user.id, limit=200)
    rows = [dict(zip(repo.LIST_FIELDS, row, strict=True)) for row in (found[0] if found else [])]
    examples = {name: load_example(name).model_dump(mode="json") for name in example_names()}
    return page(
        request,
        "strategies.html",
        viewer,
        nav="strategies",
        strategies=rows,
        examples=examples,
        quickstart_ready=not rows and quickstart_results.has_report(svc.settings.user_dir),
    )


@router.get("/strategies/{strategy_id}", response_class=HTMLResponse)
def strategy_detail(
    request: Request,
    strategy_id: ObjectId,
    viewer: ViewerDep,
    session: DbSession,
    svc: ServicesDep,
    version: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> HTMLResponse:
    try:
        strategy = repo.get(session, strategy_id, viewer.user)
        shown = repo.version(session, strategy, version)
    except NotFoundError as exc:
        return not_found(request, viewer, str(exc))
    backtests, _total = backtests_repo.page(
        session, viewer.user, backtests_repo.BacktestFilter(strategy_id=strategy.id), limit=50
    )
    return page(
        request,
        "strategy.html",
        viewer,
        nav="strategies",
        strategy=strategy,
        version=shown,
        versions=repo.versions(session, strategy),
        spec_yaml=yaml.safe_dump(shown.spec, sort_keys=False, allow_unicode=True),
        backtests=backtests,
        default_timerange=_default_timerange(svc.settings.resolved_data_dir, shown.spec),
    )


def _default_timerange(datadir: Path, spec: dict[str, Any]) -> str:
    """The form's starting timerange: the candles on disk for the spec's first pair, when there are any."""
    pairs = spec.get("pairs") or []
    timeframe = str(spec.get("timeframe") or "5m")
    if not isinstance(pairs, list) or not pairs:
        return ""
    try:
        frame = load_candles_frame(datadir, str(pairs[0]), timeframe)
    except (DataMissingError, ConfigError):  # no data for the pair: the person types a timerange
        return ""
    if frame.empty:
        return ""
    return f"{frame['date'].iloc[0]:%Y%m%d}-{frame['date'].iloc[-1]:%Y%m%d}"

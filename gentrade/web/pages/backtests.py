"""Backtests: the list, one backtest's report with its charts, several side by side (``services.compare``:
metrics with the better marked, the spec diff; plus their equity overlaid), and the result zip."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from gentrade.api.deps import DbSession, ServicesDep
from gentrade.api.routers.backtests import _compare_ids
from gentrade.api.routing import SessionReleasingRoute
from gentrade.api.schemas.common import ObjectId
from gentrade.db.models import User
from gentrade.db.repositories import backtests as repo
from gentrade.db.repositories import strategies as strategies_repo
from gentrade.engine.result import BacktestResult
from gentrade.engine.series import equity_curve
from gentrade.errors import InvalidRequestError, NotFoundError
from gentrade.services import compare as compare_service
from gentrade.services import quickstart_results
from gentrade.web.render import not_found, page
from gentrade.web.session import ViewerDep
from gentrade.web.tables import trade_groups

router = APIRouter(route_class=SessionReleasingRoute, include_in_schema=False)
MAX_COMPARED = 5


@router.get("/backtests", response_class=HTMLResponse)
def backtest_list(request: Request, viewer: ViewerDep, session: DbSession, svc: ServicesDep) -> HTMLResponse:
    rows, total = repo.page(session, viewer.user, repo.BacktestFilter(), limit=200)
    names = _strategy_names(session, viewer.user, {row.strategy_id for row in rows})
    return page(
        request,
        "backtests.html",
        viewer,
        nav="backtests",
        backtests=rows,
        total=total,
        names=names,
        quickstart_ready=not rows and quickstart_results.has_report(svc.settings.user_dir),
    )


def _strategy_names(session: DbSession, user: User, ids: set[int]) -> dict[int, str]:
    names = {}
    for strategy_id in ids:
        try:
            names[strategy_id] = strategies_repo.get(session, strategy_id, user).name
        except NotFoundError:
            continue
    return names


@router.get("/backtests/{backtest_id}", response_class=HTMLResponse)
def backtest_detail(
    request: Request, backtest_id: ObjectId, viewer: ViewerDep, session: DbSession
) -> HTMLResponse:
    try:
        backtest = repo.get(session, backtest_id, viewer.user)
        strategy = strategies_repo.get(session, backtest.strategy_id, viewer.user)
    except NotFoundError as exc:
        return not_found(request, viewer, str(exc))
    result = BacktestResult.model_validate(backtest.result) if backtest.result else None
    return page(
        request,
        "backtest.html",
        viewer,
        nav="backtests",
        backtest=backtest,
        strategy=strategy,
        result=result,
        equity=[vars(p) for p in equity_curve(result)] if result else [],
        trade_groups=trade_groups(backtest.result["trade_list"]) if backtest.result else "",
    )


@router.get("/backtests/{backtest_id}/result.zip", response_class=FileResponse)
def backtest_zip(request: Request, backtest_id: ObjectId, viewer: ViewerDep, session: DbSession) -> Response:
    """freqtrade's zip for a plain link (a link cannot send the API's bearer header)."""
    try:
        backtest = repo.get(session, backtest_id, viewer.user)
    except NotFoundError as exc:
        return not_found(request, viewer, str(exc))
    path = Path(backtest.result_zip) if backtest.result_zip else None
    if backtest.status != "succeeded" or path is None or not path.is_file():
        return not_found(request, viewer, f"backtest {backtest_id} has no result file")
    return FileResponse(path, media_type="application/zip", filename=path.name)


@router.get("/compare", response_class=HTMLResponse)
def compare(
    request: Request,
    viewer: ViewerDep,
    session: DbSession,
    ids: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    if not ids:
        rows, _total = repo.page(session, viewer.user, repo.BacktestFilter(status="succeeded"), limit=200)
        names = _strategy_names(session, viewer.user, {row.strategy_id for row in rows})
        return page(
            request, "compare_pick.html", viewer, nav="compare", backtests=rows, names=names, error=None
        )
    try:
        wanted = _compare_ids(ids)
        if not 2 <= len(wanted) <= MAX_COMPARED:
            raise InvalidRequestError(f"pick 2 to {MAX_COMPARED} backtests to compare")
        backtests, comparison = compare_service.compare(session, viewer.user, wanted)
    except NotFoundError as exc:
        return not_found(request, viewer, str(exc))
    except InvalidRequestError as exc:
        return page(
            request, "compare_pick.html", viewer, 400, nav="compare", backtests=[], names={}, error=str(exc)
        )
    names = _strategy_names(session, viewer.user, {row.strategy_id for row in backtests})
    curves: list[dict[str, Any]] = []
    for backtest in backtests:
        result = BacktestResult.model_validate(backtest.result) if backtest.result else None
        curves.append(
            {
                "id": backtest.id,
                "label": f"#{backtest.id} {names.get(backtest.strategy_id, '')} v{backtest.version_number}",
                "points": [vars(p) for p in equity_curve(result)] if result else [],
                "result": result,
            }
        )
    return page(
        request,
        "compare.html",
        viewer,
        nav="compare",
        backtests=backtests,
        curves=curves,
        comparison=comparison,
        names=names,
    )

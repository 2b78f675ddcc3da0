"""Backtests: queue through the executor, follow status, list/filter/sort, compare, cancel, download."""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import FileResponse

from gentrade.api.deps import CurrentUser, DbSession, RequestId, ServicesDep
from gentrade.api.routing import SessionReleasingRoute
from gentrade.api.schemas.backtests import (
    BacktestComparison,
    BacktestIn,
    BacktestOut,
    BacktestPage,
    BacktestQueued,
    BacktestRow,
    Status,
)
from gentrade.api.schemas.common import MAX_ID, ObjectId, problems
from gentrade.db.repositories import backtests as repo
from gentrade.db.repositories import strategies as strategies_repo
from gentrade.db.repositories.scope import record
from gentrade.errors import InvalidRequestError, NotFoundError, ServiceUnavailableError
from gentrade.services import compare, quickstart_results
from gentrade.services.quickstart_results import QuickstartImport
from gentrade.services.submission import require_candles

router = APIRouter(
    route_class=SessionReleasingRoute, prefix="/backtests", tags=["backtests"], responses=problems(401)
)

if TYPE_CHECKING:
    # A Literal built at import time is invisible to type checkers; FastAPI sees (and documents) the real one.
    SortKey = str
else:
    SortKey = Literal[tuple(key for name in repo.SORT_KEYS for key in (name, f"-{name}"))]
MAX_COMPARE = 20


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=BacktestQueued,
    responses=problems(404, 422, 429, 503),
)
def create_backtest(
    body: BacktestIn, user: CurrentUser, session: DbSession, svc: ServicesDep, request_id: RequestId
) -> BacktestQueued:
    """Queue a backtest of a strategy version; poll ``GET /backtests/{id}`` for its status and metrics.

    Pairs and a range with no candles are a 422 before anything is stored or a rate-limit token taken."""
    strategy = strategies_repo.get(session, body.strategy_id, user)
    version = strategies_repo.version(session, strategy, body.version)
    pairs = body.pairs or version.spec["pairs"]
    require_candles(
        svc.settings.resolved_data_dir,
        pairs,
        body.timeframe or version.spec["timeframe"],
        body.timerange,
        pairs_field="pairs" if body.pairs else "spec.pairs",
    )
    # The limiter takes its own pooled connection: end this read transaction first, so a request never
    # holds two connections (16 concurrent submissions exhausted SQLite's 5 + 10 pool under load).
    session.commit()
    svc.backtest_limiter.take(user.id)
    parameters = {
        "timerange": body.timerange,
        "pairs": pairs,
        "timeframe": body.timeframe,
        "fee": body.fee,
        "slippage": body.slippage,
    }
    backtest = repo.create(session, user, strategy, version, parameters)
    record(session, user, "create", "backtest", backtest.id, request_id)
    # Committed before queueing, so a worker never receives an id it cannot see yet; if the queue refuses
    # the work (its broker is down: 503), the row goes again rather than waiting forever as "queued".
    session.commit()
    try:
        svc.executor.submit(backtest.id, request_id=request_id)
    except ServiceUnavailableError:
        repo.remove(session, backtest)
        session.commit()
        raise
    return BacktestQueued(id=backtest.id, status="queued")


@router.post("/import-quickstart", response_model=QuickstartImport, responses=problems(404, 409, 422))
def import_quickstart(
    user: CurrentUser, session: DbSession, svc: ServicesDep, request_id: RequestId
) -> QuickstartImport:
    """Store the server's ``gentrade quickstart`` results as the caller's strategies and succeeded
    backtests. Importing again adds nothing (the ids come back under ``already_imported``); no report is a
    404, a damaged one a 422 naming every bad field, and either way nothing is stored."""
    summary = quickstart_results.import_quickstart(
        session, user, svc.settings.user_dir, svc.settings.resolved_data_dir, request_id
    )
    session.commit()
    return summary


@router.get("", response_model=BacktestPage)
def list_backtests(
    user: CurrentUser,
    session: DbSession,
    strategy_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    min_profit_pct: Annotated[float | None, Query(allow_inf_nan=False)] = None,
    max_drawdown_pct: Annotated[float | None, Query(allow_inf_nan=False)] = None,
    min_trades: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    sort: SortKey = "-created_at",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> BacktestPage:
    filters = repo.BacktestFilter(
        strategy_id=strategy_id,
        status=status_,
        min_profit_pct=min_profit_pct,
        max_drawdown_pct=max_drawdown_pct,
        min_trades=min_trades,
    )
    rows, total = repo.page(session, user, filters, sort=sort, limit=limit, offset=offset)
    return BacktestPage(
        items=[BacktestRow.model_validate(row) for row in rows], total=total, limit=limit, offset=offset
    )


@router.get("/compare", response_model=BacktestComparison, responses=problems(400, 404))
def compare_backtests(
    user: CurrentUser,
    session: DbSession,
    ids: Annotated[
        list[str],
        Query(
            max_length=400, description="Backtest ids: comma-separated (ids=1,2,3) or repeated (ids=1&ids=2)."
        ),
    ],
) -> BacktestComparison:
    """Metrics side by side, which backtest is better on each, and the spec diff of their versions."""
    rows, comparison = compare.compare(session, user, _compare_ids(",".join(ids)))
    return BacktestComparison(
        items=[BacktestRow.model_validate(row) for row in rows],
        metrics=comparison.metrics,
        spec_diff=comparison.spec_diff,
    )


def _compare_ids(ids: str) -> list[int]:
    """The distinct ids in ``ids``, in the order given, else a 400 naming the parameter.

    A digit is an ASCII digit: ``str.isdigit`` also accepts characters such as '²' that ``int`` refuses,
    which turned such a request into a 500.
    """
    parts = [part.strip() for part in ids.split(",") if part.strip()]
    if (
        not parts
        or len(parts) > MAX_COMPARE
        or not all(p.isascii() and p.isdigit() and 0 < int(p) <= MAX_ID for p in parts)
    ):
        raise InvalidRequestError(f"ids must be 1 to {MAX_COMPARE} comma-separated backtest ids")
    return list(dict.fromkeys(int(p) for p in parts))


@router.get("/{backtest_id}", response_model=BacktestOut, responses=problems(404))
def get_backtest(backtest_id: ObjectId, user: CurrentUser, session: DbSession) -> BacktestOut:
    return BacktestOut.model_validate(repo.get(session, backtest_id, user))


@router.post("/{backtest_id}/cancel", response_model=BacktestOut, responses=problems(404, 409))
def cancel_backtest(
    backtest_id: ObjectId, user: CurrentUser, session: DbSession, svc: ServicesDep, request_id: RequestId
) -> BacktestOut:
    backtest = repo.get(session, backtest_id, user)
    repo.cancel(session, backtest)
    record(session, user, "cancel", "backtest", backtest_id, request_id)
    session.commit()
    svc.executor.cancel(backtest_id)
    return BacktestOut.model_validate(backtest)


@router.delete("/{backtest_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(404))
def delete_backtest(
    backtest_id: ObjectId, user: CurrentUser, session: DbSession, svc: ServicesDep, request_id: RequestId
) -> Response:
    """Delete the record; a queued or running backtest is stopped first."""
    backtest = repo.get(session, backtest_id, user)
    repo.remove(session, backtest)
    record(session, user, "delete", "backtest", backtest_id, request_id)
    session.commit()
    svc.executor.cancel(backtest_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{backtest_id}/result.zip",
    response_class=FileResponse,
    responses={200: {"content": {"application/zip": {}}}, **problems(404)},
)
def download_result(backtest_id: ObjectId, user: CurrentUser, session: DbSession) -> FileResponse:
    """freqtrade's own result zip (opens in freqtrade and FreqUI)."""
    backtest = repo.get(session, backtest_id, user)
    path = FilePath(backtest.result_zip) if backtest.result_zip else None
    if backtest.status != "succeeded" or path is None or not path.is_file():
        raise NotFoundError(f"backtest {backtest_id} has no result file")
    return FileResponse(path, media_type="application/zip", filename=path.name)

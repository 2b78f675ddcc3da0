"""Chart data of a finished backtest: its equity/drawdown series and a pair's candles with trade markers.

The dashboard draws exactly these series, and ``gentrade plot`` computes them with the same functions, so
what a client reads here is what a person sees.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from gentrade.api.deps import CurrentUser, DbSession, ServicesDep
from gentrade.api.routing import SessionReleasingRoute
from gentrade.api.schemas.charts import CandlesOut, EquityOut, EquityPointOut, MarkerOut
from gentrade.api.schemas.common import ObjectId, problems
from gentrade.db.models import Backtest, User
from gentrade.db.repositories import backtests as repo
from gentrade.db.repositories import strategies as strategies_repo
from gentrade.engine.result import BacktestResult
from gentrade.engine.series import MAX_CANDLES, candle_series, equity_curve
from gentrade.errors import NotFoundError

router = APIRouter(
    route_class=SessionReleasingRoute, prefix="/backtests", tags=["backtests"], responses=problems(401, 404)
)


def finished_result(session: Session, backtest_id: int, user: User) -> tuple[Backtest, BacktestResult]:
    """A succeeded backtest of the user's and its result, else a 404 saying why there is nothing to draw."""
    backtest = repo.get(session, backtest_id, user)
    if backtest.status != "succeeded" or backtest.result is None:
        raise NotFoundError(f"backtest {backtest_id} has no result yet (status {backtest.status})")
    return backtest, BacktestResult.model_validate(backtest.result)


def stop_levels(session: Session, backtest: Backtest, user: User) -> tuple[int | None, int | None]:
    """(breakeven_after_level, trailing after_level) of the spec the backtest ran, to name stop exits."""
    strategy = strategies_repo.get(session, backtest.strategy_id, user)
    spec: dict[str, Any] = strategies_repo.version(session, strategy, backtest.version_number).spec
    stop = spec.get("stop") or {}
    trailing = stop.get("trailing") or {}
    return stop.get("breakeven_after_level"), trailing.get("after_level")


@router.get("/{backtest_id}/equity", response_model=EquityOut)
def equity(backtest_id: ObjectId, user: CurrentUser, session: DbSession) -> EquityOut:
    """The balance after every closed trade and the drawdown below its running peak."""
    _backtest, result = finished_result(session, backtest_id, user)
    return EquityOut(
        backtest_id=backtest_id,
        stake_currency=result.stake_currency,
        starting_balance=result.starting_balance,
        points=[EquityPointOut(**vars(p)) for p in equity_curve(result)],
    )


@router.get("/{backtest_id}/candles", response_model=CandlesOut)
def candles(
    backtest_id: ObjectId,
    user: CurrentUser,
    session: DbSession,
    svc: ServicesDep,
    pair: Annotated[str, Query(max_length=40, description="One of the backtest's pairs, e.g. ETH/BTC.")],
    max_candles: Annotated[int, Query(ge=100, le=MAX_CANDLES)] = MAX_CANDLES,
) -> CandlesOut:
    """The pair's candles over the backtested range with every entry and exit marked; above
    ``max_candles`` candles the server aggregates them into OHLC bars of several candles each."""
    backtest, result = finished_result(session, backtest_id, user)
    if pair not in result.pairs:
        raise NotFoundError(f"backtest {backtest_id} did not trade {pair!r}")
    breakeven_after, trailing_after = stop_levels(session, backtest, user)
    series = candle_series(
        svc.settings.resolved_data_dir,
        result,
        pair,
        breakeven_after=breakeven_after,
        trailing_after=trailing_after,
        max_candles=max_candles,
    )
    return CandlesOut(
        backtest_id=backtest_id,
        pair=pair,
        timeframe=series.timeframe,
        source_candles=series.source_candles,
        candles_per_bar=series.candles_per_bar,
        max_candles=max_candles,
        candles=series.candles,
        markers=[MarkerOut(**vars(m)) for m in series.markers],
    )

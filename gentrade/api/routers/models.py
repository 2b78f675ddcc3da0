"""GET /models/performance: the caller's producers (models, the offline drafter, the optimiser, people) and
how what each made did (``gentrade.services.models``)."""

from __future__ import annotations

from fastapi import APIRouter

from gentrade.api.deps import CurrentUser, DbSession
from gentrade.api.routing import SessionReleasingRoute
from gentrade.api.schemas.common import problems
from gentrade.services.models import ProducerRecord, model_performance

router = APIRouter(
    route_class=SessionReleasingRoute, prefix="/models", tags=["models"], responses=problems(401)
)


@router.get("/performance", response_model=list[ProducerRecord])
def performance(user: CurrentUser, session: DbSession) -> list[ProducerRecord]:
    """Per producer: strategies, versions, their backtests, held-back results of optimised versions, signals
    with win rate, level hit rates and calibration."""
    return model_performance(session, user)
